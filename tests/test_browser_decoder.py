"""The browser decoder (lvm_app/components/decoder/decoder.js) in a real Chromium equals PyTorch's decode
within 1e-4 per pixel, for every shipped model (the classifiers are not decoders)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lvm_core.storage.checkpoints import load_checkpoint
from lvm_core.generation.export import decoder_payload

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "checkpoints").glob("*.safetensors"))
DECODER_JS = ROOT / "lvm_app" / "components" / "decoder" / "decoder.js"
DECODE_JS = """([payload, codes]) => {
  const decoder = LvmDecoder.loadDecoder(payload);
  return codes.map((z) => Array.from(decoder.decode(z)));
}"""


@pytest.fixture(scope="module")
def decoder_page(chromium_browser):
    page = chromium_browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=DECODER_JS.read_text())
    yield page
    page.close()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_browser_decode_equals_torch(decoder_page, path):
    ckpt = load_checkpoint(path)
    rng = np.random.default_rng(0)
    codes = np.concatenate([np.zeros((1, ckpt.config.latent_dim)),
                            rng.normal(0, 2, (5, ckpt.config.latent_dim))]).astype(np.float32)
    got = np.array(decoder_page.evaluate(DECODE_JS, [decoder_payload(ckpt), codes.tolist()]), dtype=np.float32)
    with torch.no_grad():
        expected = ckpt.model.decode(torch.from_numpy(codes)).numpy().reshape(len(codes), -1)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-4, f"{path.name}: max abs diff {np.abs(got - expected).max():.2e}"
    assert expected.std() > 0.01          # a real image, not a constant that any bug would also give


def test_browser_decoder_is_cached_by_digest(decoder_page):
    ckpt = load_checkpoint(SHIPPED[0])
    same = decoder_page.evaluate("""(payload) => {
      const a = LvmDecoder.loadDecoder(payload);
      return a === LvmDecoder.cached(payload.digest) && LvmDecoder.cached('no such digest') === undefined;
    }""", decoder_payload(ckpt))
    assert same


def test_components_report_missing_weights_and_failures(decoder_page):
    reports = decoder_page.evaluate("""() => {
      const seen = [], report = (event, value) => seen.push([event, value]);
      const none = LvmDecoder.forComponent({digest: 'never sent', payload: null}, report);
      const bad = LvmDecoder.forComponent({digest: 'x', payload: {format: 'something else', layers: []}}, report);
      return [none, bad, seen];
    }""")
    assert reports == [None, None, [["missing", "never sent"], ["failed", "unknown decoder format something else"]]]
