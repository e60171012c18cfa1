"""Command-line options shared by several ``entrywatch`` commands, declared once."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.config import (
    EVIDENCE_DIR_ENV,
    ConfigError,
    EvidenceOptions,
    default_evidence_dir,
    load_cameras,
)
from plate_reader.formats import REGIONS

if TYPE_CHECKING:
    from pipeline.evidence import EvidenceStore

DbUrl = Annotated[
    str,
    typer.Option(
        "--db",
        "--db-url",
        envvar="ENTRYWATCH_DB_URL",
        help="Store URL (sqlite:///... or postgresql+psycopg://...).",
    ),
]

GraceOption = Annotated[
    int, typer.Option("--grace-minutes", min=0, help="Grace period around declaration windows.")
]
DEFAULT_REGION = "vn"  # the first region (docs: DESIGN.md, Vietnamese plates)
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="|".join(REGIONS),
        show_default=False,
        help="Plate format profile: vn, generic, auto (Vietnamese where a read is a "
        "Vietnamese plate as it stands, generic otherwise) or br (Brazil's old and Mercosur "
        "plates). Default: the camera config's region where there is one, else vn (read and "
        "replay alike).",
    ),
]


def region_or_default(region: str | None, configured: str | None = None) -> str:
    """The region given, else the configured one, else vn; an unknown one is a one-line error."""
    chosen = region or configured or DEFAULT_REGION
    if chosen not in REGIONS:
        fail(f"--region {chosen!r}: not a plate format profile; use {', '.join(REGIONS)}")
    return chosen


EvidenceDir = Annotated[
    Path | None,
    typer.Option(
        "--evidence-dir",
        envvar=EVIDENCE_DIR_ENV,
        metavar="FOLDER",
        show_default=False,
        help="Evidence images root, the same for replay, demo, run and serve. Default: the "
        "cameras file's evidence.dir, else out/evidence.",
    ),
]


def evidence_options(config: Path | None) -> EvidenceOptions:
    """The ``evidence:`` section of a cameras file (defaults without one or where it is broken:
    the command that loads the cameras says what is wrong with the file)."""
    if config is None:
        return EvidenceOptions()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once, by the cameras' own load
            return load_cameras(config).evidence
    except ConfigError:
        return EvidenceOptions()


def evidence_root(given: Path | None, options: EvidenceOptions) -> Path:
    """--evidence-dir (or ENTRYWATCH_EVIDENCE_DIR), else the config's ``evidence.dir``, else
    out/evidence: one order for every command."""
    return given or options.dir or default_evidence_dir()


def evidence_store(given: Path | None, config: Path | None = None) -> EvidenceStore:
    from pipeline.evidence import EvidenceStore

    options = evidence_options(config)
    return EvidenceStore.from_options(evidence_root(given, options), options)


TopicPrefix = Annotated[
    str, typer.Option(help="Prefix for the topic names (tests, shared clusters).")
]


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with a one-line error on stderr (what was wrong and what to do)."""
    Console(stderr=True).print(
        f"[red]error[/red] {escape(message)}", soft_wrap=True, highlight=False
    )
    raise typer.Exit(code)


def migrated(url: str) -> None:
    """Bring the store at ``url`` to the current schema before a command uses it (a new
    database gets its tables); a store that cannot be reached is a one-line error."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from store.db import migrate

    try:
        migrate(url)
    except (SQLAlchemyError, ArgumentError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"cannot open the store {_safe(url)}: {reason}; check --db (ENTRYWATCH_DB_URL)")


def _safe(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the given URL)"
