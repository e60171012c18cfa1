"""Replaying recorded footage through the pipeline: the engine behind ``entrywatch replay``."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from detectors.vehicle import VehicleDetector
from pipeline.annotate import AnnotatedWriter, draw
from pipeline.config import CameraConfig
from pipeline.events import EntryEvent
from pipeline.evidence import EvidenceStore
from pipeline.processor import CameraProcessor, ProcessorOptions
from pipeline.sources import ImageFolderSource, Source, SourceEnd, StreamSource, open_source
from pipeline.timing import StageTimer
from plate_reader.reader import PlateReader

log = logging.getLogger(__name__)


@dataclass
class ReplaySummary:
    source: str
    camera_id: str
    frames: int = 0
    seconds: float = 0.0
    vehicles: int = 0
    entries: int = 0
    exits: int = 0
    plates_read: int = 0
    unreadable: int = 0
    end: SourceEnd = field(default_factory=SourceEnd)
    stage_ms: dict[str, float] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Progress:
    frames: int
    total: int | None
    entries: int
    fps: float


def session_id_for(path: str) -> str:
    """Stable id of one recording: replaying it again yields the same event ids."""
    p = Path(path)
    size = p.stat().st_size if p.is_file() else 0
    return hashlib.sha1(f"{p.name}|{size}".encode()).hexdigest()[:16]


def _start_time(camera: CameraConfig, source: Source) -> datetime:
    if camera.start_time is not None:
        return camera.start_time
    path = Path(source.uri)
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return datetime.fromtimestamp(mtime, UTC)


class Replayer:
    """Runs one source through a :class:`CameraProcessor` and reports as it goes."""

    def __init__(self, detector: VehicleDetector, reader: PlateReader) -> None:
        # One detector and reader serve many sources; each run gets its own tracker.
        self._detector = detector
        self._reader = reader

    def run(
        self,
        camera: CameraConfig,
        *,
        on_event: Callable[[EntryEvent], None],
        on_progress: Callable[[Progress], None] | None = None,
        evidence: EvidenceStore | None = None,
        annotate_to: Path | None = None,
        options: ProcessorOptions | None = None,
        ocr_name: str = "rapidocr",
    ) -> ReplaySummary:
        source = open_source(camera.resolved_source(), camera.camera_id)
        kind = (
            "stream"
            if isinstance(source, StreamSource)
            else "images"
            if isinstance(source, ImageFolderSource)
            else "file"
        )
        processor = CameraProcessor(
            camera,
            self._detector,
            self._reader,
            fps=source.fps,
            session_id=session_id_for(source.uri)
            if kind != "stream"
            else f"live-{int(time.time())}",
            source_kind=kind,
            source_uri=source.uri,
            start_time=_start_time(camera, source) if kind != "stream" else None,
            evidence=evidence,
            options=options,
            ocr_name=ocr_name,
        )
        summary = ReplaySummary(source=source.uri, camera_id=camera.camera_id)
        writer = AnnotatedWriter(annotate_to, source.fps) if annotate_to else None
        timer = processor.timer
        counts = [0, 0]
        seen_tracks: set[int] = set()
        labels: dict[int, str] = {}

        def handle(events: list[EntryEvent]) -> None:
            for event in events:
                counts[0 if event.direction == "inbound" else 1] += 1
                if event.plate.readable:
                    summary.plates_read += 1
                    labels[event.vehicle.track_id] = event.plate.display or ""
                else:
                    summary.unreadable += 1
                on_event(event)

        t0 = time.perf_counter()
        frames = iter(source)
        try:
            while True:
                with timer.stage("decode"):
                    frame = next(frames, None)
                if frame is None:
                    break
                handle(processor.process(frame))
                seen_tracks.update(processor.current.ids.tolist())
                summary.frames += 1
                if writer is not None:
                    with timer.stage("annotate"):
                        writer.write(
                            draw(
                                frame.image,
                                processor.current,
                                processor.line,
                                labels,
                                (counts[0], counts[1]),
                            )
                        )
                if on_progress is not None:
                    elapsed = time.perf_counter() - t0
                    on_progress(
                        Progress(
                            summary.frames,
                            source.frame_count,
                            counts[0],
                            summary.frames / elapsed if elapsed else 0.0,
                        )
                    )
            handle(processor.finish())
        finally:
            if writer is not None:
                writer.close()
        summary.seconds = time.perf_counter() - t0
        summary.vehicles = len(seen_tracks)
        summary.entries, summary.exits = counts
        summary.end = source.end
        summary.stage_ms = _ms(timer, summary.frames)
        return summary


def _ms(timer: StageTimer, frames: int) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timer.ms_per_frame(frames).items()}
