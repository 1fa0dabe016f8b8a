"""The one picture reader: a file's bytes -> a decoded Pillow picture, with one set of safety rules for
uploads (data/images.py) and image folders (data/image_files.py) alike.

The rules: a byte cap before anything is parsed, a pixel cap read from the header before decoding
(Pillow's decompression-bomb check too), JPEGs decoded at a reduced scale when they are far bigger
than needed, the rotation phone photos keep in EXIF applied, and every failure of Pillow's format
plugins on a crafted file (NotImplementedError for a DDS with unknown pixel flags, OverflowError for a
TIFF tag, struct.error, ...) one ImageError line: from here on a failure is the file's, not a bug.
"""
from __future__ import annotations

import io
from typing import Callable, TypeVar

from lvm_core.errors import ImageError

T = TypeVar("T")


def open_picture(data: bytes, name: str, convert: Callable[..., T], *, max_bytes: int, max_pixels: int,
                 draft_side: int) -> tuple[T, tuple[int, int], str]:
    """(convert(the decoded picture), its (width, height), its mode). name: what messages call the file;
    draft_side: a JPEG may be decoded at 1/2..1/8 scale down to about this side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(f"{name} is empty: upload a PNG or JPEG picture")
    if len(data) > max_bytes:
        raise ImageError(f"{name} is {len(data) / 2**20:.0f} MB; pictures up to {max_bytes // 2**20} MB are accepted")
    try:
        img = Image.open(io.BytesIO(data))
        if img.format == "JPEG":
            img.draft("RGB" if img.mode != "L" else "L", (draft_side, draft_side))
        if img.width * img.height > max_pixels:   # from the header, before decoding
            raise ImageError(f"{name} is {img.width}×{img.height} pixels; pictures up to "
                             f"{max_pixels // 1_000_000} megapixels are accepted")
        size, mode = img.size, img.mode
        img.load()
        converted = convert(ImageOps.exif_transpose(img))  # phone photos store their rotation in EXIF
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"{name} is too many pixels to open safely; upload a smaller picture") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not a picture (PNG or JPEG expected)") from None
    except MemoryError:
        raise ImageError(f"{name} needs too much memory to decode; upload a smaller picture") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or damaged files
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise ImageError(f"{name} is a damaged or truncated picture ({detail})") from None
    except Exception as exc:  # noqa: BLE001 - see the module docstring: a crafted file, not a bug of ours
        raise ImageError(f"{name} is a picture that cannot be decoded ({type(exc).__name__}); "
                         "save it as PNG or JPEG and try again") from None
    return converted, size, mode
