"""YOLO input: a frame letterboxed into the network's input, and boxes mapped back to the frame.

The same geometry as ultralytics' ``LetterBox`` (resize keeping the aspect ratio, pad with grey
114 to a multiple of the stride, or to the model's fixed square), so an ONNX model run here
sees what it saw under ultralytics.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """Where the frame went inside the network input: scale, then offset."""

    gain: float
    left: int
    top: int
    frame_hw: tuple[int, int]

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Network-input boxes -> frame pixels, clipped to the frame."""
        out = xyxy.astype(np.float32, copy=True)
        out[:, [0, 2]] -= self.left
        out[:, [1, 3]] -= self.top
        out /= self.gain
        h, w = self.frame_hw
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, w)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, h)
        return out


def input_shape(
    frame_hw: tuple[int, int], imgsz: int, stride: int = 32, fixed: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The network input (height, width) for a frame: the model's fixed shape when it has one,
    else the frame scaled to ``imgsz`` on its long side, padded up to a multiple of ``stride``
    (1280x720 at 640 -> 384x640: 40 % fewer pixels than the 640 square)."""
    if fixed is not None:
        return fixed
    h, w = frame_hw
    gain = min(imgsz / h, imgsz / w)
    nh, nw = max(round(h * gain), 1), max(round(w * gain), 1)
    return (-(-nh // stride) * stride, -(-nw // stride) * stride)


def letterbox(
    image: np.ndarray, shape: tuple[int, int], out: np.ndarray | None = None
) -> tuple[np.ndarray, Letterbox]:
    """``image`` (BGR, HxWx3 uint8) resized into ``shape`` (height, width) and centred.

    Returns the network tensor (3xHxW float32, RGB, 0-1), written into ``out`` when given (a
    slice of a batch), and the geometry to map boxes back.
    """
    h, w = image.shape[:2]
    th, tw = shape
    gain = min(th / h, tw / w)
    nh, nw = max(round(h * gain), 1), max(round(w * gain), 1)  # a thin image keeps a pixel
    resized = image if (nh, nw) == (h, w) else cv2.resize(image, (nw, nh), interpolation=1)
    dh, dw = (th - nh) / 2, (tw - nw) / 2
    top, left = round(dh - 0.1), round(dw - 0.1)
    padded = cv2.copyMakeBorder(
        resized,
        top,
        th - nh - top,
        left,
        tw - nw - left,
        cv2.BORDER_CONSTANT,
        value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
    )
    if out is None:
        out = np.empty((3, th, tw), dtype=np.float32)
    # BGR -> RGB and HWC -> CHW in one strided copy, then scale in place.
    np.copyto(out, padded[:, :, ::-1].transpose(2, 0, 1), casting="unsafe")
    out *= 1.0 / 255.0
    return out, Letterbox(gain=gain, left=left, top=top, frame_hw=(h, w))
