"""The ``entrywatch`` command line.

stdout carries data (JSON Lines); progress, logs and summaries go to stderr, so
``entrywatch replay clip.mp4 > entries.jsonl`` and pipes work as scripts expect.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from pipeline import cli_api, cli_matcher, cli_replay, cli_run

app = typer.Typer(
    help="EntryWatch: traffic cameras to vehicle entry events and undeclared-entry flags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """EntryWatch command line."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, rich_tracebacks=False)],
    )
    for noisy in ("ultralytics", "RapidOCR", "rapidocr", "kafka", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


app.command("replay")(cli_replay.replay)
app.command("demo")(cli_replay.demo)
app.command("run")(cli_run.run)
app.command("serve")(cli_api.serve)
app.add_typer(cli_api.keys_app, name="keys")
app.command("matcher")(cli_matcher.matcher)
app.add_typer(cli_matcher.declarations_app, name="declarations")


@app.command()
def read(
    images: Annotated[list[Path], typer.Argument(help="Still images to read plates from.")],
    region: Annotated[str, typer.Option(help="Plate format profile: generic or vn.")] = "generic",
    ocr: Annotated[str, typer.Option(help="OCR back-end: rapidocr or easyocr.")] = "rapidocr",
) -> None:
    """Read plates on still images: one JSON line per image, most confident plate first.

    Output per line: {"image": PATH, "plates": [{"plate", "display", "confidence", "box",
    "valid", "raw"}, ...]}. An unreadable image prints {"image": PATH, "error": REASON}
    and the exit status is 1; the other images are still read.
    """
    from plate_reader.ocr import make_ocr
    from plate_reader.reader import PlateReader
    from plate_reader.still import describe_image

    reader = PlateReader(ocr=make_ocr(ocr), profile=region)
    failed = 0
    for image in images:
        try:
            line = describe_image(image, reader)
        except ValueError as exc:
            failed += 1
            err.print(f"[red]error[/red] {exc}")
            line = {"image": str(image), "error": str(exc)}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    raise typer.Exit(1 if failed else 0)


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Schemas to.")] = Path(
        "docs/schemas"
    ),
) -> None:
    """Write the published event JSON Schemas."""
    from pipeline.schemas import write_all

    for path in write_all(out):
        err.print(f"wrote {path}")


if __name__ == "__main__":
    app()
