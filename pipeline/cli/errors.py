"""Errors from any command as one line saying what went wrong; the traceback only with
``entrywatch --debug`` (or ``ENTRYWATCH_DEBUG=1``).

Usage errors (a bad option) keep Typer's own message; ``typer.Exit`` keeps its status. Anything
else that escapes a command is printed as ``error REASON`` and exits with status 1.
"""

from __future__ import annotations

import os
from typing import Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from typer.exceptions import TyperException


def describe(exc: BaseException) -> str:
    """The first line of an error, the driver's own reason for database errors."""
    inner = getattr(exc, "orig", None)
    text = str(inner if inner is not None else exc).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first or isinstance(exc, (KeyError, IndexError, AttributeError, TypeError)):
        first = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first


class EntryWatchGroup(typer.core.TyperGroup):
    """The command group; it turns an exception escaping a command into one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (TyperException, typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            Console(stderr=True).print("interrupted")
            raise SystemExit(130) from None
        except Exception as exc:
            if ctx.params.get("debug") or os.environ.get("ENTRYWATCH_DEBUG", "") not in ("", "0"):
                raise
            Console(stderr=True).print(
                f"[red]error[/red] {escape(describe(exc))}  (entrywatch --debug ... shows where)",
                soft_wrap=True,
                highlight=False,
            )
            raise SystemExit(1) from None
