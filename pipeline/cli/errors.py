"""Errors from any command as one line saying what went wrong; the traceback only with
``entrywatch --debug`` (or ``ENTRYWATCH_DEBUG=1``).

Usage errors (a bad option) are Typer's message on one line with where the help is, exit status
2; ``typer.Exit`` keeps its status. Anything else that escapes a command is printed as
``error REASON`` and exits with status 1.
"""

from __future__ import annotations

import os
from typing import Any

import typer
import typer.core
import typer.rich_utils
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


def _one_line_usage_error(self: Any) -> None:
    """Typer's usage error (an unknown option, a bad value) as one line instead of a panel."""
    if self.__class__.__name__ == "NoArgsIsHelpError":
        return  # the help was printed
    message = " ".join(str(self.format_message()).split())
    ctx = getattr(self, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    Console(stderr=True).print(
        f"[red]error[/red] {escape(message)}{escape(where)}", soft_wrap=True, highlight=False
    )


def install() -> None:
    typer.rich_utils.rich_format_error = _one_line_usage_error
