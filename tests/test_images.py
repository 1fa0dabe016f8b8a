"""Uploaded pictures of any kind become one dataset image, or a one-line ImageError."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lvm_core import ImageError
from lvm_core.data.images import MAX_UPLOAD_BYTES, enlarge, image_from_upload


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def stroke(mode: str, size=(120, 120), paper=255, ink=0) -> Image.Image:
    """A vertical bar of `ink` on `paper`, off-centre, like a photographed '1'."""
    img = Image.new(mode, size, paper)
    ImageDraw.Draw(img).rectangle([size[0] // 4, size[1] // 5, size[0] // 4 + size[0] // 10, size[1] * 4 // 5],
                                  fill=ink)
    return img


def check_mnist_like(result, h=28, w=28):
    """Shape, range, light ink on a black background, centred."""
    image = result.image
    assert image.shape == (1, h, w) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    assert image.max() > 0.9 and image[0, 0, 0] == 0 and image[0, -1, -1] == 0
    cols = np.nonzero(image[0].sum(axis=0) > 0.5)[0]
    assert abs((cols.min() + cols.max()) / 2 - (w - 1) / 2) <= 1.5  # cropped and centred
    assert result.steps[-1][1].shape == (h, w)


def test_a_dark_on_light_photo_is_inverted_and_centred():
    result = image_from_upload(encode(stroke("RGB", (640, 480), paper=(225, 220, 210), ink=(30, 30, 40)), "JPEG"))
    assert result.inverted
    check_mnist_like(result)
    captions = [c for c, _ in result.steps]
    assert any("inverted" in c for c in captions) and "640×480 RGB" in captions[0]


def test_light_on_dark_is_kept_and_digits_get_8x8():
    result = image_from_upload(encode(stroke("L", paper=0, ink=255)), "digits")
    assert not result.inverted
    assert result.image.shape == (1, 8, 8)


@pytest.mark.parametrize("ink,fill", [((0, 0, 0, 255), "white"), ((255, 255, 255, 255), "black")])
def test_rgba_strokes_on_transparency(ink, fill):
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle([30, 10, 45, 90], fill=ink)
    result = image_from_upload(encode(img))
    assert f"transparency filled with {fill}" in result.steps[0][0]
    assert result.inverted == (fill == "white")
    check_mnist_like(result)


def test_16_bit_greyscale_is_scaled_from_its_full_range():
    bright = (np.asarray(stroke("L", paper=0, ink=255), dtype=np.uint16) * 257)
    result = image_from_upload(encode(Image.fromarray(bright)))
    assert Image.open(io.BytesIO(encode(Image.fromarray(bright)))).mode == "I;16"
    assert "0..65535" in result.steps[0][0]
    check_mnist_like(result)
    ten_bit = Image.fromarray((bright // 64).astype(np.uint16))  # a 10-bit sensor's values in a 16-bit file
    assert "0..1023" in image_from_upload(encode(ten_bit)).steps[0][0]
    faint = Image.fromarray((bright // 200).astype(np.uint16))
    result = image_from_upload(encode(faint))
    assert any("contrast stretched" in c for c, _ in result.steps)
    check_mnist_like(result)


@pytest.mark.parametrize("value", [0, 255])
def test_a_1x1_picture_becomes_a_blank_image(value):
    result = image_from_upload(encode(Image.new("L", (1, 1), value)))
    assert result.image.shape == (1, 28, 28) and np.isfinite(result.image).all()
    assert result.image.max() == 0  # black stays black; white paper with nothing on it is inverted
    assert any("no ink" in c for c, _ in result.steps)


def test_a_4000x4000_picture_converts_and_its_steps_stay_small():
    result = image_from_upload(encode(stroke("L", (4000, 4000))))
    check_mnist_like(result)
    assert "4000×4000" in result.steps[0][0]
    assert all(max(img.shape) <= 256 for _, img in result.steps)


@pytest.mark.parametrize("img,fmt", [
    (stroke("CMYK", paper=(0, 0, 0, 0), ink=(0, 0, 0, 255)), "JPEG"),
    (stroke("L").convert("P"), "GIF"),
    (stroke("1"), "PNG"),
    (stroke("LA", paper=(255, 255), ink=(0, 255)), "PNG"),
])
def test_other_modes(img, fmt):
    check_mnist_like(image_from_upload(encode(img, fmt)))


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"%PDF-1.4 certainly not a picture", "not a picture"),
    (encode(stroke("L", (400, 400)))[:300], "damaged or truncated"),
    (b"\x89PNG" + bytes(MAX_UPLOAD_BYTES), f"MB; pictures up to {MAX_UPLOAD_BYTES // 2**20} MB"),
])
def test_bad_files_raise_one_line_image_errors(data, match):
    with pytest.raises(ImageError, match=match) as info:
        image_from_upload(data, name="upload.png")
    assert "\n" not in str(info.value) and str(info.value).startswith("upload.png")


def test_too_many_pixels_is_refused_before_decoding():
    data = encode(Image.new("1", (10_000, 6_000)))  # 60 megapixels in a few kB
    assert len(data) < 100_000
    with pytest.raises(ImageError, match="10000×6000 pixels"):
        image_from_upload(data)



def test_enlarge_repeats_pixels():
    image = np.array([[0.0, 1.0]])
    assert enlarge(image, 2).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1]]


def test_make_grid_tiles_in_reading_order_with_padding_only_between_tiles():
    from lvm_core.data.images import make_grid

    images = np.stack([np.full((2, 3), v, np.float32) for v in (0.1, 0.2, 0.3)])
    grid = make_grid(images, ncols=2, pad=1, pad_value=1.0)
    assert grid.shape == (2 * 3 - 1, 2 * 4 - 1)
    assert np.allclose(grid[:2, :3], 0.1) and np.allclose(grid[:2, 4:], 0.2) and np.allclose(grid[3:, :3], 0.3)
    assert np.allclose(grid[2], 1.0) and np.allclose(grid[:, 3], 1.0) and np.allclose(grid[3:, 4:], 1.0)
    assert make_grid(images, ncols=3, pad=0).shape == (2, 9)
