"""``entrywatch watchlist add|remove|list|audit``: plates flagged at top priority on every entry.

Changes go through ``store.watchlist`` like the API's, so each one is audited (who, when, the
reason, a note). ``list`` and ``audit`` print JSON Lines on stdout; what was done goes to stderr.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.options import DbUrl, fail, migrated
from pipeline.jsonl import write_jsonl
from store import DEFAULT_URL

err = Console(stderr=True)

watchlist_app = typer.Typer(
    help="Watch list: plates flagged at top priority whatever their declarations say.",
    no_args_is_help=True,
)

Plate = Annotated[str, typer.Argument(metavar="PLATE", help="Plate in any punctuation.")]
Note = Annotated[str | None, typer.Option(help="Kept in the audit trail with the change.")]


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


By = Annotated[
    str | None,
    typer.Option("--by", help="Who makes the change, for the audit (default: cli:LOGIN)."),
]


@watchlist_app.command("add")
def add(
    plate: Plate,
    reason: Annotated[str, typer.Option(help="Why the plate is watched (shown on its flags).")],
    by: By = None,
    note: Note = None,
    db_url: DbUrl = DEFAULT_URL,
) -> None:
    """Put a plate on the watch list (or give a listed plate a new reason)."""
    from store import open_store
    from store.watchlist import WatchlistError, add_plate

    migrated(db_url)
    with open_store(db_url) as store:
        try:
            with store.transaction() as session:
                done = add_plate(session, plate, reason, by or _default_actor(), note)
        except WatchlistError as exc:
            fail(str(exc))
    said = {"added": "added", "updated": "reason updated", "unchanged": "already listed"}
    err.print(f"{done.plate}: {said[done.change]}", soft_wrap=True, highlight=False)


@watchlist_app.command("remove")
def remove(plate: Plate, by: By = None, note: Note = None, db_url: DbUrl = DEFAULT_URL) -> None:
    """Take a plate off the watch list; exit status 1 when it is not on it."""
    from store import open_store
    from store.watchlist import WatchlistError, remove_plate

    migrated(db_url)
    with open_store(db_url) as store:
        try:
            with store.transaction() as session:
                done = remove_plate(session, plate, by or _default_actor(), note)
        except WatchlistError as exc:
            fail(str(exc), code=1)
    err.print(f"{done.plate}: removed", soft_wrap=True, highlight=False)


@watchlist_app.command("list")
def list_(db_url: DbUrl = DEFAULT_URL) -> None:
    """One JSON line per listed plate: plate, reason, added_at, added_by (newest first)."""
    from store import open_store
    from store.watchlist import list_plates

    migrated(db_url)
    with open_store(db_url) as store, store.session() as session:
        for row in list_plates(session):
            write_jsonl(
                sys.stdout,
                {
                    "plate": row.plate_normalised,
                    "reason": row.reason,
                    "added_at": row.added_at.isoformat(),
                    "added_by": row.added_by,
                },
            )


@watchlist_app.command("audit")
def audit(
    plate: Annotated[str | None, typer.Argument(metavar="[PLATE]", help="Only this plate.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
    db_url: DbUrl = DEFAULT_URL,
) -> None:
    """One JSON line per change (newest first): plate, action, actor, at, reason, note."""
    from store import open_store
    from store.watchlist import WatchlistError, audit_trail

    migrated(db_url)
    with open_store(db_url) as store, store.session() as session:
        try:
            rows = audit_trail(session, plate, limit=limit)
        except WatchlistError as exc:
            fail(str(exc))
        for row in rows:
            write_jsonl(
                sys.stdout,
                {
                    "plate": row.plate_normalised,
                    "action": row.action,
                    "actor": row.actor,
                    "at": row.at.isoformat(),
                    "reason": row.reason,
                    "note": row.note,
                },
            )
