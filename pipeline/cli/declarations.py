"""``entrywatch declarations import``: filed declarations from a CSV, then the late resolutions."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.bus import Topics, open_bus
from pipeline.cli.options import DbUrl, GraceOption, TopicPrefix, migrated
from pipeline.cli.registry import CheckpointsOption, open_registry
from store import DEFAULT_URL, DeclarationsFileError, import_declarations
from store.csv_import import COLUMNS, parse_time_zone
from store.db import open_store

err = Console(stderr=True)

declarations_app = typer.Typer(
    help="Declarations: import filed declarations.", no_args_is_help=True
)


IMPORT_HELP = f"""Import filed declarations from a CSV, then resolve the flags they settle.

Columns (header on line 1, any order; docs/DECLARATIONS_CSV.md says what each holds):

{",".join(COLUMNS)}

Required: plate, valid_from, valid_until. checkpoints: * for any, else ids joined by ; (codes of
the checkpoints registry, --checkpoints: a row naming another is rejected). Times are
ISO 8601 with their offset (or give --assume-tz). Empty filed_at means now, empty filed_via csv.

Example row:

75A12345,75A-123.45,car,Nguyen Van An,+84905123456,Da Nang,Hue,work,QL1A-HAI-VAN,\
2021-08-01T00:00:00+07:00,2021-08-04T23:59:59+07:00,2021-07-31T20:15:00+07:00,web

The good rows are stored in one transaction and each bad row reported with its line number; then
the open flags the new declarations settle are resolved (and the resolutions published).

Exit status: 0 all rows imported, 1 some rows rejected (the good ones are stored), 2 the file
could not be read as a declarations CSV (nothing stored).
"""


@declarations_app.command("import", help=IMPORT_HELP)
def import_(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="Declarations CSV (columns above).")
    ],
    db: DbUrl = DEFAULT_URL,
    bus: Annotated[
        str | None, typer.Option("--bus", help="Publish the outbox here after (kafka://H:P).")
    ] = None,
    grace_minutes: GraceOption = 60,
    assume_tz: Annotated[
        str | None, typer.Option(help="Zone for times without offset, e.g. Asia/Ho_Chi_Minh.")
    ] = None,
    topic_prefix: TopicPrefix = "",
    checkpoints: CheckpointsOption = None,
) -> None:
    """Import filed declarations from a CSV (the help is IMPORT_HELP)."""
    from matcher.late import resolve_late
    from matcher.relay import OutboxRelay

    zone = None
    if assume_tz is not None:
        try:
            zone = parse_time_zone(assume_tz)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    registry = open_registry(checkpoints)
    migrated(db)
    with ExitStack() as stack:
        store = stack.enter_context(open_store(db))
        try:
            report = import_declarations(
                store, file, assume_tz=zone, known_checkpoints=registry.codes
            )
        except DeclarationsFileError as exc:
            err.print(f"[red]error[/red] {exc}")
            raise typer.Exit(2) from None
        # The report is data (stdout, one line per rejected row, never wrapped); the summary is
        # for people (stderr).
        for row in report.errors:
            typer.echo(f"{file}:{row.line}: rejected: {row.reason}")
        err.print(
            f"{file}: {report.imported} imported, {len(report.errors)} rejected", soft_wrap=True
        )
        resolved = resolve_late(
            store, report.declaration_ids, grace=timedelta(minutes=grace_minutes)
        )
        if resolved.flag_ids:
            ids = ", ".join(map(str, resolved.flag_ids))
            err.print(f"resolved {len(resolved.flag_ids)} open flags: {ids}", soft_wrap=True)
        if bus:
            # The resolutions are in the outbox already (a running matcher or relay would
            # publish them); publish them now rather than wait.
            topics = Topics.with_prefix(topic_prefix)
            the_bus = stack.enter_context(open_bus(bus))
            the_bus.ensure_topics(topics.all())
            outbox = OutboxRelay(store, the_bus, topics=topics)
            try:
                sent = outbox.drain()
            finally:
                outbox.release()
            err.print(f"published {sent} flag changes from the outbox")
    raise typer.Exit(1 if report.errors else 0)
