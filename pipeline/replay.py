"""Replaying recorded footage through the pipeline: the engine behind ``entrywatch replay`` and
``entrywatch demo``.

``Replayer`` runs one source through a :class:`CameraProcessor`; ``run_replays`` replays every
camera of a list with one shared detector and OCR engine (progress on a console);
``summary_table`` / ``print_summary`` the summary printed at the end.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from rich import progress
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from detectors.base import VehicleDetector
from detectors.vehicle import YoloVehicleDetector
from pipeline.annotate import AnnotatedWriter, draw
from pipeline.config import CameraConfig, ConfigError
from pipeline.events import EntryEvent
from pipeline.evidence import EvidenceStore
from pipeline.jsonl import write_jsonl
from pipeline.processor import CameraProcessor, ProcessorOptions
from pipeline.recording_time import recording_start
from pipeline.sources import (
    ImageFolderSource,
    Source,
    SourceEnd,
    SourceError,
    StreamSource,
    open_source,
)
from pipeline.timing import StageTimer
from plate_reader.ocr import DEFAULT_OCR
from plate_reader.reader import PlateReader

log = logging.getLogger(__name__)


@dataclass
class ReplaySummary:
    source: str
    camera_id: str
    frames: int = 0
    seconds: float = 0.0
    vehicles: int = 0  # distinct vehicles that crossed the line (each track crosses at most once)
    tracks: int = 0  # tracker ids seen: more than the vehicles where a track broke and resumed
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
    return recording_start(source.uri, camera.start_time).time


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
        ocr_name: str = DEFAULT_OCR,
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
        summary.tracks = len(seen_tracks)
        summary.entries, summary.exits = counts
        summary.vehicles = summary.entries + summary.exits
        summary.end = source.end
        summary.stage_ms = _ms(timer, summary.frames)
        return summary


def _ms(timer: StageTimer, frames: int) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timer.ms_per_frame(frames).items()}


_COLUMNS = (
    "source",
    "frames",
    "frames/s",
    "vehicles crossing",
    "entries",
    "exits",
    "plates read",
    "unreadable",
    "status",
)


def _row(s: ReplaySummary) -> tuple[str, ...]:
    status = "complete" if s.end.complete else f"[yellow]{escape(s.end.reason)}[/yellow]"
    return (
        escape(Path(s.source).name),
        str(s.frames),
        f"{s.fps:.1f}",
        str(s.vehicles),
        str(s.entries),
        str(s.exits),
        str(s.plates_read),
        str(s.unreadable),
        status,
    )


def summary_table(summaries: list[ReplaySummary]) -> Table:
    """One row per source. "vehicles crossing" counts distinct vehicles that crossed the line
    either way (entries + exits), not tracker ids."""
    table = Table(title="Replay summary")
    for col in _COLUMNS:
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for s in summaries:
        table.add_row(*_row(s))
    return table


def print_summary(console: Console, summaries: list[ReplaySummary]) -> None:
    """The summary table when it fits the console (headers wrap, numbers never do), else one
    line per source: never a number cut to ``…`` (stderr as a file is 80 columns)."""
    table = summary_table(summaries)
    trial = Console(file=io.StringIO(), width=console.width, color_system=None)
    trial.print(table)
    if "…" not in trial.file.getvalue():  # type: ignore[attr-defined]
        console.print(table)
        return
    console.print("[bold]Replay summary[/bold]")
    for s in summaries:
        name, *values, status = _row(s)
        fields = ", ".join(f"{v} {k}" for k, v in zip(_COLUMNS[1:-1], values, strict=True))
        console.print(f"{name}: {fields}, {status}", soft_wrap=True, highlight=False)


def run_replays(
    cameras: list[CameraConfig],
    out: TextIO | None,
    evidence_dir: Path | EvidenceStore,
    annotate_dir: Path | None,
    ocr: str,
    on_event_extra: list | None = None,
    show_progress: bool = True,
    publish: Callable[[EntryEvent], None] | None = None,
    console: Console | None = None,
) -> tuple[list[ReplaySummary], list[str]]:
    """Replay every camera's source; return summaries and the errors of sources that failed.

    Progress bars, errors and warnings go to ``console`` (stderr by default).
    """
    err = console if console is not None else Console(stderr=True)
    from plate_reader.ocr import make_ocr

    detector = YoloVehicleDetector()
    readers: dict[str, PlateReader] = {}
    evidence = (
        evidence_dir if isinstance(evidence_dir, EvidenceStore) else EvidenceStore(evidence_dir)
    )
    summaries: list[ReplaySummary] = []
    errors: list[str] = []
    ocr_engine = make_ocr(ocr)
    for cam in cameras:
        reader = readers.setdefault(cam.region, PlateReader(ocr=ocr_engine, profile=cam.region))
        replayer = Replayer(detector, reader)

        def on_event(event: EntryEvent) -> None:
            if out is not None:
                write_jsonl(out, event)
            if on_event_extra is not None:
                on_event_extra.append(event)
            if publish is not None:
                publish(event)

        annotate_to = (
            annotate_dir / f"{Path(cam.source).stem}.annotated.mp4" if annotate_dir else None
        )
        with progress.Progress(
            progress.TextColumn("[bold]{task.description}"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TextColumn("{task.fields[fps]:.1f} fps  entries {task.fields[entries]}"),
            progress.TimeElapsedColumn(),
            console=err,
            disable=not show_progress,
            transient=False,
        ) as bar:
            task = bar.add_task(Path(cam.source).name, total=None, fps=0.0, entries=0)

            def on_progress(
                p: Progress, task: progress.TaskID = task, bar: progress.Progress = bar
            ) -> None:
                bar.update(task, completed=p.frames, total=p.total, fps=p.fps, entries=p.entries)

            try:
                summary = replayer.run(
                    cam,
                    on_event=on_event,
                    on_progress=on_progress,
                    evidence=evidence,
                    annotate_to=annotate_to,
                    options=ProcessorOptions(),
                    ocr_name=ocr,
                )
            except (SourceError, ConfigError) as exc:
                errors.append(str(exc))
                err.print(f"[red]error[/red] {exc}")
                continue
        summaries.append(summary)
        if not summary.end.complete:
            err.print(f"[yellow]warning[/yellow] {summary.end.reason}")
    return summaries, errors
