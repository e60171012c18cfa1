"""How ``--help`` looks: names of values, not Typer's type placeholders.

Typer (0.2x) writes a type column (``<bool>``, ``<str>``, ``<list[Path]>``) and wraps required
arguments in braces on the usage line (``{files}...``); neither has a setting. ``install()``
makes an option show its metavar only where one was chosen (``--line X1,Y1,X2,Y2``), arguments
show their name in capitals (``FILES...``), and nothing else changes.
"""

from __future__ import annotations

from typing import Any

import typer.core


def _option_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    return self.metavar


def _argument_type(self: typer.core.TyperArgument, ctx: Any) -> str | None:
    return None  # the argument's name column says it already


def _argument_name(self: typer.core.TyperArgument) -> str:
    name = self.metavar or (self.name or "arg").upper()
    return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


def _usage_name(self: typer.core.TyperArgument) -> str:
    name = _argument_name(self)
    return name if self.required else f"[{name}]"


def install() -> None:
    typer.core.TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    typer.core.TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
    typer.core.TyperArgument._rich_display_name = _argument_name  # type: ignore[method-assign]
    typer.core.TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
