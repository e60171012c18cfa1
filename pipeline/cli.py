"""The ``entrywatch`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="EntryWatch: traffic cameras to vehicle entry events and undeclared-entry flags.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """EntryWatch command line."""


if __name__ == "__main__":
    app()
