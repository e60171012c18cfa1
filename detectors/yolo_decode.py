"""YOLOv8 outputs -> boxes, in numpy: the raw head EntryWatch prepares, the exported ``output0``,
and non-maximum suppression.

Two layouts come out of an ONNX YOLOv8:

- ``raw``: what ``detectors.prepare`` writes, the head cut before its decode. Per stride (8, 16,
  32) a box tensor ``(B, 64, H, W)`` (4 sides x 16 distance bins, DFL) and a class tensor
  ``(B, nc, H, W)`` of logits. Any input size runs (the graph is all convolutions), and only the
  anchors whose best class clears the floor are decoded.
- ``decoded``: ultralytics' own export, ``(B, 4 + nc, N)``: centre, size and class scores for
  ``N`` anchors of the size it was exported at. Users' own ``.onnx`` exports look like this.

Selection follows ultralytics' ``non_max_suppression`` (best class per anchor over all classes,
then the ``classes`` filter, class-aware NMS at IoU 0.7, at most 300 boxes), so the runtimes
agree box for box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

REG_MAX = 16  # DFL bins per box side in YOLOv8
_BINS = np.arange(REG_MAX, dtype=np.float32)
# ultralytics offsets each class's boxes by this much so one NMS pass keeps classes apart.
_CLASS_OFFSET = 7680.0


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def decode_raw(
    levels: Sequence[tuple[int, np.ndarray, np.ndarray]], confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw head -> (xyxy in network pixels, score, class) above ``confidence``.

    ``levels``: (stride, box (64, H, W), class logits (nc, H, W)) per stride.
    """
    floor = _logit(confidence)
    boxes, scores, classes = [], [], []
    for stride, box, cls in levels:
        nc, h, w = cls.shape
        logits = cls.reshape(nc, h * w)
        best = logits.argmax(axis=0)
        best_logit = np.take_along_axis(logits, best[None], axis=0)[0]
        keep = np.flatnonzero(best_logit > floor)
        if keep.size == 0:
            continue
        dist = box.reshape(4, REG_MAX, h * w)[:, :, keep]
        dist = np.exp(dist - dist.max(axis=1, keepdims=True))
        sides = (dist * _BINS[None, :, None]).sum(axis=1) / dist.sum(axis=1)  # (4, k)
        ay, ax = np.divmod(keep, w)
        cx, cy = ax + 0.5, ay + 0.5
        xyxy = np.stack([cx - sides[0], cy - sides[1], cx + sides[2], cy + sides[3]], axis=1)
        boxes.append(xyxy * stride)
        scores.append(1.0 / (1.0 + np.exp(-best_logit[keep])))
        classes.append(best[keep])
    if not boxes:
        return np.empty((0, 4), np.float32), np.empty(0, np.float32), np.empty(0, np.int32)
    return (
        np.concatenate(boxes).astype(np.float32),
        np.concatenate(scores).astype(np.float32),
        np.concatenate(classes).astype(np.int32),
    )


def decode_exported(
    output: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image of ultralytics' ``output0`` ``(4 + nc, N)`` -> (xyxy, score, class)."""
    scores_all = output[4:]
    best = scores_all.argmax(axis=0)
    score = np.take_along_axis(scores_all, best[None], axis=0)[0]
    keep = np.flatnonzero(score > confidence)
    cx, cy, w, h = output[:4, keep]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return xyxy.astype(np.float32), score[keep].astype(np.float32), best[keep].astype(np.int32)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = xyxy.T
    areas = (x2 - x1) * (y2 - y1)
    kept: list[int] = []
    while order.size:
        i = int(order[0])
        kept.append(i)
        rest = order[1:]
        iw = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        ih = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = iw * ih
        overlap = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[overlap <= iou]
    return np.asarray(kept, dtype=np.int64)


def select(
    xyxy: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    *,
    keep_classes: Sequence[int] | None = None,
    iou: float = 0.7,
    max_det: int = 300,
) -> np.ndarray:
    """Indices of the boxes kept: only ``keep_classes`` (when given), class-aware NMS."""
    idx = np.arange(len(scores))
    if keep_classes is not None:
        idx = idx[np.isin(classes, np.asarray(list(keep_classes)))]
    if idx.size == 0:
        return idx
    shifted = xyxy[idx] + (classes[idx].astype(np.float32) * _CLASS_OFFSET)[:, None]
    return idx[nms(shifted, scores[idx], iou)][:max_det]
