"""lvm_core.data.pictures: one picture reader, so an upload and a file in an image folder meet the same rules."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from lvm_core.data.image_files import read_folder
from lvm_core.data.images import image_from_upload
from lvm_core.data.pictures import open_picture
from lvm_core.errors import ImageError


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def test_a_truncated_picture_gets_the_same_sentence_as_an_upload_and_in_a_folder(tmp_path):
    broken = png(np.full((40, 40), 200, np.uint8))[:60]
    with pytest.raises(ImageError, match="damaged or truncated picture"):
        image_from_upload(broken, "mnist", name="x.png")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(broken)
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "a" / "ok.png")
    problems = []
    images, labels = read_folder(tmp_path, 28, 1, problems)
    assert len(images) == 1 and len(problems) == 1
    assert problems[0].startswith("skipped a/x.png: a/x.png is a damaged or truncated picture")


def test_the_pixel_cap_is_read_from_the_header_before_decoding():
    big = png(np.zeros((300, 300), np.uint8))
    with pytest.raises(ImageError, match="300×300 pixels; pictures up to 0 megapixels"):
        open_picture(big, "big.png", lambda img: img, max_bytes=2**20, max_pixels=300 * 299, draft_side=64)


def test_exif_rotation_is_applied(tmp_path):
    wide = np.zeros((10, 30, 3), np.uint8)
    img = Image.fromarray(wide)
    exif = img.getexif()
    exif[0x0112] = 6          # "rotate 90°": a phone held upright
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    size_after = open_picture(out.getvalue(), "p.jpg", lambda im: im.size, max_bytes=2**20, max_pixels=10**6,
                              draft_side=64)[0]
    assert size_after == (10, 30)
