"""The per-camera frame loop: detect, track, count line crossings, read plates, emit events.

Cost rule (DESIGN.md): vehicles are detected every ``detect.every`` frames; plates are
looked for only on crops of tracks that still need one and either crossed the line or are
coming towards it (``pipeline.approach``: a parked or departing vehicle gives no event), at most
``plate_reads_per_frame`` tracks a frame, crossing tracks first, then the largest; a
track whose vote is settled is never read again. An event is emitted once the vote
settles, or ``emit_after_s`` after the crossing, or when the track is lost, or at the
end of the stream, whichever comes first, so a worker is never far behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Protocol

import numpy as np

from detectors.base import PlateDetector, VehicleDetector
from detectors.detections import Detections
from pipeline.approach import ApproachGate
from pipeline.config import CameraConfig
from pipeline.entry_line import Crossing, EntryLine
from pipeline.events import (
    EntryEvent,
    Evidence,
    PlateCandidate,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)
from pipeline.evidence import EvidenceStore, scale_box, shrink_frame
from pipeline.frames import Frame
from pipeline.timing import StageTimer
from pipeline.track_state import PendingCrossing, Scene, TrackState
from pipeline.tracking import VehicleTracker
from plate_reader.ocr import DEFAULT_OCR
from plate_reader.reader import PlateRead
from plate_reader.vote import PlateVote

log = logging.getLogger(__name__)


class VehiclePlateReader(Protocol):
    """What the frame loop needs of a plate reader (``plate_reader.reader.PlateReader``, or the
    worker's pooled one): the plates on a vehicle crop, best first, and the plate detector it uses
    (whose ``model_name`` the evidence names)."""

    @property
    def detector(self) -> PlateDetector: ...

    def read(
        self,
        image: np.ndarray,
        *,
        imgsz: int | None = None,
        fallback: bool = True,
        max_plates: int | None = None,
    ) -> list[PlateRead]: ...


def software_version() -> str:
    try:
        return metadata.version("entrywatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def crop_box(shape: tuple[int, ...], box: np.ndarray, pad: float = 0.0) -> tuple[int, ...]:
    """``box`` (xyxy) grown by ``pad`` of its size, clipped to an image of ``shape``."""
    h, w = shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * pad, (y2 - y1) * pad
    return max(0, int(x1 - dx)), max(0, int(y1 - dy)), min(w, int(x2 + dx)), min(h, int(y2 + dy))


def crop(image: np.ndarray, box: np.ndarray, pad: float = 0.0) -> np.ndarray:
    """Crop ``box`` (xyxy) grown by ``pad`` of its size, clipped to the image."""
    ix1, iy1, ix2, iy2 = crop_box(image.shape, box, pad)
    return image[iy1:iy2, ix1:ix2]


@dataclass(frozen=True)
class ProcessorOptions:
    plate_reads_per_frame: int = 2
    min_vehicle_height_px: int = 72
    # Plates fewer pixels tall than this are misread too often (6/G/K, 0/D) to vote:
    # the track is read again when it comes closer.
    min_plate_height_px: int = 10
    emit_after_s: float = 3.0
    lost_after_s: float = 2.0
    vehicle_pad: float = 0.04
    # Plate detector input for vehicle crops: crops are small, so 320 costs a quarter of
    # 640 and loses nothing the vote cannot recover on the next frame.
    plate_imgsz: int = 320


class CameraProcessor:
    def __init__(
        self,
        camera: CameraConfig,
        vehicle_detector: VehicleDetector,
        plate_reader: VehiclePlateReader,
        *,
        fps: float,
        session_id: str,
        source_kind: str = "file",
        source_uri: str = "",
        start_time: datetime | None = None,
        evidence: EvidenceStore | None = None,
        options: ProcessorOptions | None = None,
        ocr_name: str = DEFAULT_OCR,
    ) -> None:
        self.camera = camera
        self.detector = vehicle_detector
        self.reader = plate_reader
        self.fps = fps
        self.session_id = session_id
        self.source_kind = source_kind
        self.source_uri = source_uri
        self.start_time = start_time
        self.evidence = evidence
        self.options = options or ProcessorOptions()
        self.line = EntryLine(camera.line.start, camera.line.end, camera.line.inbound_side)
        self.approach = ApproachGate(self.line)
        self.tracker = VehicleTracker(
            frame_rate=fps / camera.detect.every,
            lost_seconds=self.options.lost_after_s,
            high_threshold=camera.track_confidence,
            low_threshold=camera.detect.confidence,
            new_track_threshold=camera.track_confidence,
        )
        self.timer = StageTimer()
        self.tracks: dict[int, TrackState] = {}
        self.current = Detections()  # the last tracked detections, for drawing
        self._software = SoftwareInfo(
            version=software_version(),
            vehicle_model=vehicle_detector.model_name,
            plate_model=plate_reader.detector.model_name,
            ocr=ocr_name,
        )

    # -- the loop -----------------------------------------------------------------------------

    def process(self, frame: Frame) -> list[EntryEvent]:
        if frame.index % self.camera.detect.every != 0:
            return []
        with self.timer.stage("detect"):
            x0, y0, x1, y1 = self._roi(frame.image.shape)
            detections = self.detector.detect(
                frame.image[y0:y1, x0:x1],
                confidence=self.camera.detect.confidence,
                imgsz=self.camera.detect.imgsz,
            )
            if x0 or y0:
                detections.xyxy += np.array([x0, y0, x0, y0], dtype=np.float32)
        with self.timer.stage("track"):
            tracked = self.tracker.update(detections)
        self.current = tracked
        with self.timer.stage("line"):
            crossings = self.line.update(tracked)
        self._observe(frame, tracked, crossings)
        with self.timer.stage("plates"):
            self._read_plates(frame, tracked)
        with self.timer.stage("emit"):
            return self._emit_ready(frame)

    def _roi(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """Where vehicles are detected: the whole frame, or the entry line's bounding box grown
        by ``detect.roi_margin`` of the frame's size (the tracker and the line only need
        vehicles near the line; the same pixels per vehicle cost less)."""
        h, w = shape[:2]
        margin = self.camera.detect.roi_margin
        if margin is None:
            return 0, 0, w, h
        (sx, sy), (ex, ey) = self.camera.line.start, self.camera.line.end
        mx, my = margin * w, margin * h
        return (
            max(0, int(min(sx, ex) - mx)),
            max(0, int(min(sy, ey) - my)),
            min(w, int(max(sx, ex) + mx + 1)),
            min(h, int(max(sy, ey) + my + 1)),
        )

    def finish(self) -> list[EntryEvent]:
        """End of stream: publish every crossing still waiting for its plate."""
        events = [self._emit(state) for state in self.tracks.values() if self._due(state, None)]
        self.tracks.clear()
        return events

    # -- steps --------------------------------------------------------------------------------

    def _observe(self, frame: Frame, tracked: Detections, crossings: list[Crossing]) -> None:
        for row, tid in enumerate(tracked.ids.tolist()):
            state = self.tracks.get(tid)
            if state is None:
                state = TrackState(tid, PlateVote(profile=self.camera.region), frame.index)
                self.tracks[tid] = state
            state.last_frame = frame.index
            state.observe_class(int(tracked.class_id[row]), float(tracked.confidence[row]))
        for c in crossings:
            box = tracked.xyxy[c.row]
            snapshot = crop(frame.image, box, pad=0.1)
            self.tracks[c.tracker_id].pending = PendingCrossing(
                crossing=c,
                frame_index=frame.index,
                media_time_s=frame.index / self.fps,
                wall_time=frame.timestamp,
                box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])),
                confidence=float(tracked.confidence[c.row]),
                snapshot=snapshot.copy(),
                scene=self._scene(frame, box, None),
            )

    def _read_plates(self, frame: Frame, tracked: Detections) -> None:
        heights = tracked.xyxy[:, 3] - tracked.xyxy[:, 1]
        areas = heights * (tracked.xyxy[:, 2] - tracked.xyxy[:, 0])
        approaching = self.approach.update(tracked)
        wanted = []
        for row, tid in enumerate(tracked.ids.tolist()):
            state = self.tracks[tid]
            if not (approaching[row] or state.pending is not None):
                continue  # no crossing behind it or ahead of it: no event will want this plate
            if state.needs_plate and heights[row] >= self.options.min_vehicle_height_px:
                # Crossing tracks first (their event waits on the plate), then the largest.
                wanted.append((state.pending is None, -float(areas[row]), row, state))
        wanted.sort(key=lambda item: item[:3])
        for _, _, row, state in wanted[: self.options.plate_reads_per_frame]:
            vx1, vy1, vx2, vy2 = crop_box(
                frame.image.shape, tracked.xyxy[row], pad=self.options.vehicle_pad
            )
            vehicle = frame.image[vy1:vy2, vx1:vx2]
            if vehicle.size == 0:
                continue
            reads = self.reader.read(
                vehicle, imgsz=self.options.plate_imgsz, fallback=False, max_plates=1
            )
            if not reads:
                continue
            best = reads[0]
            x1, y1, x2, y2 = (int(v) for v in best.box)
            if y2 - y1 < self.options.min_plate_height_px:
                continue
            if state.add_read(best, vehicle[max(0, y1) : y2, max(0, x1) : x2].copy()):
                plate_box = (vx1 + max(0, x1), vy1 + max(0, y1), vx1 + x2, vy1 + y2)
                state.best_scene = self._scene(frame, tracked.xyxy[row], plate_box)

    def _scene(
        self, frame: Frame, vehicle_box: np.ndarray, plate_box: tuple[int, int, int, int] | None
    ) -> Scene | None:
        """The frame, shrunk for evidence, with its boxes; nothing when no evidence is kept."""
        if self.evidence is None:
            return None
        image, scale = shrink_frame(frame.image, self.evidence.frame_max_px)
        return Scene(
            image,
            scale_box(tuple(vehicle_box), scale),
            scale_box(plate_box, scale) if plate_box is not None else None,
        )

    def _due(self, state: TrackState, frame: Frame | None) -> bool:
        if state.pending is None or state.emitted:
            return False
        if frame is None or state.vote.settled:
            return True
        waited = (frame.index - state.pending.frame_index) / self.fps
        lost = (frame.index - state.last_frame) / self.fps
        return waited >= self.options.emit_after_s or lost >= self.options.lost_after_s

    def _emit_ready(self, frame: Frame) -> list[EntryEvent]:
        events = [self._emit(s) for s in self.tracks.values() if self._due(s, frame)]
        # Forget tracks the tracker has dropped, so memory stays flat on endless streams.
        stale_after = int(self.fps * (self.options.lost_after_s + 1.0))
        gone = {
            tid
            for tid, s in self.tracks.items()
            if frame.index - s.last_frame > stale_after and (s.emitted or s.pending is None)
        }
        for tid in gone:
            del self.tracks[tid]
        self.line.forget(gone)
        self.approach.forget(gone)
        return events

    def _crossed_at(self, pending: PendingCrossing) -> datetime:
        if self.source_kind == "stream":
            return datetime.fromtimestamp(pending.wall_time, UTC)
        start = self.start_time or datetime(1970, 1, 1, tzinfo=UTC)
        return start + timedelta(seconds=pending.media_time_s)

    def _emit(self, state: TrackState) -> EntryEvent:
        assert state.pending is not None
        state.emitted = True
        p = state.pending
        event_id = make_event_id(
            self.camera.camera_id, self.session_id, state.tracker_id, p.crossing.direction
        )
        result = state.vote.result()
        readable = result is not None and result.valid
        plate = PlateInfo(
            readable=readable,
            normalised=result.plate if readable and result else None,
            display=result.display if readable and result else None,
            confidence=round(result.confidence, 4) if readable and result else 0.0,
            format_valid=bool(result and result.valid),
            region=self.camera.region,
            reads=result.reads if result else 0,
            candidates=[
                PlateCandidate(plate=c, score=round(s, 4))
                for c, s in (result.candidates[:5] if result else ())
            ],
        )
        evidence = Evidence()
        if self.evidence is not None:
            cam = self.camera.camera_id
            # The frame the best plate was read on shows both boxes; else the crossing's.
            scene = state.best_scene or p.scene
            evidence = Evidence(
                plate_crop=self.evidence.save_plate(cam, event_id, state.best_crop)
                if state.best_crop is not None
                else None,
                vehicle_snapshot=self.evidence.save(cam, event_id, "vehicle", p.snapshot),
                frame=self.evidence.save(cam, event_id, "frame", scene.image) if scene else None,
                vehicle_box=scene.vehicle_box if scene else None,
                plate_box=scene.plate_box if scene else None,
            )
        return EntryEvent(
            event_id=event_id,
            camera_id=self.camera.camera_id,
            checkpoint=self.camera.checkpoint,
            direction=p.crossing.direction,
            crossed_at=self._crossed_at(p),
            plate=plate,
            vehicle=VehicleInfo(
                vehicle_class=self.detector.class_names.get(state.majority_class(), "vehicle"),  # type: ignore[arg-type]
                confidence=round(min(1.0, p.confidence), 4),
                box=p.box,
                track_id=state.tracker_id,
            ),
            evidence=evidence,
            source=SourcePosition(
                kind=self.source_kind,  # type: ignore[arg-type]
                uri=self.source_uri,
                session_id=self.session_id,
                frame_index=p.frame_index,
                media_time_s=round(p.media_time_s, 3),
            ),
            software=self._software,
        )
