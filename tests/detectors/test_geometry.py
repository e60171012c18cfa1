"""Letterbox geometry and the YOLOv8 decode, on arrays made here (no model)."""

from __future__ import annotations

import numpy as np

from detectors.letterbox import PAD_VALUE, input_shape, letterbox
from detectors.yolo_decode import REG_MAX, decode_exported, decode_raw, nms, select


def test_a_720p_frame_keeps_its_aspect_ratio_padded_to_the_stride() -> None:
    assert input_shape((720, 1280), 640) == (384, 640)
    assert input_shape((720, 1280), 480) == (288, 480)
    assert input_shape((250, 300), 320) == (288, 320)  # a vehicle crop, scaled up
    assert input_shape((720, 1280), 640, fixed=(640, 640)) == (640, 640)


def test_letterbox_centres_the_frame_and_maps_boxes_back() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    image[:, :, 2] = 255  # red in BGR
    tensor, geometry = letterbox(image, (384, 640))
    assert tensor.shape == (3, 384, 640) and tensor.dtype == np.float32
    assert geometry.gain == 0.5 and (geometry.left, geometry.top) == (0, 12)
    assert tensor[0, 100, 100] == 1.0 and tensor[2, 100, 100] == 0.0  # RGB order
    assert np.isclose(tensor[1, 0, 0], PAD_VALUE / 255)  # the grey band above
    back = geometry.to_frame(np.array([[50, 22, 150, 112], [-20, 0, 700, 900]], np.float32))
    assert back[0].tolist() == [100, 20, 300, 200]
    assert back[1].tolist() == [0, 0, 1280, 720]  # clipped to the frame


def _bins(distance: float) -> np.ndarray:
    """DFL logits whose expectation is ``distance`` (between two bins)."""
    logits = np.full(REG_MAX, -20.0, np.float32)
    low = int(distance)
    frac = distance - low
    logits[low] = np.log(max(1 - frac, 1e-9))
    if frac:
        logits[low + 1] = np.log(frac)
    return logits


def test_raw_head_decodes_one_anchor_to_its_box_and_skips_weak_ones() -> None:
    h, w, nc = 4, 5, 3
    box = np.zeros((4 * REG_MAX, h, w), np.float32)
    cls = np.full((nc, h, w), -10.0, np.float32)
    # Anchor at row 2, column 3 (centre 3.5, 2.5 in grid units), class 1 at logit 2.
    for side, dist in enumerate((1.5, 0.5, 2.0, 1.0)):
        box[side * REG_MAX : (side + 1) * REG_MAX, 2, 3] = _bins(dist)
    cls[1, 2, 3] = 2.0
    cls[0, 0, 0] = -1.5  # sigmoid 0.18: under the 0.25 floor
    xyxy, scores, classes = decode_raw([(8, box, cls)], confidence=0.25)
    assert classes.tolist() == [1]
    assert np.isclose(scores[0], 1 / (1 + np.exp(-2.0)))
    np.testing.assert_allclose(xyxy[0], np.array([2.0, 2.0, 5.5, 3.5]) * 8, atol=1e-3)


def test_exported_output_decodes_centre_and_size() -> None:
    out = np.zeros((4 + 2, 3), np.float32)
    out[:4, 1] = (100, 50, 20, 10)
    out[5, 1] = 0.9
    out[4, 2] = 0.1
    xyxy, scores, classes = decode_exported(out, 0.25)
    assert xyxy.tolist() == [[90, 45, 110, 55]] and classes.tolist() == [1]
    assert np.isclose(scores[0], 0.9)


def test_nms_keeps_the_best_of_overlapping_boxes_per_class_and_filters_classes() -> None:
    boxes = [[0, 0, 10, 10], [0.5, 0.5, 10.5, 10.5], [0, 0, 10, 10], [50, 50, 60, 60]]
    xyxy = np.array(boxes, np.float32)
    scores = np.array([0.6, 0.9, 0.5, 0.4], np.float32)
    classes = np.array([2, 2, 7, 0], np.int32)
    assert nms(xyxy, scores, 0.7).tolist() == [1, 3]  # class-blind
    assert sorted(select(xyxy, scores, classes).tolist()) == [1, 2, 3]  # class-aware
    assert sorted(select(xyxy, scores, classes, keep_classes=[2, 7]).tolist()) == [1, 2]
    assert select(xyxy, scores, classes, keep_classes=[5]).size == 0
