"""``entrywatch replay`` (analysts) and ``entrywatch demo`` (the main job on embedded defaults)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipeline.bus import Topics, open_bus, publish_event
from pipeline.config import CameraConfig, ConfigError, LineConfig, load_cameras
from pipeline.events import EntryEvent
from pipeline.evidence import EvidenceStore
from pipeline.processor import ProcessorOptions
from pipeline.replay import Progress as ReplayProgress
from pipeline.replay import Replayer, ReplaySummary
from pipeline.sources import SourceError

log = logging.getLogger(__name__)
err = Console(stderr=True)


def parse_line(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        x1, y1, x2, y2 = (float(v) for v in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"expected X1,Y1,X2,Y2 (four numbers), got {text!r}") from None
    return (x1, y1), (x2, y2)


def cameras_for(
    files: list[Path],
    config: Path | None,
    line: str | None,
    inbound: str,
    checkpoint: str,
    region: str,
    detect_every: int | None,
) -> list[CameraConfig]:
    """One camera config per file, from a cameras YAML or from the command line."""
    if config is not None:
        try:
            cams = load_cameras(config).cameras
        except ConfigError as exc:
            raise typer.BadParameter(str(exc), param_hint="--config") from None
        by_source = {str(Path(c.source).resolve()): c for c in cams}
        chosen = []
        for f in files:
            cam = by_source.get(str(f.resolve()))
            if cam is None and len(cams) == 1:
                cam = cams[0].model_copy(update={"source": str(f)})
            if cam is None:
                raise typer.BadParameter(
                    f"{f}: no camera in {config} has this file as its source", param_hint="FILES"
                )
            chosen.append(cam)
    else:
        if line is None:
            raise typer.BadParameter("give --config FILE.yaml or --line X1,Y1,X2,Y2")
        start, end = parse_line(line)
        try:
            chosen = [
                CameraConfig(
                    camera_id="".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in f.stem)
                    or "camera",
                    checkpoint=checkpoint,
                    source=str(f),
                    line=LineConfig(start=start, end=end, inbound_side=inbound),  # type: ignore[arg-type]
                    region=region,  # type: ignore[arg-type]
                )
                for f in files
            ]
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    if detect_every is not None:
        chosen = [c.model_copy(update={"detect_every": detect_every}) for c in chosen]
    return chosen


def summary_table(summaries: list[ReplaySummary]) -> Table:
    table = Table(title="Replay summary")
    for col in (
        "source",
        "frames",
        "frames/s",
        "vehicles",
        "entries",
        "exits",
        "plates read",
        "unreadable",
        "status",
    ):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for s in summaries:
        status = "complete" if s.end.complete else f"[yellow]{s.end.reason}[/yellow]"
        table.add_row(
            Path(s.source).name,
            str(s.frames),
            f"{s.fps:.1f}",
            str(s.vehicles),
            str(s.entries),
            str(s.exits),
            str(s.plates_read),
            str(s.unreadable),
            status,
        )
    return table


def run_replays(
    cameras: list[CameraConfig],
    out: TextIO | None,
    evidence_dir: Path,
    annotate_dir: Path | None,
    ocr: str,
    on_event_extra: list | None = None,
    show_progress: bool = True,
    publish: Callable[[EntryEvent], None] | None = None,
) -> tuple[list[ReplaySummary], list[str]]:
    """Replay every camera's source; return summaries and the errors of sources that failed."""
    from detectors.vehicle import VehicleDetector
    from plate_reader.ocr import make_ocr
    from plate_reader.reader import PlateReader

    detector = VehicleDetector()
    readers: dict[str, PlateReader] = {}
    evidence = EvidenceStore(evidence_dir)
    summaries: list[ReplaySummary] = []
    errors: list[str] = []
    ocr_engine = make_ocr(ocr)
    for cam in cameras:
        reader = readers.setdefault(cam.region, PlateReader(ocr=ocr_engine, profile=cam.region))
        replayer = Replayer(detector, reader)

        def on_event(event: EntryEvent) -> None:
            if out is not None:
                out.write(event.model_dump_json() + "\n")
                out.flush()
            if on_event_extra is not None:
                on_event_extra.append(event)
            if publish is not None:
                publish(event)

        annotate_to = (
            annotate_dir / f"{Path(cam.source).stem}.annotated.mp4" if annotate_dir else None
        )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[fps]:.1f} fps  entries {task.fields[entries]}"),
            TimeElapsedColumn(),
            console=err,
            disable=not show_progress,
            transient=False,
        ) as bar:
            task = bar.add_task(Path(cam.source).name, total=None, fps=0.0, entries=0)

            def on_progress(p: ReplayProgress, task: TaskID = task, bar: Progress = bar) -> None:
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


def replay(
    files: Annotated[list[Path], typer.Argument(help="Video files or image folders to replay.")],
    config: Annotated[
        Path | None, typer.Option(help="Cameras YAML giving each file's camera and entry line.")
    ] = None,
    line: Annotated[
        str | None, typer.Option(help="Entry line X1,Y1,X2,Y2 in pixels (instead of --config).")
    ] = None,
    inbound: Annotated[
        str, typer.Option(help="Side of the directed line that is inside: left or right.")
    ] = "right",
    checkpoint: Annotated[str, typer.Option(help="Checkpoint name for --line.")] = "default",
    region: Annotated[str, typer.Option(help="Plate format profile: vn or generic.")] = "vn",
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSON Lines file for events, '-' for stdout.")
    ] = "-",
    evidence_dir: Annotated[Path, typer.Option(help="Where evidence images go.")] = Path(
        "evidence"
    ),
    annotate: Annotated[
        Path | None, typer.Option(help="Write annotated videos to this folder.")
    ] = None,
    detect_every: Annotated[
        int | None, typer.Option(min=1, max=30, help="Detect vehicles every Nth frame.")
    ] = None,
    ocr: Annotated[str, typer.Option(help="OCR back-end: rapidocr or easyocr.")] = "rapidocr",
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
    bus: Annotated[
        str | None, typer.Option("--bus", help="Also publish each entry to this bus (kafka://H:P).")
    ] = None,
) -> None:
    """Replay recorded footage: entry events as JSON Lines, and a summary at the end."""
    cameras = cameras_for(files, config, line, inbound, checkpoint, region, detect_every)
    with ExitStack() as stack:
        out: TextIO = (
            sys.stdout
            if output == "-"
            else stack.enter_context(Path(output).open("w", encoding="utf-8"))
        )
        publish = None
        if bus is not None:
            the_bus = stack.enter_context(open_bus(bus))
            publish = partial(publish_event, the_bus, Topics())
        summaries, errors = run_replays(
            cameras, out, evidence_dir, annotate, ocr, show_progress=progress, publish=publish
        )
        if bus is not None:
            the_bus.flush()  # every entry delivered before we report success
    if summaries:
        err.print(summary_table(summaries))
    if errors:
        raise typer.Exit(1)


def demo(
    samples: Annotated[Path, typer.Option(help="Folder of sample clips.")] = Path("sample_videos"),
    config: Annotated[Path, typer.Option(help="Cameras YAML for the sample clips.")] = Path(
        "configs/sample_cameras.yaml"
    ),
    declarations: Annotated[Path, typer.Option(help="Declarations CSV.")] = Path(
        "sample_videos/declarations.csv"
    ),
    out_dir: Annotated[Path, typer.Option(help="Where outputs go.")] = Path("out/demo"),
) -> None:
    """Replay the sample clips, match entries against sample declarations, print flags."""
    from pipeline.demo import run_demo

    raise typer.Exit(run_demo(samples, config, declarations, out_dir, err))
