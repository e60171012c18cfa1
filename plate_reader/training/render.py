"""Draw a flat, frontal plate for a ``PlateText``: colours, rows, border, bolts and the small
print real plates carry (state names, slogans, the EU strip, the Mercosur band).

The small print is clutter the recogniser must learn to ignore: the label is only the plate's
characters. Sizes follow the real plates' proportions (mm): VN car 520x110 and 330x165, VN
motorbike 190x140, US 305x152, EU 520x112, Brazil 400x130.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from plate_reader.training.fonts import font_features, font_file
from plate_reader.training.texts import PlateText

RGB = tuple[int, int, int]

# (width, height) in mm; the renderer draws at ``PX_PER_MM``.
SIZES_MM: dict[str, tuple[int, int]] = {
    "vn_car": (520, 110),
    "vn_car2": (330, 165),
    "vn_moto": (190, 140),
    "us": (305, 152),
    "eu": (520, 112),
    "br_mercosur": (400, 130),
    "br_old": (400, 130),
}
PX_PER_MM = 0.5

_WORDS = (
    "CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "OHIO", "ARIZONA", "NEVADA", "OREGON", "GEORGIA",
    "ILLINOIS", "VIRGINIA", "MAINE", "UTAH", "IDAHO", "KANSAS", "ALASKA", "DELAWARE", "VERMONT",
    "Sunshine State", "Empire State", "Land of Lincoln", "dmv.ca.gov", "Live Free or Die",
    "Grand Canyon State", "The Lone Star State", "Virginia is for Lovers", "Famous Potatoes",
    "SAO PAULO", "RIO DE JANEIRO", "CURITIBA", "BRASIL", "MERCOSUL", "HUE", "VIET NAM",
)  # fmt: skip


@dataclass(frozen=True)
class Palette:
    background: RGB
    text: RGB


def _jitter(rng: random.Random, colour: RGB, amount: int = 18) -> RGB:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def palette_for(style: str, rng: random.Random) -> Palette:
    white, black = (238, 238, 232), (20, 20, 22)
    if style.startswith("vn_military"):
        return Palette(_jitter(rng, (190, 30, 30)), _jitter(rng, (240, 240, 240)))
    if style.startswith("vn"):
        r = rng.random()
        if r < 0.65:
            return Palette(_jitter(rng, white), _jitter(rng, black))
        if r < 0.85:
            return Palette(_jitter(rng, (240, 200, 40)), _jitter(rng, black))  # commercial
        return Palette(_jitter(rng, (30, 60, 150)), _jitter(rng, (240, 240, 240)))  # state
    if style == "eu":
        bg = (235, 190, 30) if rng.random() < 0.2 else white
        return Palette(_jitter(rng, bg), _jitter(rng, black))
    if style == "br_old":
        if rng.random() < 0.25:
            return Palette(_jitter(rng, (180, 30, 30)), _jitter(rng, white))
        return Palette(_jitter(rng, (190, 190, 190)), _jitter(rng, black))
    if style == "br_mercosur":
        return Palette(_jitter(rng, white), _jitter(rng, black))
    # US and generic: light background with a dark ink mostly, the reverse sometimes.
    inks = ((20, 20, 22), (20, 40, 120), (150, 20, 20), (20, 80, 40))
    lights = ((238, 238, 232), (220, 230, 245), (245, 235, 200), (230, 230, 230))
    if rng.random() < 0.15:
        return Palette(_jitter(rng, rng.choice(inks)), _jitter(rng, rng.choice(lights)))
    return Palette(_jitter(rng, rng.choice(lights)), _jitter(rng, rng.choice(inks)))


@lru_cache(maxsize=64)
def _font(spec: str, size: int) -> tuple[ImageFont.FreeTypeFont, list[str] | None]:
    """The face of a font name and the OpenType features it asks for (``fonts.font_features``;
    features need the Raqm layout engine, which Pillow's wheels carry; without features, Pillow's
    default engine as before)."""
    features = list(font_features(spec)) or None
    layout = ImageFont.Layout.RAQM if features else None
    return ImageFont.truetype(font_file(spec), size, layout_engine=layout), features


def text_image(text: str, font: Path, stroke: int = 0) -> Image.Image:
    """``text`` in black on white at 96 px, cropped to its ink ("L" mode)."""
    face, features = _font(str(font), 96)
    box = face.getbbox(text, stroke_width=stroke, features=features)
    left, top, right, bottom = (round(v) for v in box)
    image = Image.new("L", (right - left + 8, bottom - top + 8), 255)
    ImageDraw.Draw(image).text(
        (4 - left, 4 - top), text, font=face, fill=0, stroke_width=stroke, features=features
    )
    ink = np.asarray(image) < 128
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return image
    return image.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))


def _paste_text(
    canvas: Image.Image,
    text: str,
    box: tuple[float, float, float, float],
    colour: RGB,
    font: Path,
    stroke: int = 0,
    relief: int = 0,
) -> None:
    """Stretch ``text``'s ink to ``box`` (x1, y1, x2, y2) and paint it in ``colour``; with
    ``relief`` (px), as embossed metal shows it: a lit edge above-left, a shadow below-right."""
    x1, y1, x2, y2 = (round(v) for v in box)
    w, h = max(1, x2 - x1), max(1, y2 - y1)
    mask = text_image(text, font, stroke).resize((w, h), Image.Resampling.BILINEAR)
    alpha = Image.eval(mask, lambda v: 255 - v)
    if relief:
        for offset, tone in ((-relief, (250, 250, 250)), (relief, (40, 40, 40))):
            shade = Image.eval(alpha, lambda v: v * 3 // 5)  # half-tone: an edge, not ink
            canvas.paste(Image.new("RGB", (w, h), tone), (x1 + offset, y1 + offset), shade)
    canvas.paste(Image.new("RGB", (w, h), colour), (x1, y1), alpha)


def _row_box(
    rng: random.Random, text: str, width: int, top: float, bottom: float
) -> tuple[float, float, float, float]:
    """A row's box: centred, filling most of the width (less for short rows)."""
    chars = max(1, len(text))
    fill = min(rng.uniform(0.78, 0.94), 0.16 * chars + 0.2)
    w = width * fill
    x1 = (width - w) / 2 + rng.uniform(-0.02, 0.02) * width
    return (x1, top, x1 + w, bottom)


def glyph_share(plate: PlateText) -> float:
    """About how much of the plate's height one printed character takes (its row's band, as
    ``render_plate`` lays rows out below)."""
    if len(plate.rows) == 2:
        return 0.35
    return 0.57 if plate.style in ("us", "br_mercosur", "br_old") else 0.74


def _paint_backdrop(rng: random.Random, canvas: Image.Image, colours: Palette) -> None:
    """A printed backdrop behind the characters, as many US and special plates have: a soft
    gradient, hills, a sun, a band of colour, all pale enough to keep the characters legible."""
    from PIL import ImageFilter

    width, height = canvas.size
    art = Image.new("RGB", (width, height), colours.background)
    draw = ImageDraw.Draw(art)

    def pale() -> RGB:
        return _jitter(rng, colours.background, 70)

    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("hill", "sun", "band", "gradient"))
        if kind == "hill":
            base = rng.uniform(0.5, 1.0) * height
            xs = sorted(rng.uniform(0, width) for _ in range(rng.randint(2, 5)))
            points = [(0.0, float(height)), (0.0, base)]
            points += [(x, base - rng.uniform(0.1, 0.6) * height) for x in xs]
            points += [(float(width), base), (float(width), float(height))]
            draw.polygon(points, fill=pale())
        elif kind == "sun":
            r = rng.uniform(0.15, 0.5) * height
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=pale())
        elif kind == "band":
            y = rng.uniform(0, height)
            draw.rectangle((0, y, width, y + rng.uniform(0.05, 0.3) * height), fill=pale())
        else:
            tint = pale()
            for y in range(height):
                t = y / max(1, height - 1)
                mix = tuple(
                    round(a * (1 - t) + b * t)
                    for a, b in zip(colours.background, tint, strict=True)
                )
                draw.line((0, y, width, y), fill=mix)
    art = art.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 3.0)))
    canvas.paste(Image.blend(canvas, art, rng.uniform(0.4, 0.9)))


def _split_at(rng: random.Random, row: str) -> int:
    """Where a row's characters part for a mark between them: at the printed separator when the
    row has one, else between two random characters (never leaving fewer than two a side)."""
    seps = [i for i, ch in enumerate(row) if not ch.isalnum()]
    if seps:
        return rng.choice(seps)
    return rng.randint(2, len(row) - 2)


def _draw_mark(
    rng: random.Random,
    canvas: Image.Image,
    box: tuple[float, float, float, float],
    colours: Palette,
    font: Path,
) -> None:
    """Something that is not a character in ``box``: a registration sticker, a state emblem, a
    pair of seals (German plates), a heart or star, or a sticker's small print."""
    draw = ImageDraw.Draw(canvas)
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    colour = (
        colours.text
        if rng.random() < 0.4
        else (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
    )
    kind = rng.choice(("disc", "seals", "shield", "star", "sticker", "small_print"))
    r = min(w, h) / 2 * rng.uniform(0.6, 1.0)
    if kind == "disc":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        if rng.random() < 0.5:
            q = r * 0.6
            draw.ellipse((cx - q, cy - q, cx + q, cy + q), outline=colours.background, width=1)
    elif kind == "seals":
        # Coloured and apart, as real seals are: two touching discs in the ink would be an 8.
        q = min(w / 2, h / 4) * 0.75
        tint = (rng.randint(60, 255), rng.randint(0, 200), rng.randint(0, 255))
        for yy in (cy - q * 1.3, cy + q * 1.3):
            draw.ellipse((cx - q, yy - q, cx + q, yy + q), fill=tint)
    elif kind == "shield":
        draw.polygon(
            [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r * 0.2), (cx, cy + r),
             (cx - r, cy + r * 0.2)],
            fill=colour,
        )  # fmt: skip
    elif kind == "star":
        points = []
        for k in range(10):
            a = np.pi / 2 + k * np.pi / 5
            rr = r if k % 2 == 0 else r * 0.45
            points.append((cx + rr * np.cos(a), cy - rr * np.sin(a)))
        draw.polygon(points, fill=colour)
    elif kind == "sticker":
        sw, sh = w * rng.uniform(0.6, 1.0), h * rng.uniform(0.3, 0.6)
        draw.rectangle((cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2), fill=colour)
    else:  # a sticker's month and year, well below a plate character's height
        tiny = rng.choice(("CA", "12", "25", "JAN", "OCT", "TX", "NY", "DMV"))
        th = h * rng.uniform(0.2, 0.35)
        _paste_text(canvas, tiny, (x1, cy - th / 2, x2, cy + th / 2), colours.text, font)


def _paste_row(
    rng: random.Random,
    canvas: Image.Image,
    row: str,
    box: tuple[float, float, float, float],
    colours: Palette,
    font: Path,
    stroke: int,
    mark: bool,
    relief: int = 0,
) -> None:
    """One printed row in ``box``; with ``mark``, parted around a mark between two groups (what
    US, German and many other plates carry there, and what a reader must not read)."""
    chars = [ch for ch in row if ch.isalnum()]
    if not mark or len(chars) < 4:
        _paste_text(canvas, row, box, colours.text, font, stroke, relief)
        return
    cut = _split_at(rng, row)
    left, right = row[:cut].rstrip(" -."), row[cut:].lstrip(" -.")
    if len(left) < 1 or len(right) < 1:
        _paste_text(canvas, row, box, colours.text, font, stroke, relief)
        return
    x1, y1, x2, y2 = box
    per_char = (x2 - x1) / len(row)
    gap = per_char * rng.uniform(0.8, 1.6)
    ink = x2 - x1 - gap
    wl = ink * len(left) / (len(left) + len(right))
    _paste_text(canvas, left, (x1, y1, x1 + wl, y2), colours.text, font, stroke, relief)
    _paste_text(canvas, right, (x1 + wl + gap, y1, x2, y2), colours.text, font, stroke, relief)
    pad = gap * 0.1
    _draw_mark(rng, canvas, (x1 + wl + pad, y1, x1 + wl + gap - pad, y2), colours, font)


def render_plate(
    plate: PlateText,
    font: Path,
    rng: random.Random,
    scale: float = 1.0,
    gap_marks: float = 0.0,
    backdrops: float = 0.0,
    emboss: float = 0.0,
) -> np.ndarray:
    """A frontal plate image (RGB uint8) for ``plate`` drawn in ``font``; ``gap_marks`` is the
    chance that a one-row plate carries a sticker or emblem between its character groups,
    ``backdrops`` that a US or generic plate has a printed picture behind its characters, and
    ``emboss`` that the characters are embossed (lit edge and shadow)."""
    style = plate.style
    if style in SIZES_MM:
        mm = SIZES_MM[style]
    elif len(plate.rows) == 2:
        mm = (330, 165)
    else:
        mm = (520, 110)
    width = round(mm[0] * PX_PER_MM * scale)
    height = round(mm[1] * PX_PER_MM * scale)
    colours = palette_for(style, rng)
    canvas = Image.new("RGB", (width, height), colours.background)
    draw = ImageDraw.Draw(canvas)
    stroke = rng.choice((0, 0, 0, 1, 2))
    # ``rng`` is drawn from only for the shares asked for, so older recipes render as they did.
    if backdrops and style in ("us", "generic") and rng.random() < backdrops:
        _paint_backdrop(rng, canvas, colours)
    relief = 0
    if emboss and rng.random() < emboss:
        relief = max(1, round(rng.uniform(0.006, 0.02) * height))

    # Where the plate's own characters go (fractions of the height), and the small print.
    top_band, bottom_band = 0.12, 0.88
    left = 0.0
    if style == "us":
        top_band, bottom_band = rng.uniform(0.22, 0.3), rng.uniform(0.78, 0.86)
        _paste_text(
            canvas,
            rng.choice(_WORDS[:18]),
            _row_box(rng, "XXXXXXX", width, 0.05 * height, top_band * height - 3),
            colours.text,
            font,
        )
        if rng.random() < 0.7:
            _paste_text(
                canvas,
                rng.choice(_WORDS[18:28]),
                _row_box(rng, "XXXX", width, bottom_band * height + 3, 0.95 * height),
                colours.text,
                font,
            )
    elif style == "eu":
        left = rng.uniform(0.07, 0.1)
        draw.rectangle((0, 0, left * width, height), fill=_jitter(rng, (20, 50, 160)))
        cx, cy, r = left * width / 2, height * 0.35, left * width * 0.32
        for k in range(12):
            a = 2 * np.pi * k / 12
            x, y = cx + r * np.cos(a), cy + r * np.sin(a)
            draw.ellipse((x - 1.2, y - 1.2, x + 1.2, y + 1.2), fill=(240, 200, 40))
        code = rng.choice(("D", "F", "NL", "PL", "I", "E", "CZ", "A", "B"))
        _paste_text(
            canvas,
            code,
            (left * width * 0.2, height * 0.6, left * width * 0.8, height * 0.88),
            (240, 240, 240),
            font,
        )
    elif style == "br_mercosur":
        band = rng.uniform(0.2, 0.26)
        draw.rectangle((0, 0, width, band * height), fill=_jitter(rng, (20, 60, 160)))
        _paste_text(
            canvas,
            "BRASIL",
            (width * 0.38, band * height * 0.2, width * 0.62, band * height * 0.8),
            (240, 240, 240),
            font,
        )
        top_band, bottom_band = band + 0.08, 0.9
    elif style == "br_old":
        top_band = rng.uniform(0.28, 0.33)
        _paste_text(
            canvas,
            rng.choice(_WORDS[28:31]),
            _row_box(rng, "XXXXX", width, 0.06 * height, top_band * height - 4),
            colours.text,
            font,
        )
        bottom_band = 0.9
    elif style.startswith("vn") and rng.random() < 0.3:
        top_band, bottom_band = 0.1, 0.9

    inner_w = width * (1 - left)
    rows = plate.rows
    # Vietnamese and Brazilian plates carry nothing between their groups but a dash or a dot.
    mark = (
        bool(gap_marks)
        and len(rows) == 1
        and style in ("us", "eu", "generic")
        and rng.random() < gap_marks
    )
    gap = 0.06 if len(rows) == 2 else 0.0
    span = (bottom_band - top_band - gap * (len(rows) - 1)) / len(rows)
    for i, row in enumerate(rows):
        y1 = (top_band + i * (span + gap)) * height
        x1, _, x2, _ = _row_box(rng, row, round(inner_w), 0, 0)
        box = (left * width + x1, y1, left * width + x2, y1 + span * height)
        _paste_row(rng, canvas, row, box, colours, font, stroke, mark, relief)

    if rng.random() < 0.75:  # embossed border
        t = max(1, round(rng.uniform(0.01, 0.03) * height))
        inset = round(rng.uniform(0.0, 0.04) * height)
        draw.rectangle(
            (inset, inset, width - 1 - inset, height - 1 - inset), outline=colours.text, width=t
        )
    if rng.random() < 0.4:  # bolts
        r = max(1.5, 0.035 * height)
        ys = (0.08 * height, 0.92 * height) if rng.random() < 0.5 else (0.06 * height,)
        for y in ys:
            for x in (0.2 * width, 0.8 * width):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randint(90, 200),) * 3)
    return np.asarray(canvas)
