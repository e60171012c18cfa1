"""The checkpoints registry a command reads (``serve``, ``declarations import``): the file given
by ``--checkpoints`` or ``ENTRYWATCH_CHECKPOINTS_FILE``, else the shipped
``configs/checkpoints.yaml`` when the working folder has one (a checkout), else none, said once
on stderr: declarations' checkpoints are then not checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.checkpoints import DEFAULT_CHECKPOINTS, CheckpointRegistry, load_checkpoints
from pipeline.cli.options import fail
from pipeline.config import ConfigError

CHECKPOINTS_ENV = "ENTRYWATCH_CHECKPOINTS_FILE"

CheckpointsOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        envvar=CHECKPOINTS_ENV,
        metavar="FILE.yaml",
        show_default=False,
        help="Checkpoints registry: declarations naming another checkpoint are refused. "
        f"Default: {DEFAULT_CHECKPOINTS} when present ({CHECKPOINTS_ENV}).",
    ),
]


def registry_file(given: Path | None) -> Path | None:
    """The registry file to read, or None (with a note on stderr) when there is none."""
    if given is not None:
        return given
    if DEFAULT_CHECKPOINTS.is_file():
        return DEFAULT_CHECKPOINTS
    Console(stderr=True).print(
        f"note: no checkpoints registry ({DEFAULT_CHECKPOINTS} not here; give --checkpoints): "
        "declarations' checkpoints are not checked",
        soft_wrap=True,
        highlight=False,
    )
    return None


def open_registry(given: Path | None) -> CheckpointRegistry:
    """The registry (empty when there is no file); a bad file is a one-line error."""
    path = registry_file(given)
    if path is None:
        return CheckpointRegistry()
    try:
        return load_checkpoints(path)
    except ConfigError as exc:
        fail(str(exc))
