"""Make a rendered plate look like a camera saw it, then crop it like the plate detector does.

The order follows the physics: the plate gets dirty and shaded, sits on a vehicle (clutter
around it), is seen at an angle (perspective, rotation), from a distance (down-scaled until the
characters are as small as 12 px, or less), through a lens and a moving shutter (defocus,
motion blur), by a noisy sensor at night or in glare, and is stored as JPEG. Finally it is cut
out with a loose or tight box, as ``detectors.plate`` boxes are.

Every knob is drawn from ``rng`` so a seed fixes the whole data set.
"""

from __future__ import annotations

import random

import cv2
import numpy as np


def _background(rng: random.Random, h: int, w: int, scenes: list[np.ndarray]) -> np.ndarray:
    """Something a plate is mounted on: a crop of a real photo, or a painted car body."""
    if scenes and rng.random() < 0.5:
        scene = rng.choice(scenes)
        sh, sw = scene.shape[:2]
        s = rng.uniform(0.3, 1.0)
        ch, cw = max(8, int(sh * s)), max(8, int(sw * s * w / max(h, 1) * sh / sw))
        ch, cw = min(ch, sh), min(cw, sw)
        y, x = rng.randint(0, sh - ch), rng.randint(0, sw - cw)
        return cv2.resize(scene[y : y + ch, x : x + cw], (w, h))
    body = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    grad = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.2), h, dtype=np.float32)
    img = np.clip(body[None, None, :] * grad[:, None, None] * np.ones((h, w, 1)), 0, 255)
    img = img.astype(np.uint8)
    for _ in range(rng.randint(0, 6)):  # grille bars, bumper edges, lamps
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        if rng.random() < 0.5:
            y = rng.randint(0, h - 1)
            cv2.line(img, (0, y), (w, y + rng.randint(-5, 5)), colour, rng.randint(1, 6))
        else:
            x, y = rng.randint(0, w - 1), rng.randint(0, h - 1)
            cv2.rectangle(
                img, (x, y), (x + rng.randint(5, w // 2), y + rng.randint(3, h // 3)), colour, -1
            )
    if rng.random() < 0.3:  # a dealer's sticker or a neighbour's text
        cv2.putText(
            img,
            "".join(rng.choice("ABCDEFGHKMNPRSTXYZ0123456789") for _ in range(4)),
            (rng.randint(0, w // 2), rng.randint(h // 8, h)),
            cv2.FONT_HERSHEY_SIMPLEX,
            rng.uniform(0.3, 0.8),
            tuple(rng.randint(0, 255) for _ in range(3)),
            1,
        )
    return img


def _soil(rng: random.Random, plate: np.ndarray) -> np.ndarray:
    """Dirt, scratches, a shadow edge and glare on the flat plate."""
    img = plate.astype(np.float32)
    h, w = img.shape[:2]
    if rng.random() < 0.35:  # dirt blotches
        mask: np.ndarray = np.zeros((h, w), np.float32)
        for _ in range(rng.randint(1, 8)):
            cv2.circle(
                mask,
                (rng.randint(0, w), rng.randint(0, h)),
                rng.randint(2, max(3, h // 4)),
                rng.uniform(0.2, 0.7),
                -1,
            )
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 20))
        img *= 1 - mask[..., None] * rng.uniform(0.3, 0.8)
    if rng.random() < 0.3:  # a shadow across part of the plate
        mask = np.zeros((h, w), np.float32)
        x1, x2 = rng.randint(-w, w), rng.randint(0, 2 * w)
        pts = np.array([[x1, 0], [x2, 0], [x2 + rng.randint(-w // 2, w // 2), h], [x1, h]])
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 15))
        img *= 1 - mask[..., None] * rng.uniform(0.3, 0.65)
    if rng.random() < 0.2:  # glare
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(
            mask,
            (rng.randint(0, w), rng.randint(0, h)),
            (rng.randint(w // 8, w // 2), rng.randint(h // 8, h // 2)),
            rng.uniform(0, 180),
            0,
            360,
            1.0,
            -1,
        )
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 8))
        img += mask[..., None] * rng.uniform(60, 200)
    return np.clip(img, 0, 255).astype(np.uint8)


def _occlude(rng: random.Random, img: np.ndarray) -> np.ndarray:
    """A tow hook, a leaf, a bar across a small part of the plate (never most of it)."""
    h, w = img.shape[:2]
    ow, oh = rng.randint(max(1, w // 20), max(2, w // 8)), rng.randint(max(1, h // 6), h)
    x = rng.choice((rng.randint(0, max(0, w // 10)), rng.randint(max(0, w - w // 8 - ow), w - 1)))
    y = rng.randint(0, max(0, h - oh))
    out = img.copy()
    out[y : y + oh, x : x + ow] = [rng.randint(0, 255) for _ in range(3)]
    return out


def camera_view(
    rng: random.Random,
    plate: np.ndarray,
    scenes: list[np.ndarray],
    *,
    min_char_px: float = 6.0,
    max_char_px: float = 40.0,
    glyph_share: float = 0.6,
) -> np.ndarray:
    """``plate`` (RGB) as a camera sees it, cropped like a detector box (BGR uint8).

    ``glyph_share`` is how much of the flat plate's height one character takes (about 0.74 on
    one-row plates, 0.35 on two-row ones: ``render.glyph_share``), so ``min_char_px`` and
    ``max_char_px`` are the characters' height on the camera image whatever the layout."""
    plate = _soil(rng, plate)
    if rng.random() < 0.08:
        plate = _occlude(rng, plate)
    ph, pw = plate.shape[:2]

    # Mount on a background with room for perspective and loose crops.
    mx, my = int(pw * 0.6), int(ph * 0.8)
    H, W = ph + 2 * my, pw + 2 * mx
    scene = _background(rng, H, W, scenes)
    quad = np.array([[mx, my], [mx + pw, my], [mx + pw, my + ph], [mx, my + ph]], np.float32)

    # Perspective: each corner moves independently, plus a rotation about the centre.
    jitter = rng.uniform(0.0, 0.12)
    offsets = [
        [rng.uniform(-jitter, jitter) * pw, rng.uniform(-jitter, jitter) * ph] for _ in "abcd"
    ]
    moved = quad + np.array(offsets, np.float32)
    angle = np.deg2rad(rng.gauss(0, 4))
    centre = moved.mean(axis=0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    moved = (moved - centre) @ rot.T + centre
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, moved.astype(np.float32))
    warped = cv2.warpPerspective(plate, matrix, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (W, H))
    scene = np.where(mask[..., None] > 127, warped, scene)

    # The detector's box: the quad's bounds, each side loosened or tightened on its own.
    x1, y1 = moved.min(axis=0)
    x2, y2 = moved.max(axis=0)
    bw, bh = x2 - x1, y2 - y1
    loose = rng.random() < 0.75

    def side(span: float) -> float:
        return span * (rng.uniform(-0.02, 0.18) if loose else rng.uniform(-0.03, 0.03))

    box = (x1 - side(bw), y1 - side(bh), x2 + side(bw), y2 + side(bh))
    bx1, by1 = max(0, int(box[0])), max(0, int(box[1]))
    bx2, by2 = min(W, int(np.ceil(box[2]))), min(H, int(np.ceil(box[3])))
    crop = scene[by1:by2, bx1:bx2]

    # Distance: shrink until one character row is ``char_px`` high, then the optics.
    rows_px = ph * glyph_share  # the glyphs' height at render size
    char_px = rng.uniform(min_char_px, max_char_px) if rng.random() < 0.7 else max_char_px
    factor = min(1.0, char_px / rows_px)
    if factor < 1.0:
        ch, cw = crop.shape[:2]
        crop = cv2.resize(
            crop, (max(4, int(cw * factor)), max(4, int(ch * factor))), interpolation=cv2.INTER_AREA
        )
    crop = _optics(rng, crop)
    return np.ascontiguousarray(crop[..., ::-1])


def _optics(rng: random.Random, img: np.ndarray) -> np.ndarray:
    h = img.shape[0]
    if rng.random() < 0.35:  # motion blur, mostly horizontal
        k = rng.randint(3, max(3, min(9, h // 3)))
        line = np.zeros((k, k), np.float32)
        line[k // 2, :] = 1.0
        turn = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.gauss(0, 20), 1.0)
        kernel = np.asarray(cv2.warpAffine(line, turn, (k, k)), np.float32)
        kernel /= max(float(kernel.sum()), 1e-6)
        img = cv2.filter2D(img, -1, kernel)
    elif rng.random() < 0.4:  # defocus
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, max(0.5, h / 40)))
    f: np.ndarray = img.astype(np.float64)
    if rng.random() < 0.25:  # night: dark, low contrast, gamma
        f = 255 * (f / 255) ** rng.uniform(1.2, 2.5) * rng.uniform(0.3, 0.8)
    else:
        f = (f - 128) * rng.uniform(0.6, 1.3) + 128 + rng.uniform(-40, 40)
    if rng.random() < 0.6:
        f += np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(2, 14), f.shape)
    img = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(12, 90)])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            img = decoded
    return img


def degrade(rng: random.Random, img: np.ndarray) -> np.ndarray:
    """A distant, cheap camera on top of the view: defocus, sensor noise and hard JPEG."""
    out = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.2))
    noisy = out.astype(np.float64) + np.random.default_rng(rng.getrandbits(32)).normal(
        0, rng.uniform(4, 10), out.shape
    )
    out = np.clip(noisy, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(20, 50)])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    return decoded if decoded is not None else out
