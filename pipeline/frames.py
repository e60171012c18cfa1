"""The one frame object every source yields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded image and where it came from.

    ``timestamp`` is seconds: the media position for files and image folders,
    the wall clock (Unix time) for live streams.
    """

    camera_id: str
    index: int
    timestamp: float
    image: np.ndarray
    source: str
