"""``entrywatch frame``: one frame with a labelled pixel grid, to read an entry line off."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.frame_grab import write_grid_frame
from pipeline.sources import SourceError

err = Console(stderr=True)


def frame(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="Video file, folder of images or rtsp:// URL.",
            show_default=False,
        ),
    ],
    at: Annotated[
        float,
        typer.Option(
            "--at",
            metavar="SECONDS",
            min=0,
            help="Seconds into the clip (images: one per second; streams: after opening).",
        ),
    ] = 0.0,
    out: Annotated[
        Path, typer.Option("--out", metavar="PNG", help="Where the gridded frame goes.")
    ] = Path("frame.png"),
) -> None:
    """Write one frame with a labelled pixel grid and print its size, to read an entry line off.

    Give the line to replay as --line X1,Y1,X2,Y2, in pixels or fractions of the frame.
    """
    try:
        width, height = write_grid_frame(source, out, at)
    except SourceError as exc:
        err.print(f"[red]error[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    y = round(height * 0.6)
    typer.echo(f"{out}: frame {width}x{height} (width x height, pixels)")
    err.print(
        f"a line across the picture at 60 % of the height: --line 0,{y},{width},{y} "
        "(or in fractions --line 0,0.6,1,0.6)",
        soft_wrap=True,
        highlight=False,
    )
