"""The ``entrywatch`` command line: one module of this package per command.

stdout carries data (JSON Lines); progress, logs and summaries go to stderr, so
``entrywatch replay clip.mp4 > entries.jsonl`` and pipes work as scripts expect.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler

from pipeline.cli import (
    declarations,
    demo,
    errors,
    frame,
    help_format,
    keys,
    matcher,
    read,
    relay,
    replay,
    run,
    schemas,
    serve,
    watchlist,
)

help_format.install()
errors.install()

app = typer.Typer(
    help="EntryWatch: traffic cameras to vehicle entry events and undeclared-entry flags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=errors.EntryWatchGroup,
)
err = Console(stderr=True)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it per command)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="ENTRYWATCH_DEBUG",
            help="Show the traceback of an error (otherwise one line says what went wrong).",
        ),
    ] = False,
) -> None:
    """EntryWatch command line."""
    handler: logging.Handler
    if err.is_terminal:
        handler = RichHandler(console=err, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # a file or a pipe: one line per record, never wrapped at 80 columns
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for noisy in ("ultralytics", "RapidOCR", "rapidocr", "kafka", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


app.command("frame")(frame.frame)
app.command("replay")(replay.replay)
app.command("demo")(demo.demo)
app.command("run")(run.run)
app.command("serve")(serve.serve)
app.add_typer(keys.keys_app, name="keys")
app.command("matcher")(matcher.matcher)
app.command("relay")(relay.relay)
app.add_typer(declarations.declarations_app, name="declarations")
app.command("read")(read.read)
app.command("schemas")(schemas.schemas)
app.add_typer(watchlist.watchlist_app, name="watchlist")


if __name__ == "__main__":
    app()
