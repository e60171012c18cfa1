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
