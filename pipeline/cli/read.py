"""``entrywatch read``: plates on still images, one JSON line per image."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.options import RegionOption, region_or_default
from pipeline.jsonl import write_jsonl
from plate_reader.ocr import DEFAULT_OCR, OCR_HELP

err = Console(stderr=True)


def read(
    images: Annotated[
        list[Path], typer.Argument(metavar="IMAGES", help="Still images to read plates from.")
    ],
    region: RegionOption = None,
    ocr: Annotated[str, typer.Option(help=OCR_HELP)] = DEFAULT_OCR,
    threads: Annotated[
        int | None,
        typer.Option(min=1, help="Threads per model (default: one per core; models run in turn)."),
    ] = None,
) -> None:
    """Read plates on still images: one JSON line per image, most confident plate first.

    Output per line: {"image": PATH, "plates": [{"plate", "display", "confidence", "box",
    "valid", "raw"}, ...]}. An unreadable image prints {"image": PATH, "error": REASON}
    and the exit status is 1; the other images are still read.
    """
    from pipeline.images import check_pixels
    from plate_reader.still import describe_image, still_reader

    reader = still_reader(ocr, region_or_default(region), threads)
    failed = 0
    for image in images:
        try:
            check_pixels(image)  # before decoding: a small file can declare gigapixels
            line = describe_image(image, reader)
        except ValueError as exc:
            failed += 1
            err.print(f"[red]error[/red] {exc}")
            line = {"image": str(image), "error": str(exc)}
        write_jsonl(sys.stdout, line)
    raise typer.Exit(1 if failed else 0)
