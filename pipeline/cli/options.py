"""Command-line options shared by several ``entrywatch`` commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

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
TopicPrefix = Annotated[
    str, typer.Option(help="Prefix for the topic names (tests, shared clusters).")
]
