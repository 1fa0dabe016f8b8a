"""Pictures that make Pillow raise anything become one ImageError line, sizes checked before decoding."""
import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageFile

from lvm_core import ImageError, LvmError
from lvm_core.config import MAX_UPLOAD_BYTES
from lvm_core.data.images import MAX_UPLOAD_PIXELS, image_from_upload


def one_line(data: bytes, match: str) -> str:
    with pytest.raises(ImageError, match=match) as info:
        image_from_upload(data, "digits", "upload.dds")
    assert isinstance(info.value, LvmError) and "\n" not in str(info.value)
    return str(info.value)


def test_a_dds_with_unknown_pixel_flags():
    """Pillow raises NotImplementedError for it."""
    header = struct.pack("<4sIIIIIII", b"DDS ", 124, 0x1007, 4, 4, 0, 0, 0) + bytes(44)
    pixel_format = struct.pack("<8I", 32, 0x80000, 0, 0, 0, 0, 0, 0)
    one_line(header + pixel_format + bytes(20 + 64), "upload.dds is a picture that cannot be decoded "
                                                     r"\(NotImplementedError\); save it as PNG or JPEG")


def test_any_exception_from_a_decoder_is_an_image_error(monkeypatch):
    """An OverflowError from a TIFF tag, struct.error, IndexError...: whatever a format plugin raises."""
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "TIFF")
    for exc in (OverflowError("Python int too large to convert to C long"), IndexError("tuple index"), KeyError(3)):
        def broken_load(self, exc=exc):
            raise exc
        monkeypatch.setattr(ImageFile.ImageFile, "load", broken_load)
        one_line(buf.getvalue(), type(exc).__name__)


def test_a_float_tiff_with_nan_and_inf_pixels_converts_to_finite_values():
    pixels = np.zeros((16, 16), np.float32)
    pixels[4:12, 6:10] = 1.0
    pixels[0, 0], pixels[0, 1] = np.nan, np.inf
    buf = io.BytesIO()
    Image.fromarray(pixels, mode="F").save(buf, "TIFF")
    image = image_from_upload(buf.getvalue(), "digits").image
    assert image.shape == (1, 8, 8) and np.isfinite(image).all() and image.max() > 0.5


def test_huge_dimensions_are_refused_from_the_header():
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, "PNG")    # 400 megapixels in a few kB: a decompression bomb
    assert len(buf.getvalue()) < 200_000
    one_line(buf.getvalue(), "too many pixels|megapixels")


def test_upload_limits_match_the_server_config():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES
    assert MAX_UPLOAD_PIXELS * 4 <= 64 * 2**20       # a decoded RGBA picture stays under 64 MB
