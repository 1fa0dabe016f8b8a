"""The static lesson in a real Chromium, opened from disk (file://) with no server: it requests nothing outside
its folder, walks its steps with the arrow keys and Back/Next, hovering a map point shows that point's
original and reconstruction, a slider drag draws frames before the release, "New samples" redraws, and the
page's decoder (the app's decoder.js) equals PyTorch within 1e-4."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from lvm_app.harness import isolated_points, plotly_points, requires_chromium
from conftest import ROOT, requires_mnist

from lvm_core.storage.checkpoints import load_checkpoint
from lvm_core.data.images import to_uint8
from lvm_core.generation.inference import reconstruct, to_display
from lvm_core.lesson.export import lesson_files, open_pair, write_lesson
from lvm_core.lesson.story import STEP_KEYS

pytestmark = [pytest.mark.browser, requires_chromium]
CHECKPOINTS = ROOT / "checkpoints"
DIGITS = CHECKPOINTS / "digits-ae-mlp-8.safetensors", CHECKPOINTS / "digits-vae-mlp-8.safetensors"
MNIST = CHECKPOINTS / "mnist-ae-mlp-32.safetensors", CHECKPOINTS / "mnist-vae-mlp-32.safetensors"
TIMEOUT_MS = 60_000
MAP_READY = ".lvm-map-plot[data-ready='1']"
CANVAS_PIXELS = """(selector) => { const c = document.querySelector(selector);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return [c.height, c.width, Array.from({length: c.width * c.height}, (_, i) => d[4 * i])]; }"""
DECODE = "([digest, codes]) => codes.map((z) => Array.from(LvmDecoder.cached(digest).decode(z)))"


def export(folder, pair, n: int) -> None:
    ae, vae, test = open_pair(*pair)
    write_lesson(folder, lesson_files(ae, vae, test, n=n))


@pytest.fixture(scope="module")
def digits_lesson(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lesson") / "digits"
    export(folder, DIGITS, 360)
    return folder


class Lesson:
    """A fresh page on the lesson, recording every request and every uncaught error."""

    def __init__(self, browser, folder, step: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.folder_url = folder.resolve().as_uri() + "/"
        self.requests, self.errors = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{self.folder_url}index.html#{step}")
        self.page.wait_for_function("k => document.body.dataset.step === k", arg=step)

    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.folder_url)]


@pytest.fixture
def lesson(chromium_browser):
    opened = []

    def open_(folder, step: str) -> Lesson:
        opened.append(Lesson(chromium_browser, folder, step))
        return opened[-1]
    yield open_
    for one in opened:
        assert one.errors == [], one.errors
        one.context.close()


def test_every_step_opens_from_disk_and_nothing_leaves_the_folder(digits_lesson, lesson):
    opened = lesson(digits_lesson, STEP_KEYS[0])
    page = opened.page
    for key in STEP_KEYS[1:]:                                   # the arrow keys walk forward...
        page.keyboard.press("ArrowRight")
        page.wait_for_function("k => document.body.dataset.step === k", arg=key)
        view = page.evaluate("() => document.querySelector('article.step:not([hidden])').dataset.view")
        shown = page.evaluate("() => Array.from(document.querySelectorAll('section.view:not([hidden])'), "
                              "s => s.dataset.view)")
        assert shown == ([] if view == "none" else [view])
    assert page.locator("button.next").is_disabled()
    page.locator("button.back").click()                         # ...and Back steps back
    page.wait_for_function("k => document.body.dataset.step === k", arg=STEP_KEYS[-2])
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("k => document.body.dataset.step === k", arg=STEP_KEYS[-3])
    page.wait_for_selector(".lvm-scrubber[data-frames]", state="attached")
    assert len(opened.requests) >= 13 and opened.outside() == []


def test_hovering_a_map_point_shows_its_original_and_reconstruction(digits_lesson, lesson):
    opened = lesson(digits_lesson, "code")
    page = opened.page
    page.wait_for_selector(MAP_READY)
    ae, _, test = open_pair(*DIGITS)
    for target in isolated_points(plotly_points(page), 3):
        index = int(target["custom"])
        page.mouse.move(target["px"] - 15, target["py"] - 15)
        page.mouse.move(target["px"], target["py"], steps=3)
        page.wait_for_function("i => document.querySelector('.lvm-map-preview').dataset.index === String(i)", arg=index)
        assert page.evaluate("() => document.querySelector('.lvm-map-preview').dataset.kind") == "point"
        image = test.images[index:index + 1]
        for selector, expected in ((".lvm-original", to_display(image)[0]),
                                   (".lvm-recon", reconstruct(ae.model, image)[0])):
            height, width, pixels = page.evaluate(CANVAS_PIXELS, selector)
            drawn = np.array(pixels, int).reshape(height, width)
            np.testing.assert_allclose(drawn, to_uint8(expected).astype(int), atol=1)   # the point's own images
            assert drawn.max() > 0
    assert opened.outside() == []


def test_a_slider_drag_draws_several_frames_before_release(digits_lesson, lesson):
    page = lesson(digits_lesson, "factors").page
    root = page.locator(".lvm-sliders")
    root.wait_for()
    before = int(root.get_attribute("data-frames"))
    box = page.locator(".lvm-sliders input[type=range]").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y, steps=20)
    during = int(root.get_attribute("data-frames"))
    page.mouse.up()
    assert during - before >= 5
    page.wait_for_function("() => document.querySelector('.lvm-sliders').parentElement.dataset.stateCode")


def test_new_samples_redraws_both_grids(digits_lesson, lesson):
    page = lesson(digits_lesson, "samples").page
    page.wait_for_selector(".lvm-samples[data-draws='1']")
    first = [page.evaluate(CANVAS_PIXELS, f".lvm-samples figure:nth-child({k}) canvas") for k in (1, 2)]
    page.get_by_role("button", name="New samples").click()
    page.wait_for_selector(".lvm-samples[data-draws='2']")
    again = [page.evaluate(CANVAS_PIXELS, f".lvm-samples figure:nth-child({k}) canvas") for k in (1, 2)]
    assert all(a[2] != b[2] for a, b in zip(first, again))


def assert_decodes_like_pytorch(page, ckpt) -> None:
    codes = np.random.default_rng(0).normal(0, 1.5, (6, ckpt.config.latent_dim)).astype(np.float32)
    got = np.array(page.evaluate(DECODE, [ckpt.digest, codes.tolist()]), np.float32)
    with torch.no_grad():
        expected = ckpt.model.decode(torch.from_numpy(codes)).numpy().reshape(len(codes), -1)
    assert np.abs(got - expected).max() <= 1e-4, ckpt.name
    assert expected.std() > 0.01


def test_the_pages_decoder_equals_pytorch(digits_lesson, lesson):
    page = lesson(digits_lesson, "samples").page
    page.wait_for_selector(".lvm-samples[data-draws='1']")
    for path in DIGITS:
        assert_decodes_like_pytorch(page, load_checkpoint(path))


@requires_mnist
def test_the_mnist_lesson_on_10k_points_hovers_and_decodes_like_pytorch(tmp_path, lesson):
    export(tmp_path / "mnist", MNIST, 10_000)
    opened = lesson(tmp_path / "mnist", "code")
    page = opened.page
    page.wait_for_selector(MAP_READY)
    target = isolated_points(plotly_points(page), 1)[0]
    page.mouse.move(target["px"] - 15, target["py"] - 15)
    page.mouse.move(target["px"], target["py"], steps=3)
    page.wait_for_function("i => document.querySelector('.lvm-map-preview').dataset.index === String(i)",
                           arg=int(target["custom"]))
    for path in MNIST:
        assert_decodes_like_pytorch(page, load_checkpoint(path))
    assert opened.outside() == []
