"""``entrywatch demo``, the main job on embedded defaults: replay the sample clips, match, print
entries and flags.

No Kafka or database server: events stay in process and the declarations live in a
SQLite file under the output folder, rebuilt on every run so the demo is repeatable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matcher.local import InProcessMatcher
from matcher.rules import Decision
from pipeline.config import ConfigError, load_cameras
from pipeline.events import EntryEvent
from pipeline.replay import run_replays, summary_table
from store.csv_import import DeclarationsFileError, import_declarations
from store.db import migrate, open_store

err = Console(stderr=True)


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
    samples: Path, config: Path, declarations: Path, out_dir: Path, console: Console
) -> int:
    try:
        cameras = load_cameras(config).cameras
    except ConfigError as exc:
        console.print(f"[red]error[/red] {exc}")
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "entrywatch.db"
    db_path.unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    migrate(url)
    store = open_store(url)
    try:
        try:
            report = import_declarations(store, declarations)
        except DeclarationsFileError as exc:
            console.print(f"[red]error[/red] {exc}")
            return 2
        console.print(f"declarations: {report.imported} imported from {declarations}")
        for row_error in report.errors:
            console.print(f"[yellow]  line {row_error.line}: {row_error.reason}[/yellow]")

        events: list[EntryEvent] = []
        with (out_dir / "entries.jsonl").open("w", encoding="utf-8") as out:
            summaries, errors = run_replays(
                cameras,
                out,
                out_dir / "evidence",
                None,
                "rapidocr",
                on_event_extra=events,
                console=console,
            )
        console.print(summary_table(summaries))
        decided = InProcessMatcher(store).decide_batch(events)
        console.print(_entries_table(decided))
        console.print(_flags_table(decided))
        console.print(
            f"events: {out_dir / 'entries.jsonl'}  evidence: {out_dir / 'evidence'}  "
            f"store: {db_path}"
        )
        return 1 if errors else 0
    finally:
        store.close()


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
    raise typer.Exit(run_demo(samples, config, declarations, out_dir, err))
