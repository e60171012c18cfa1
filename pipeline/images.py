"""A pixel limit for still images, checked on the file's header before anything is decoded.

A 388 KB PNG can declare 20000 x 20000 pixels: decoded, 1.2 GB of memory for one frame. Images
over the limit (50 megapixels by default, ``ENTRYWATCH_MAX_IMAGE_PIXELS`` to change it) are
refused with a line that says so, instead of taking the process to gigabytes.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

DEFAULT_MAX_PIXELS = 50_000_000
ENV = "ENTRYWATCH_MAX_IMAGE_PIXELS"


class ImageTooLarge(ValueError):
    """An image whose header declares more pixels than the limit."""


def max_pixels() -> int:
    value = os.environ.get(ENV)
    if not value:
        return DEFAULT_MAX_PIXELS
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f"{ENV}={value!r}: expected a whole number of pixels") from None
    if limit <= 0:
        raise ValueError(f"{ENV}={value!r}: must be positive")
    return limit


def image_size(path: str | Path) -> tuple[int, int] | None:
    """Width and height from the image's header (no pixel is decoded); None when the format is
    not one Pillow knows (OpenCV's own limit then applies)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(path) as image:
                    return image.size
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except (OSError, ValueError, SyntaxError, ImportError):
        # ImportError: once ultralytics is loaded it wraps Image.open to try pi_heif on a file
        # Pillow does not know, and pi_heif is not installed.
        return None


def check_pixels(path: str | Path, limit: int | None = None) -> None:
    """Raise ``ImageTooLarge`` when ``path`` declares more than ``limit`` pixels."""
    limit = max_pixels() if limit is None else limit
    size = image_size(path)
    if size is None:
        return
    width, height = size
    if width * height > limit:
        raise ImageTooLarge(
            f"{path}: {width}x{height} is {width * height / 1e6:.0f} megapixels, over the limit of "
            f"{limit / 1e6:g} ({ENV})"
        )
