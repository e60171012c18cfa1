"""``entrywatch replay``: recorded footage to entry events (analysts)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from pipeline.bus import Topics, open_bus, publish_event
from pipeline.cli.options import (
    EvidenceDir,
    RegionOption,
    evidence_store,
    fail,
    region_or_default,
)
from pipeline.config import CameraConfig, ConfigError, LineConfig, load_cameras, slug_camera_id
from pipeline.frame_grab import frame_size
from pipeline.line_spec import (
    INBOUND_HELP,
    LineSpec,
    LineSpecError,
    auto_line,
    check_in_frame,
    inbound_side,
    parse_line,
)
from pipeline.recording_time import parse_start_time
from pipeline.replay import print_summary, run_replays
from pipeline.sources import STREAM_SCHEMES, SourceError
from plate_reader.ocr import DEFAULT_OCR, OCR_HELP

err = Console(stderr=True)


def _size_of(source: str) -> tuple[int, int] | None:
    """The frame size of a file or image folder, ``None`` when it cannot be opened (replay then
    reports why) or for a live stream."""
    if source.lower().startswith(STREAM_SCHEMES):
        return None
    try:
        return frame_size(source)
    except SourceError:
        return None


def _command_line_camera(
    f: Path,
    size: tuple[int, int] | None,
    spec: LineSpec | None,
    inbound: str,
    checkpoint: str,
    region: str,
    explained: set[str],
) -> CameraConfig | None:
    if size is None and (spec is None or spec.fractional):
        return None  # the line needs the frame size; replay reports why the file did not open
    if spec is None:
        assert size is not None
        start, end = auto_line(*size)
    else:
        start, end = spec.in_pixels(*(size or (1, 1)))  # pixels when size is None
    side, why = inbound_side(inbound, start, end)
    explained.add(why)
    return CameraConfig(
        camera_id=slug_camera_id(f.stem),
        checkpoint=checkpoint,
        source=str(f),
        line=LineConfig(start=start, end=end, inbound_side=side),
        region=region,  # type: ignore[arg-type]
    )


def cameras_for(
    files: list[Path],
    config: Path | None,
    line: str | None,
    inbound: str,
    checkpoint: str,
    region: str | None,
    detect_every: int | None,
    *,
    auto: bool = False,
) -> list[CameraConfig]:
    """One camera config per file, from a cameras YAML or from the command line, its line
    checked against the file's frame size. Files that cannot be opened are left to the replay,
    which reports them (unless their line needs the frame size: then they are left out here)."""
    if sum((config is not None, line is not None, auto)) > 1:
        fail("give one of --config FILE.yaml, --line X1,Y1,X2,Y2 or --auto-line")
    explained: set[str] = set()
    if config is not None:
        try:
            cams = load_cameras(config).cameras
        except ConfigError as exc:
            fail(f"--config: {exc}")
        by_source = {str(Path(c.source).resolve()): c for c in cams}
        chosen = []
        for f in files:
            cam = by_source.get(str(f.resolve()))
            if cam is None and len(cams) == 1:
                cam = cams[0].model_copy(update={"source": str(f)})
            if cam is None:
                fail(f"{f}: no camera in {config} has this file as its source")
            if region is not None:  # given on the command line: it overrides the config
                cam = cam.model_copy(update={"region": region_or_default(region)})
            chosen.append(cam)
    else:
        if line is None and not auto:
            size = _size_of(str(files[0]))
            frame = f"{files[0].name} is {size[0]}x{size[1]}; " if size else ""
            fail(
                f"replay needs an entry line: {frame}give --line X1,Y1,X2,Y2 in pixels or "
                "fractions (`entrywatch frame FILE` draws the pixel grid), --auto-line for a "
                "quick count, or --config FILE.yaml"
            )
        try:
            spec = parse_line(line) if line is not None else None
            made = [
                _command_line_camera(
                    f,
                    _size_of(str(f)),
                    spec,
                    inbound,
                    checkpoint,
                    region_or_default(region),
                    explained,
                )
                for f in files
            ]
        except ValidationError as exc:
            fail(
                "--line: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            )
        except LineSpecError as exc:
            fail(str(exc))
        chosen = [c for c in made if c is not None]
        for f, cam in zip(files, made, strict=True):
            if cam is None:
                try:
                    frame_size(str(f))
                    why = f"{f}: cannot be opened"
                except SourceError as exc:
                    why = str(exc)
                err.print(
                    f"[red]error[/red] {escape(why)} (its line needs the frame size)",
                    soft_wrap=True,
                    highlight=False,
                )
    for cam in chosen:
        size = _size_of(cam.source)
        if size is not None:
            try:
                check_in_frame(cam.line.start, cam.line.end, *size, Path(cam.source).name)
            except LineSpecError as exc:
                fail(f"camera {cam.camera_id}: {exc}")
    for why in sorted(explained):
        err.print(why, soft_wrap=True, highlight=False)
    if detect_every is not None:
        chosen = [c.with_detect(every=detect_every) for c in chosen]
    return chosen


def replay(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILES", help="Video files or image folders to replay."),
    ],
    config: Annotated[
        Path | None, typer.Option(help="Cameras YAML giving each file's camera and entry line.")
    ] = None,
    line: Annotated[
        str | None,
        typer.Option(
            metavar="X1,Y1,X2,Y2",
            help="Entry line in pixels, or in fractions of the frame when all four are 0-1 "
            "(0,0.6,1,0.6: across at 60 % of the height). `entrywatch frame` shows the pixels.",
        ),
    ] = None,
    inbound: Annotated[str, typer.Option(metavar="SIDE", help=INBOUND_HELP)] = "right",
    auto_line_: Annotated[
        bool,
        typer.Option(
            "--auto-line",
            help="Quick look without a line: count every vehicle crossing a horizontal line at "
            "60 % of the height, either way (entries: towards the camera, exits: away).",
        ),
    ] = False,
    checkpoint: Annotated[
        str, typer.Option(help="Checkpoint name for --line and --auto-line.")
    ] = "default",
    start_time: Annotated[
        str | None,
        typer.Option(
            metavar="ISO-TIME",
            help="Wall-clock time of the first frame, ISO 8601 with its zone "
            "(2021-08-02T07:30:00+07:00), for every file given. Without it: the config's "
            "start_time, else the file's creation time, else its modification time (warned).",
        ),
    ] = None,
    region: RegionOption = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSON Lines file for events, '-' for stdout.")
    ] = "-",
    evidence_dir: EvidenceDir = None,
    annotate: Annotated[
        Path | None, typer.Option(help="Write annotated videos to this folder.")
    ] = None,
    detect_every: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=30,
            help="Detect vehicles every Nth frame (default: the camera's detect.every, 2; "
            "the tracker bridges the frames between).",
        ),
    ] = None,
    ocr: Annotated[str, typer.Option(help=OCR_HELP)] = DEFAULT_OCR,
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
    bus: Annotated[
        str | None, typer.Option("--bus", help="Also publish each entry to this bus (kafka://H:P).")
    ] = None,
) -> None:
    """Replay recorded footage: entry events as JSON Lines, and a summary at the end."""
    if auto_line_:
        inbound = "towards-camera"
    first_frame_at = None
    if start_time is not None:
        try:
            first_frame_at = parse_start_time(start_time)
        except ValueError as exc:
            fail(str(exc))
    cameras = cameras_for(
        files, config, line, inbound, checkpoint, region, detect_every, auto=auto_line_
    )
    if first_frame_at is not None:
        cameras = [c.model_copy(update={"start_time": first_frame_at}) for c in cameras]
    left_out = len(files) - len(cameras)  # files that could not be sized for their line
    if not cameras:
        raise typer.Exit(1)
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
            evidence_store(evidence_dir, config),
            annotate,
            ocr,
            show_progress=progress,
            publish=publish,
            console=err,
        )
        if bus is not None:
            the_bus.flush()  # every entry delivered before we report success
    if summaries:
        print_summary(err, summaries)
        if auto_line_:
            crossed = sum(s.entries + s.exits for s in summaries)
            err.print(
                f"--auto-line: a horizontal line at 60 % of the height; {crossed} vehicles "
                "crossed it either way (entries: towards the camera, exits: away). For real "
                "entries give --line and --inbound.",
                soft_wrap=True,
                highlight=False,
            )
    if errors or left_out > 0:
        raise typer.Exit(1)
