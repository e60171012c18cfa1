"""Cars drawn from shapes, front and rear, for the vehicles no shipped photo covers.

No installed wheel carries a photo of a car, so cars are painted: a shaded body, a tinted
glasshouse with a sky reflection, lamps, grille, tyres and a little sensor noise. The
detector's hit rate on them is measured, not assumed (see ``measure.py``).
"""

from __future__ import annotations

import cv2
import numpy as np

from sample_videos.sprite import Sprite

# Drawn at twice the master size, then halved: cheap anti-aliasing for the polygons.
_W, _H = 1000, 760
Colour = tuple[int, int, int]


def _poly(img: np.ndarray, points: list[tuple[float, float]], colour: Colour) -> None:
    pts = np.array([[int(x * _W), int(y * _H)] for x, y in points], np.int32)
    cv2.fillPoly(img, [pts], colour, cv2.LINE_AA)


def _rrect(
    img: np.ndarray, box: tuple[float, float, float, float], r: float, colour: Colour
) -> None:
    """A rounded rectangle in fractional coordinates (r as a fraction of the width)."""
    x1, y1, x2, y2 = int(box[0] * _W), int(box[1] * _H), int(box[2] * _W), int(box[3] * _H)
    rad = max(1, int(r * _W))
    cv2.rectangle(img, (x1 + rad, y1), (x2 - rad, y2), colour, -1, cv2.LINE_AA)
    cv2.rectangle(img, (x1, y1 + rad), (x2, y2 - rad), colour, -1, cv2.LINE_AA)
    for cx, cy in (
        (x1 + rad, y1 + rad),
        (x2 - rad, y1 + rad),
        (x1 + rad, y2 - rad),
        (x2 - rad, y2 - rad),
    ):
        cv2.circle(img, (cx, cy), rad, colour, -1, cv2.LINE_AA)


def _gradient_fill(
    img: np.ndarray, pts: list[tuple[float, float]], top: Colour, bottom: Colour
) -> None:
    """Fill a polygon with a vertical colour ramp between its own top and bottom rows."""
    mask = np.zeros(img.shape[:2], np.uint8)
    _poly_mask(mask, pts)
    ys = np.nonzero(mask.any(axis=1))[0]
    if len(ys) == 0:
        return
    t = np.clip((np.arange(img.shape[0]) - ys[0]) / max(1, ys[-1] - ys[0]), 0, 1)[:, None]
    ramp = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    layer = np.broadcast_to(ramp[:, None, :], img.shape)
    img[mask > 0] = layer[mask > 0].astype(np.uint8)


def _poly_mask(mask: np.ndarray, pts: list[tuple[float, float]]) -> None:
    arr = np.array([[int(x * _W), int(y * _H)] for x, y in pts], np.int32)
    cv2.fillPoly(mask, [arr], 255, cv2.LINE_AA)


def _scale(colour: Colour, k: float, add: int = 0) -> Colour:
    return (
        min(255, int(colour[0] * k) + add),
        min(255, int(colour[1] * k) + add),
        min(255, int(colour[2] * k) + add),
    )


def _body(colour: Colour, rear: bool) -> tuple[np.ndarray, np.ndarray]:
    """A car seen from a camera above the road: roof, glass, bonnet or boot, then the face.

    Seeing the top surfaces in perspective (not a flat elevation) is what made the detector
    take these for cars at every size; a flat front view only passed when tiny.
    """
    img = np.zeros((_H, _W, 3), np.uint8)
    tyre: Colour = (20, 20, 22)
    for x1 in (0.06, 0.80):
        _rrect(img, (x1, 0.82, x1 + 0.14, 1.0), 0.02, tyre)
    glass_bottom = 0.30 if rear else 0.38
    deck_bottom = 0.50 if rear else 0.56
    # Cabin outline in body colour (pillars), then the roof panel catching the sky.
    _poly(
        img,
        [(0.08, glass_bottom + 0.01), (0.92, glass_bottom + 0.01), (0.80, 0.03), (0.20, 0.03)],
        _scale(colour, 0.85),
    )
    _gradient_fill(
        img,
        [(0.23, 0.04), (0.77, 0.04), (0.80, 0.12), (0.20, 0.12)],
        _scale(colour, 1.15, 30),
        _scale(colour, 1.0, 10),
    )
    # Bonnet (front) or boot lid (rear): a lit surface, brightest where it meets the glass.
    _gradient_fill(
        img,
        [(0.08, glass_bottom), (0.92, glass_bottom), (0.99, deck_bottom), (0.01, deck_bottom)],
        _scale(colour, 1.2, 35),
        _scale(colour, 0.95),
    )
    # The face: full width, darkening towards the ground.
    _gradient_fill(
        img,
        [(0.01, deck_bottom), (0.99, deck_bottom), (0.98, 0.92), (0.02, 0.92)],
        _scale(colour, 0.95),
        _scale(colour, 0.55),
    )
    alpha = np.where(img.max(axis=2) > 0, 255, 0).astype(np.uint8)
    return img, alpha


def _glass(img: np.ndarray, rear: bool) -> None:
    """Windscreen or rear window: dark tint, sky reflected near the top, one slanted glare."""
    bottom = 0.30 if rear else 0.38
    pts = [(0.20, 0.125), (0.80, 0.125), (0.89, bottom), (0.11, bottom)]
    _gradient_fill(img, pts, (150, 135, 120), (45, 38, 34))
    glare = np.zeros_like(img)
    _poly(glare, [(0.34, bottom), (0.44, bottom), (0.52, 0.125), (0.46, 0.125)], (45, 45, 45))
    mask = np.zeros(img.shape[:2], np.uint8)
    _poly_mask(mask, pts)
    img[mask > 0] = cv2.add(img, glare)[mask > 0]
    # Head restraints and the driver show as dark shapes through the glass.
    for cx in (0.35, 0.65):
        cv2.ellipse(
            img,
            (int(cx * _W), int((bottom - 0.01) * _H)),
            (int(0.08 * _W), int(0.09 * _H)),
            0,
            180,
            360,
            (28, 26, 25),
            -1,
            cv2.LINE_AA,
        )


def _finish(img: np.ndarray, alpha: np.ndarray, seed: int) -> np.ndarray:
    """Halve, add a little sensor noise and blur, attach alpha."""
    rng = np.random.default_rng(seed)
    small = cv2.resize(img, (_W // 2, _H // 2), interpolation=cv2.INTER_AREA)
    a = cv2.resize(alpha, (_W // 2, _H // 2), interpolation=cv2.INTER_AREA)
    noise = np.asarray(rng.normal(0, 4, small.shape), np.float32)
    small = np.clip(small.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    return np.dstack([small, a])


def car_front(colour: Colour, seed: int) -> Sprite:
    """A car coming towards the camera: bonnet, headlamps, grille, plate in the bumper."""
    img, alpha = _body(colour, rear=False)
    _glass(img, rear=False)
    dark: Colour = (28, 28, 30)
    _rrect(img, (0.30, 0.595, 0.70, 0.70), 0.02, dark)
    for i in range(4):
        y = int((0.615 + i * 0.022) * _H)
        cv2.line(img, (int(0.31 * _W), y), (int(0.69 * _W), y), (95, 95, 100), 3)
    cv2.ellipse(
        img, (_W // 2, int(0.645 * _H)), (26, 16), 0, 0, 360, (205, 205, 210), -1, cv2.LINE_AA
    )
    _poly(img, [(0.20, 0.86), (0.80, 0.86), (0.76, 0.915), (0.24, 0.915)], dark)
    for side in (-1, 1):
        outer, inner = 0.5 + side * 0.47, 0.5 + side * 0.23
        _poly(img, [(outer, 0.575), (inner, 0.59), (inner, 0.665), (outer, 0.665)], (185, 185, 190))
        _poly(
            img,
            [
                (outer - side * 0.015, 0.585),
                (inner + side * 0.01, 0.60),
                (inner + side * 0.01, 0.655),
                (outer - side * 0.015, 0.655),
            ],
            (240, 248, 255),
        )
        _poly(
            img,
            [
                (outer - side * 0.015, 0.63),
                (outer - side * 0.06, 0.63),
                (outer - side * 0.06, 0.655),
                (outer - side * 0.015, 0.655),
            ],
            (40, 160, 240),
        )
        cv2.circle(
            img,
            (int((0.5 + side * 0.37) * _W), int(0.83 * _H)),
            16,
            (215, 220, 225),
            -1,
            cv2.LINE_AA,
        )
    bgra = _finish(img, alpha, seed)
    return Sprite(bgra, width_m=1.80, plate_centre=(0.5, 0.775), plate_width=0.46)


def car_rear(colour: Colour, seed: int) -> Sprite:
    """A car driving away: boot lid, tail lamps, plate recess, bumper and exhaust."""
    img, alpha = _body(colour, rear=True)
    _glass(img, rear=True)
    dark: Colour = (28, 28, 30)
    for side in (-1, 1):
        outer, inner = 0.5 + side * 0.48, 0.5 + side * 0.26
        _poly(img, [(outer, 0.515), (inner, 0.52), (inner, 0.62), (outer, 0.645)], (20, 20, 150))
        _poly(
            img,
            [
                (outer - side * 0.02, 0.53),
                (inner + side * 0.03, 0.535),
                (inner + side * 0.03, 0.575),
                (outer - side * 0.02, 0.585),
            ],
            (60, 60, 230),
        )
        _poly(
            img,
            [
                (inner + side * 0.01, 0.59),
                (inner + side * 0.06, 0.59),
                (inner + side * 0.06, 0.615),
                (inner + side * 0.01, 0.615),
            ],
            (230, 230, 235),
        )
    _rrect(img, (0.27, 0.655, 0.73, 0.81), 0.02, _scale(colour, 0.6))
    _poly(img, [(0.08, 0.86), (0.92, 0.86), (0.90, 0.915), (0.10, 0.915)], dark)
    cv2.ellipse(
        img, (int(0.25 * _W), int(0.905 * _H)), (22, 11), 0, 0, 360, (60, 60, 65), -1, cv2.LINE_AA
    )
    bgra = _finish(img, alpha, seed)
    return Sprite(bgra, width_m=1.80, plate_centre=(0.5, 0.735), plate_width=0.46)
