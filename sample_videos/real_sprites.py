"""Vehicle sprites cut from real photos that ship inside installed wheels.

The detector must find the sample vehicles the way it finds real ones, and drawn shapes
rarely fool it as well as a photo does; so the bus and the motorcycle are photos:
ultralytics' ``assets/bus.jpg`` and scikit-image's stereo motorcycle pair.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from sample_videos.sprite import Sprite


def _package_file(package: str, relative: str) -> Path:
    # find_spec, not import: the path is all we need, and it keeps imports cheap.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (needed for {relative})")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(f"cannot decode {path}")
    return np.asarray(image, np.uint8)


def bus() -> Sprite:
    """The blue city bus, cut to the part behind the two people standing in front of it.

    The people cover the bus's front half; the rear half (windows, livery, rear wheel) is
    clear and the detector still calls it a bus. Bollards touch the very bottom, so the
    cut stops above them and a dark skirt is painted in their place.
    """
    image = _read(_package_file("ultralytics", "assets/bus.jpg"))
    crop = image[232:700, 352:768].copy()
    h, w = crop.shape[:2]
    # Rows below about 0.93 hold the bollards' tops; paint them as the bus's dark skirt.
    skirt = int(h * 0.93)
    crop[skirt:] = (crop[skirt:] * 0.0 + np.array([38, 36, 34])).astype(np.uint8)
    alpha = np.full((h, w), 255, np.uint8)
    # Round the roof corners a little so the cut does not read as a rectangle of photo.
    radius = int(w * 0.05)
    for cx in (radius, w - radius - 1):
        corner = np.zeros_like(alpha)
        cv2.circle(corner, (cx, radius), radius, 255, -1)
        side = slice(0, cx) if cx == radius else slice(cx, w)
        alpha[:radius, side] = corner[:radius, side]
    bgra = np.dstack([crop, alpha])
    return Sprite(bgra, width_m=2.5, plate_centre=(0.5, 0.86), plate_width=0.30)


def motorcycle(mirrored: bool = False) -> Sprite:
    """The red motorcycle, cut from its garage with the stereo disparity and GrabCut.

    Disparity separates it from the wall; the floor rises in disparity towards the
    bottom, so a per-row floor level (from the image's edge columns, which are floor)
    is subtracted first. GrabCut then refines the rough mask along colour edges.
    Only the left view has a disparity map, so the other heading is its mirror image.
    """
    image = _read(_package_file("skimage", "data/motorcycle_left.png"))
    disparity = np.load(_package_file("skimage", "data/motorcycle_disp.npz"))["arr_0"]
    finite = np.where(np.isfinite(disparity), disparity, 0.0)
    edges = np.concatenate([finite[:, :40], finite[:, -40:]], axis=1)
    floor = np.median(edges, axis=1)
    rough = (finite > np.maximum(floor + 4.0, 30.0)[:, None]).astype(np.uint8)
    rough[470:] = 0
    rough = cv2.morphologyEx(rough, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    rough = cv2.morphologyEx(rough, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    # The motorcycle's known extent (the detector's box on the photo) bounds everything.
    x1, y1, x2, y2 = 95, 40, 685, 455
    mask = np.full(rough.shape, cv2.GC_BGD, np.uint8)
    mask[y1:y2, x1:x2] = cv2.GC_PR_BGD
    mask[y1:y2, x1:x2][rough[y1:y2, x1:x2] > 0] = cv2.GC_PR_FGD
    eroded = cv2.erode(rough, np.ones((9, 9), np.uint8))
    mask[y1:y2, x1:x2][eroded[y1:y2, x1:x2] > 0] = cv2.GC_FGD
    # Pixels whose disparity puts them clearly behind the bike (shelves, wall, floor) are
    # background for sure; without this GrabCut follows the red crate on the shelf.
    behind = (finite > 0) & (finite < np.maximum(floor + 1.0, 32.0)[:, None])
    mask[behind] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(7)
    cv2.grabCut(image, mask, (0, 0, 0, 0), bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
    fg: np.ndarray = np.where(np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)), 255, 0).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    # Keep the largest component: stray shelf items with bike-like disparity fall away.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg)
    if count > 1:
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        fg = np.where(labels == biggest, 255, 0).astype(np.uint8)
    alpha = cv2.GaussianBlur(fg, (0, 0), 1.0)
    ys, xs = np.nonzero(fg)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    bgra = np.dstack([image, alpha])[top:bottom, left:right].copy()
    if mirrored:
        bgra = bgra[:, ::-1].copy()
    # The rear plate hangs under the seat's tail, at the rear fender (left end as shot).
    rear_x = 0.92 if mirrored else 0.08
    return Sprite(bgra, width_m=2.1, plate_centre=(rear_x, 0.42), plate_width=0.22)
