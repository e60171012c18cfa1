"""What the frame loop remembers about one track until its event is published."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pipeline.entry_line import Crossing
from plate_reader.reader import PlateRead
from plate_reader.vote import PlateVote


@dataclass(frozen=True)
class Scene:
    """A full frame kept for evidence (already shrunk) with the boxes in its pixels."""

    image: np.ndarray
    vehicle_box: tuple[int, int, int, int]
    plate_box: tuple[int, int, int, int] | None = None


@dataclass
class PendingCrossing:
    crossing: Crossing
    frame_index: int
    media_time_s: float
    wall_time: float
    box: tuple[int, int, int, int]
    confidence: float
    snapshot: np.ndarray
    scene: Scene | None = None


@dataclass
class TrackState:
    tracker_id: int
    vote: PlateVote
    last_frame: int
    class_weight: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    best_read: PlateRead | None = None
    best_crop: np.ndarray | None = None
    best_scene: Scene | None = None  # the frame of the best read (when evidence is kept)
    pending: PendingCrossing | None = None
    emitted: bool = False

    def observe_class(self, class_id: int, confidence: float) -> None:
        self.class_weight[class_id] += confidence

    def majority_class(self) -> int:
        return max(self.class_weight.items(), key=lambda kv: kv[1])[0] if self.class_weight else -1

    def add_read(self, read: PlateRead, crop: np.ndarray) -> bool:
        """Vote ``read``; True when it is the track's best read so far (its crop is kept)."""
        self.vote.add(read)
        if self.best_read is None or (read.valid, read.confidence) > (
            self.best_read.valid,
            self.best_read.confidence,
        ):
            self.best_read = read
            self.best_crop = crop
            return True
        return False

    @property
    def needs_plate(self) -> bool:
        return not self.emitted and not self.vote.settled
