"""``entrywatch schemas``: write the published event JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)


def schemas(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Schemas to.")] = Path(
        "docs/schemas"
    ),
) -> None:
    """Write the published event JSON Schemas."""
    from pipeline.schemas import write_all

    for path in write_all(out):
        err.print(f"wrote {path}")
