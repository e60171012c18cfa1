"""What the frame loop remembers about one track until its event is published."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pipeline.entry_line import Crossing
from plate_reader.reader import PlateRead
from plate_reader.vote import PlateVote


@dataclass
class PendingCrossing:
    crossing: Crossing
    frame_index: int
    media_time_s: float
    wall_time: float
    box: tuple[int, int, int, int]
    confidence: float
    snapshot: np.ndarray


@dataclass
class TrackState:
    tracker_id: int
    vote: PlateVote
    last_frame: int
    class_weight: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    best_read: PlateRead | None = None
    best_crop: np.ndarray | None = None
    pending: PendingCrossing | None = None
    emitted: bool = False

    def observe_class(self, class_id: int, confidence: float) -> None:
        self.class_weight[class_id] += confidence

    def majority_class(self) -> int:
        return max(self.class_weight.items(), key=lambda kv: kv[1])[0] if self.class_weight else -1

    def add_read(self, read: PlateRead, crop: np.ndarray) -> None:
        self.vote.add(read)
        if self.best_read is None or (read.valid, read.confidence) > (
            self.best_read.valid,
            self.best_read.confidence,
        ):
            self.best_read = read
            self.best_crop = crop

    @property
    def needs_plate(self) -> bool:
        return not self.emitted and not self.vote.settled
