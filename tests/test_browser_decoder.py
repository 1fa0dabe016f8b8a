"""The browser decoder (lvm_app/components/decoder/decoder.js) in a real Chromium equals PyTorch's decode
within 1e-4 per pixel, for every shipped model (the classifiers are not decoders); a conditional one (CVAE)
decodes decode(z, y) with each code's class."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lvm_core import ModelConfig, build_model
from lvm_core.storage.checkpoints import Checkpoint, load_checkpoint
from lvm_core.generation.export import decoder_payload
from lvm_core.models import is_conditional

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "checkpoints").glob("*.safetensors"))
DECODER_JS = ROOT / "lvm_app" / "components" / "decoder" / "decoder.js"
DECODE_JS = """([payload, codes, classes]) => {
  const decoder = LvmDecoder.loadDecoder(payload);
  return codes.map((z, i) => Array.from(decoder.decode(z, classes ? classes[i] : undefined)));
}"""


@pytest.fixture(scope="module")
def decoder_page(chromium_browser):
    page = chromium_browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=DECODER_JS.read_text())
    yield page
    page.close()


def assert_browser_decodes_like_torch(page, ckpt) -> None:
    """Six codes (zero and N(0, 4) draws), each of a conditional model's with its own class, within 1e-4."""
    rng = np.random.default_rng(0)
    codes = np.concatenate([np.zeros((1, ckpt.config.latent_dim)),
                            rng.normal(0, 2, (5, ckpt.config.latent_dim))]).astype(np.float32)
    classes = [(3 + i) % ckpt.config.n_classes for i in range(len(codes))] if is_conditional(ckpt.model) else None
    got = np.array(page.evaluate(DECODE_JS, [decoder_payload(ckpt), codes.tolist(), classes]), dtype=np.float32)
    with torch.no_grad():
        given = () if classes is None else (torch.tensor(classes),)
        expected = ckpt.model.decode(torch.from_numpy(codes), *given).numpy().reshape(len(codes), -1)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-4, f"{ckpt.name}: max abs diff {np.abs(got - expected).max():.2e}"
    assert expected.std() > 0.01          # a real image, not a constant that any bug would also give


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_browser_decode_equals_torch(decoder_page, path):
    assert_browser_decodes_like_torch(decoder_page, load_checkpoint(path))


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_a_conditional_decoder_takes_the_class_in_the_browser(decoder_page, arch):
    """Whatever is shipped: a CVAE of each architecture decodes like torch, each class differently, and a
    missing class is an error rather than a silent class 0."""
    config = ModelConfig(kind="cvae", arch=arch, image_shape=(1, 28, 28), latent_dim=5,
                         hidden=(64,) if arch == "mlp" else (8, 16), n_classes=10)
    model = build_model(config, seed=0).eval()
    with torch.no_grad():                 # untrained weights decode to a near-constant grey: spread them
        for p in model.parameters():
            p.mul_(3)
    ckpt = Checkpoint(model=model, config=config, dataset="mnist",
                      class_names=tuple(map(str, range(10))), name=f"cvae-{arch}", digest=f"test-cvae-{arch}")
    assert_browser_decodes_like_torch(decoder_page, ckpt)
    rows = decoder_page.evaluate("""(payload) => {
      const decoder = LvmDecoder.loadDecoder(payload), z = new Array(payload.latent_dim).fill(0.5);
      let missing = null;
      try { decoder.decode(z); } catch (error) { missing = error.message; }
      return [decoder.nClasses, Array.from(decoder.decode(z, 1)), Array.from(decoder.decode(z, 8)), missing];
    }""", decoder_payload(ckpt))
    assert rows[0] == 10
    assert np.abs(np.array(rows[1]) - np.array(rows[2])).max() > 1e-3
    assert "give y from 0 to 9" in rows[3]


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
