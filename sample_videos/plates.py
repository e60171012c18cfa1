"""Vietnamese licence plates for the sample clips: text rules and rendering.

Plates are drawn with matplotlib's bundled DejaVu Sans Bold through PIL, then squeezed
horizontally: real Vietnamese plates use a condensed face, and the squeeze lets a
one-line plate keep its 520x110 mm proportions with characters tall enough to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Series letters on Vietnamese plates skip I, J, O, Q and W (too close to 1, 0 and V).
SERIES_LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"
ONE_LINE_RE = re.compile(r"^(1[1-9]|[2-9]\d)[A-HK-NPR-VX-Z]\d{5}$")
TWO_LINE_RE = re.compile(r"^(1[1-9]|[2-9]\d)[A-HK-NPR-VX-Z]\d\d{5}$")

# Pixel size of the master plate images (about 4 px per mm): scaled down per frame.
ONE_LINE_SIZE = (520 * 2, 110 * 2)
TWO_LINE_SIZE = (190 * 3, 140 * 3)


@dataclass(frozen=True)
class Plate:
    """A plate's text: ``display`` as printed, ``normalised`` as the pipeline keys it."""

    display: str
    two_line: bool

    @property
    def normalised(self) -> str:
        return re.sub(r"[^0-9A-Z]", "", self.display.upper())

    @property
    def rows(self) -> tuple[str, ...]:
        return tuple(self.display.split(" ")) if self.two_line else (self.display,)


def one_line(province: int, series: str, number: int) -> Plate:
    """A car plate ``DDL-DDD.DD``, e.g. ``75A-123.45``."""
    digits = f"{number:05d}"
    return Plate(f"{province:02d}{series}-{digits[:3]}.{digits[3:]}", two_line=False)


def two_line(province: int, series: str, series_digit: int, number: int) -> Plate:
    """A motorbike plate ``DD-LD`` over ``DDD.DD``; rows joined with a space in ``display``."""
    digits = f"{number:05d}"
    return Plate(f"{province:02d}-{series}{series_digit} {digits[:3]}.{digits[3:]}", two_line=True)


def is_valid(normalised: str, two_line: bool) -> bool:
    """Whether a normalised plate fits its format (province 11-99, allowed series letter)."""
    return bool((TWO_LINE_RE if two_line else ONE_LINE_RE).match(normalised))


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(ttf), size)


def _text_block(text: str, height: int, width: int) -> np.ndarray:
    """Black text on white, fitted to ``height`` then squeezed or stretched to ``width``."""
    font = _font(200)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (int(right - left) + 20, int(bottom - top) + 20), 255)
    ImageDraw.Draw(canvas).text((10 - left, 10 - top), text, fill=0, font=font)
    block = np.asarray(canvas)
    return cv2.resize(block, (width, height), interpolation=cv2.INTER_AREA)


def render(plate: Plate) -> np.ndarray:
    """A BGR plate image: white face, black characters, thin black border."""
    w, h = TWO_LINE_SIZE if plate.two_line else ONE_LINE_SIZE
    face = np.full((h, w), 255, np.uint8)
    border = max(4, h // 40)
    cv2.rectangle(face, (border, border), (w - border - 1, h - border - 1), 0, border)
    margin_x = int(w * 0.06)
    if plate.two_line:
        row_h = int(h * 0.34)
        for i, row in enumerate(plate.rows):
            y = int(h * 0.10) + i * int(h * 0.46)
            block = _text_block(row, row_h, w - 2 * margin_x)
            face[y : y + row_h, margin_x : w - margin_x] = block
    else:
        text_h = int(h * 0.70)
        y = (h - text_h) // 2
        block = _text_block(plate.display, text_h, w - 2 * margin_x)
        face[y : y + text_h, margin_x : w - margin_x] = block
    return cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)


def smear(plate_image: np.ndarray, seed: int) -> np.ndarray:
    """Mud over a plate: brown blotches and a heavy blur, so no reader can recover it."""
    rng = np.random.default_rng(seed)
    h, w = plate_image.shape[:2]
    out = cv2.GaussianBlur(plate_image, (0, 0), sigmaX=w / 25)
    mud = out.copy()
    for _ in range(40):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (int(rng.uniform(w * 0.05, w * 0.25)), int(rng.uniform(h * 0.1, h * 0.4)))
        shade = tuple(int(c) for c in rng.integers((30, 50, 70), (60, 85, 110)))
        cv2.ellipse(mud, centre, axes, float(rng.uniform(0, 180)), 0, 360, shade, -1)
    out = cv2.addWeighted(out, 0.25, mud, 0.75, 0)
    return cv2.GaussianBlur(out, (0, 0), sigmaX=w / 60)
