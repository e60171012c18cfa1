"""``entrywatch replay``: recorded footage to entry events (analysts)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from pipeline.bus import Topics, open_bus, publish_event
from pipeline.config import CameraConfig, ConfigError, LineConfig, load_cameras, slug_camera_id
from pipeline.replay import run_replays, summary_table

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
                    camera_id=slug_camera_id(f.stem),
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
            cameras,
            out,
            evidence_dir,
            annotate,
            ocr,
            show_progress=progress,
            publish=publish,
            console=err,
        )
        if bus is not None:
            the_bus.flush()  # every entry delivered before we report success
    if summaries:
        err.print(summary_table(summaries))
    if errors:
        raise typer.Exit(1)
