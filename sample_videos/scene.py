"""The road and the camera: a flat ground plane seen from a fixed camera above the road.

A point on the road at distance ``d`` metres ahead of the camera and ``X`` metres to its
side appears at ``y = horizon + F / d`` and ``x = cx + (X - camera_x) * s`` where
``s = (y - horizon) / height_m`` is the scale in pixels per metre at that row. Vehicles
use the same ``s`` for their size, so they shrink towards the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class Camera:
    horizon: float = 150.0
    height_m: float = 3.5
    focal_px: float = 1000.0
    camera_x: float = -1.0  # the camera stands over the inbound half of the road
    cx: float = WIDTH / 2

    def row(self, d: float) -> float:
        """Image row of the road point ``d`` metres ahead."""
        return self.horizon + self.focal_px * self.height_m / d

    def distance(self, row: float) -> float:
        """Distance ahead of the road point at image ``row`` (inverse of :meth:`row`)."""
        return self.focal_px * self.height_m / (row - self.horizon)

    def scale(self, d: float) -> float:
        """Pixels per metre for things standing ``d`` metres ahead."""
        return self.focal_px / d

    def column(self, x_m: float, d: float) -> float:
        return self.cx + (x_m - self.camera_x) * self.scale(d)


# Road layout across (metres from the centre line; negative is the inbound half).
CAR_LANE = 3.5
ROAD_HALF = 6.5


def _value_noise(shape: tuple[int, int], cell: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [-1, 1]: random values on a coarse grid, upsampled."""
    small = rng.uniform(-1, 1, (shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def background(camera: Camera, seed: int) -> np.ndarray:
    """Render the empty road: asphalt with texture, lane markings, verges, trees, sky."""
    rng = np.random.default_rng(seed)
    img = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    below = ys > camera.horizon + 2
    d = np.where(below, camera.focal_px * camera.height_m / np.maximum(ys - camera.horizon, 1), 1e6)
    x_m = camera.camera_x + (xs - camera.cx) * d / camera.focal_px

    # Ground-plane texture, sampled at road coordinates so it foreshortens like the road.
    tex_small = rng.normal(0, 1, (512, 512)).astype(np.float32)
    tex_small = cv2.GaussianBlur(tex_small, (0, 0), 1.2) * 2.5
    u = ((x_m * 40) % 512).astype(np.float32)
    v = ((d * 40) % 512).astype(np.float32)
    grain = cv2.remap(tex_small, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    blotch = cv2.remap(
        cv2.GaussianBlur(rng.normal(0, 1, (256, 256)).astype(np.float32), (0, 0), 6) * 12,
        ((x_m * 4) % 256).astype(np.float32),
        ((d * 4) % 256).astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_WRAP,
    )
    # Fine grain fades with distance, as the camera would blur it.
    fade = np.clip(12.0 / d, 0, 1)
    shade = grain * 9 * fade + blotch

    road = below & (np.abs(x_m) <= ROAD_HALF)
    asphalt = np.array([92, 96, 98], np.float32)
    verge = np.array([70, 105, 95], np.float32)  # dusty green-brown
    kerb = np.array([150, 155, 160], np.float32)
    img[road] = asphalt
    img[below & ~road] = verge
    img[below & (np.abs(x_m) > ROAD_HALF) & (np.abs(x_m) < ROAD_HALF + 0.3)] = kerb
    img[below] += shade[below, None]

    # Markings: dashed centre line, solid lines between car and motorbike lanes, edge lines.
    def paint(mask: np.ndarray, colour: tuple[int, int, int]) -> None:
        img[mask] = np.array(colour, np.float32) + shade[mask, None] * 0.5

    half_w = 0.08
    dashed = (np.abs(x_m) < half_w) & ((d % 9.0) < 3.0) & below
    paint(dashed, (200, 205, 210))
    for side in (-1, 1):
        paint(below & (np.abs(x_m - side * CAR_LANE) < half_w), (205, 210, 215))
        paint(below & (np.abs(x_m - side * (ROAD_HALF - 0.25)) < half_w), (205, 210, 215))

    # Sky and a tree line along the horizon, so the frame is not half empty grey.
    sky_t = np.clip(ys / max(camera.horizon, 1), 0, 1)[..., None]
    sky = np.array([235, 215, 190], np.float32) * (1 - sky_t) + np.array([210, 205, 195]) * sky_t
    img[~below] = sky[~below]
    ridge = camera.horizon - 18 - 28 * (_value_noise((1, WIDTH), 60, rng)[0] + 1)
    trees = (ys < camera.horizon + 3) & (ys > ridge[None, :])
    foliage = _value_noise((HEIGHT, WIDTH), 9, rng)[..., None] * 25
    img[trees] = (np.array([55, 95, 60], np.float32) + foliage)[trees]

    # Roadside trees as dark canopies on the verges, nearer ones bigger.
    for _ in range(14):
        side = rng.choice((-1, 1))
        dist = float(rng.uniform(9, 90))
        x_tree = side * float(rng.uniform(ROAD_HALF + 2.5, ROAD_HALF + 6))
        s = camera.scale(dist)
        cx, cy = camera.column(x_tree, dist), camera.row(dist)
        trunk_h = 2.5 * s
        cv2.rectangle(
            img,
            (int(cx - 0.15 * s), int(cy - trunk_h)),
            (int(cx + 0.15 * s), int(cy)),
            (40, 55, 70),
            -1,
        )
        cv2.circle(img, (int(cx), int(cy - trunk_h - 1.2 * s)), int(1.8 * s), (40, 85, 50), -1)

    out = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(out, (3, 3), 0)


def shadow(frame: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """A soft contact shadow under a vehicle whose box is ``box`` (x1, y1, x2, y2)."""
    x1, _, x2, y2 = box
    w = x2 - x1
    if w <= 2:
        return
    layer = np.zeros(frame.shape[:2], np.uint8)
    centre = (int((x1 + x2) / 2), int(y2 - w * 0.02))
    cv2.ellipse(layer, centre, (int(w * 0.56), max(2, int(w * 0.07))), 0, 0, 360, 255, -1)
    sigma = max(1.0, w * 0.02)
    pad = int(sigma * 3 + w * 0.6)
    ya, yb = max(0, centre[1] - pad), min(frame.shape[0], centre[1] + pad)
    xa, xb = max(0, centre[0] - pad), min(frame.shape[1], centre[0] + pad)
    if ya >= yb or xa >= xb:
        return
    patch = cv2.GaussianBlur(layer[ya:yb, xa:xb], (0, 0), sigma).astype(np.float32) / 255
    frame[ya:yb, xa:xb] = (frame[ya:yb, xa:xb] * (1 - 0.6 * patch[..., None])).astype(np.uint8)
