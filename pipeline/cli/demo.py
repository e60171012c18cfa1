"""``entrywatch demo``, the main job on embedded defaults: replay the sample clips, match, print
entries and flags.

No Kafka or database server: events stay in process and the declarations live in a
SQLite file under the output folder, rebuilt on every run so the demo is repeatable. The sample
clips, their cameras (from each clip's ground truth) and declarations are package data, so the
demo runs from any directory. Entries and flags are the result (stdout); progress and the replay
summary go to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matcher.local import InProcessMatcher
from matcher.rules import Decision
from pipeline.cli.options import EvidenceDir, evidence_store
from pipeline.config import (
    CameraConfig,
    ConfigError,
    LineConfig,
    load_cameras,
)
from pipeline.events import EntryEvent
from pipeline.replay import print_summary, run_replays
from plate_reader.ocr import DEFAULT_OCR, OCR_HELP
from store.csv_import import DeclarationsFileError, import_declarations
from store.db import migrate, open_store

err = Console(stderr=True)


def samples_dir() -> Path:
    """The sample clips: the installed ``sample_videos`` package data, else the checkout's
    folder next to this package (an editable install)."""
    try:
        import sample_videos

        return Path(sample_videos.__file__).resolve().parent
    except ImportError:
        return Path(__file__).resolve().parents[2] / "sample_videos"


def sample_cameras(samples: Path) -> list[CameraConfig]:
    """One camera per sample clip, from the clip's ground truth (its camera, line and start)."""
    cameras = []
    for truth_file in sorted(samples.glob("entry_*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        cam = truth["camera"]
        (x1, y1), (x2, y2) = cam["line"]
        try:
            cameras.append(
                CameraConfig(
                    camera_id=cam["camera_id"],
                    checkpoint=cam["checkpoint"],
                    source=str(samples / truth["clip"]),
                    line=LineConfig(start=(x1, y1), end=(x2, y2), inbound_side=cam["inbound_side"]),
                    region=cam.get("region", "vn"),
                    start_time=truth.get("start_time"),
                )
            )
        except ValueError as exc:
            raise ConfigError(f"{truth_file}: {exc}") from None
    if not cameras:
        raise ConfigError(f"{samples}: no sample clips (entry_*.json) in it")
    return cameras


def _entries_table(decided: list[tuple[EntryEvent, Decision]]) -> Table:
    table = Table(title="Entries and decisions")
    for col in ("time", "camera", "checkpoint", "plate", "conf", "class", "decision", "flag"):
        table.add_column(col)
    for event, decision in sorted(decided, key=lambda d: d[0].crossed_at):
        table.add_row(
            event.crossed_at.strftime("%H:%M:%S"),
            event.camera_id,
            event.checkpoint,
            event.plate.display or "[dim](unreadable)[/dim]",
            f"{event.plate.confidence:.2f}",
            event.vehicle.vehicle_class,
            str(decision.outcome),
            "[bold red]FLAG[/bold red]" if decision.flagged else "",
        )
    return table


def _flags_table(decided: list[tuple[EntryEvent, Decision]]) -> Table:
    table = Table(title="Flags for operators")
    for col in ("priority", "plate", "camera", "reason", "evidence"):
        table.add_column(col)
    flagged = [(e, d) for e, d in decided if d.flagged]
    for event, decision in sorted(flagged, key=lambda d: -int(d[1].priority)):
        table.add_row(
            decision.priority.name,
            event.plate.display or "(unreadable)",
            event.camera_id,
            decision.reason,
            event.evidence.vehicle_snapshot or "",
        )
    return table


def run_demo(
    samples: Path,
    config: Path | None,
    declarations: Path,
    out_dir: Path,
    console: Console,
    *,
    results: Console | None = None,
    ocr: str = DEFAULT_OCR,
    evidence_dir: Path | None = None,
) -> int:
    """Replay, match and print; the entries and flags tables go to ``results`` (stdout).
    Evidence goes to ``evidence_dir``, else the one default every command shares (so ``serve``
    finds it without being told)."""
    shown = results if results is not None else Console()
    if results is None and not shown.is_terminal:
        shown = Console(width=160)  # a file or pipe: whole camera ids, no 80-column cut
    try:
        cameras = load_cameras(config).cameras if config else sample_cameras(samples)
    except ConfigError as exc:
        console.print(f"[red]error[/red] {exc}", soft_wrap=True, highlight=False)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = (out_dir / "entrywatch.db").resolve()
    db_path.unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    migrate(url)
    store = open_store(url)
    try:
        try:
            report = import_declarations(store, declarations)
        except DeclarationsFileError as exc:
            console.print(f"[red]error[/red] {exc}", soft_wrap=True, highlight=False)
            return 2
        console.print(f"declarations: {report.imported} imported from {declarations}")
        for row_error in report.errors:
            console.print(f"[yellow]  line {row_error.line}: {row_error.reason}[/yellow]")

        events: list[EntryEvent] = []
        store_of_evidence = evidence_store(evidence_dir, config)
        evidence = store_of_evidence.root.resolve()
        with (out_dir / "entries.jsonl").open("w", encoding="utf-8") as out:
            summaries, errors = run_replays(
                cameras,
                out,
                store_of_evidence,
                None,
                ocr,
                on_event_extra=events,
                console=console,
            )
        print_summary(console, summaries)
        decided = InProcessMatcher(store).decide_batch(events)
        shown.print(_entries_table(decided))
        shown.print(_flags_table(decided))
        console.print(
            f"events: {out_dir / 'entries.jsonl'}  evidence: {evidence}  store: {db_path}",
            soft_wrap=True,
            highlight=False,
        )
        shown.print("See them in the dashboard (http://127.0.0.1:8000/):", highlight=False)
        shown.print(
            f"entrywatch serve --db {url} --evidence-dir {evidence}",
            soft_wrap=True,
            highlight=False,
        )
        return 1 if errors else 0
    finally:
        store.close()


def demo(
    samples: Annotated[
        Path | None,
        typer.Option(
            metavar="FOLDER",
            help="Folder of sample clips with their ground truth (default: the installed "
            "sample_videos).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.yaml",
            help="Cameras YAML for the clips (default: each clip's camera from its ground truth).",
            show_default=False,
        ),
    ] = None,
    declarations: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.csv",
            help="Declarations CSV (default: declarations.csv of the samples).",
            show_default=False,
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option(metavar="FOLDER", help="Where outputs go.")] = Path(
        "out/demo"
    ),
    ocr: Annotated[str, typer.Option(help=OCR_HELP)] = DEFAULT_OCR,
    evidence_dir: EvidenceDir = None,
) -> None:
    """Replay the sample clips, match entries against sample declarations, print the flags.

    Entries and flags go to stdout, ending with the command that shows them in the dashboard.
    """
    folder = samples if samples is not None else samples_dir()
    filed = declarations if declarations is not None else folder / "declarations.csv"
    raise typer.Exit(
        run_demo(folder, config, filed, out_dir, err, ocr=ocr, evidence_dir=evidence_dir)
    )
