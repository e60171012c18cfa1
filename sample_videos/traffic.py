"""What happens in each clip: which vehicles, in which lane, where they are at each frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sample_videos.plates import Plate
from sample_videos.sprite import Sprite

# Distance (metres ahead of the camera) of the road point under the entry line's middle.
LINE_DISTANCE = 12.4


@dataclass(frozen=True)
class Vehicle:
    """One vehicle's script.

    ``path`` gives, per clip frame, the distance ahead of the camera in metres (``nan``
    where the vehicle is not on screen); ``x_m`` is its lateral position on the road.
    """

    vehicle_id: str
    kind: str
    plate: Plate
    readable: bool
    heading: str  # "towards" (front seen) or "away" (rear seen)
    x_m: float
    sprite: Callable[[], Sprite]
    path: np.ndarray = field(repr=False)


def drive(frames: int, fps: float, start: int, d0: float, speed: float) -> np.ndarray:
    """Constant speed along the road; positive ``speed`` drives away from the camera."""
    t = (np.arange(frames) - start) / fps
    d = d0 + speed * t
    return np.where(np.arange(frames) >= start, d, np.nan)


def stop_before(
    frames: int, fps: float, start: int, d0: float, speed: float, d_stop: float
) -> np.ndarray:
    """Drive towards the camera and stop (smoothly) at ``d_stop``, short of the line."""
    d = drive(frames, fps, start, d0, -speed)
    travel = d0 - d_stop
    # Ease out over the last 8 m so it brakes rather than halting dead.
    covered = d0 - d
    eased = np.where(
        covered < travel - 8, covered, travel - 8 + 8 * (1 - np.exp(-(covered - travel + 8) / 8))
    )
    return d0 - eased


def wobble(frames: int, fps: float, start: int, d0: float, speed: float) -> np.ndarray:
    """Creep up to the line, rock across it (a queue edging forward and back), drive on.

    The anchor crosses the line three times before it stays past it: a tracker must
    still report one entry.
    """
    f = np.arange(frames)
    t = (f - start) / fps
    approach = (d0 - (LINE_DISTANCE + 0.2)) / speed
    d = np.where(t < approach, d0 - speed * t, np.nan)
    rock_t = t - approach
    rock = LINE_DISTANCE + 0.2 - 0.5 * np.sin(np.pi * rock_t / 1.0) * (rock_t < 3.0)
    d = np.where((t >= approach) & (rock_t < 3.0), rock, d)
    after = rock_t - 3.0
    d = np.where(after >= 0, LINE_DISTANCE + 0.2 - speed * 0.8 * after, d)
    return np.where(f >= start, d, np.nan)
