"""How a pydantic ``ValidationError`` reads in one line: ``where: what; where: what``.

One formatter for the camera config, the API's declaration route, the CSV import and the
matcher's dead-letter reasons; each passes how it names a place (a dotted path, a CSV column, an
excerpt) and how much it shows. It imports nothing of ours, so every layer may use it (the store
included, like ``pipeline.events``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import ValidationError

Loc = Sequence[int | str]


def dotted(loc: Loc) -> str:
    """``cameras.0.line.end``."""
    return ".".join(str(part) for part in loc)


def without_value_error(message: str) -> str:
    """A validator's own words, without pydantic's ``Value error, `` prefix."""
    return message.removeprefix("Value error, ")


def describe_errors(
    exc: ValidationError,
    *,
    where: Callable[[Loc], str] = dotted,
    root: str = "(top level)",
    message: Callable[[str], str] = str,
    limit: int | None = None,
) -> str:
    """``where: message`` per error, joined by ``; ``. An error with no place is named ``root``
    (just the message when ``root`` is empty); past ``limit`` errors, ``(+N more)``."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for err in errors if limit is None else errors[:limit]:
        place = where(err["loc"]) or root
        text = message(err["msg"])
        parts.append(f"{place}: {text}" if place else text)
    more = f" (+{len(errors) - limit} more)" if limit is not None and len(errors) > limit else ""
    return "; ".join(parts) + more
