"""Multi-object tracking with ByteTrack (ultralytics' implementation)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from detectors.detections import Detections


class _ByteTrackInput:
    """The minimal results-like view ultralytics' BYTETracker reads (conf, cls, xywh, mask)."""

    def __init__(self, detections: Detections) -> None:
        self.conf = detections.confidence
        self.cls = detections.class_id.astype(np.float32)
        self.xywh = detections.xywh
        self.xyxy = detections.xyxy
        self._detections = detections

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: np.ndarray) -> _ByteTrackInput:
        return _ByteTrackInput(self._detections[index])


class VehicleTracker:
    """Gives each detection a stable ``tracker_id`` across frames.

    ``frame_rate`` is the rate at which :meth:`update` is called (the detection rate),
    which sets how long a lost track is kept (``lost_seconds``).
    """

    def __init__(
        self,
        frame_rate: float = 10.0,
        lost_seconds: float = 3.0,
        high_threshold: float = 0.25,
        low_threshold: float = 0.1,
        new_track_threshold: float = 0.3,
        match_threshold: float = 0.8,
    ) -> None:
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = SimpleNamespace(
            track_high_thresh=high_threshold,
            track_low_thresh=low_threshold,
            new_track_thresh=new_track_threshold,
            # Frames a lost track is kept (at the rate update() is called).
            track_buffer=max(1, round(lost_seconds * frame_rate)),
            match_thresh=match_threshold,
            # Fusing multiplies IoU by the score, which stops weak (small, far) vehicles
            # from ever matching their own track; boxes here move little between frames.
            fuse_score=False,
        )
        self._tracker = BYTETracker(args)

    def update(self, detections: Detections) -> Detections:
        """Return the tracked subset of ``detections`` with ``tracker_id`` set.

        Boxes are the detector's own (not the Kalman estimate) so crops stay exact.
        """
        if len(detections) == 0:
            self._tracker.update(_ByteTrackInput(detections))
            return Detections()
        rows = self._tracker.update(_ByteTrackInput(detections))
        if len(rows) == 0:
            return Detections()
        det_index = rows[:, 7].astype(np.int64)
        tracked = detections[det_index]
        tracked.tracker_id = rows[:, 4].astype(np.int64)
        return tracked
