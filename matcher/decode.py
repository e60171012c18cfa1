"""Turning a consumed record into an ``EntryEvent``, or into the reason it must be dead-lettered.

Total: any bytes give an event or a ``Rejected`` with a short reason, never an exception (a
nesting too deep for the parser, a value too big for memory, a string the store cannot hold).

The fast path is one pydantic pass over the raw bytes; only a record that fails it is looked at
again to say precisely why (not JSON, unknown version, or which field broke the schema). The
second look parses with the standard library only when the record is small and shallow enough.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from pipeline.bus import Message
from pipeline.events import SCHEMA_VERSION, EntryEvent
from pipeline.validation import Loc, describe_errors

# An entry is about 1.5 KB; anything far bigger is not one (and is not parsed at all).
MAX_ENTRY_BYTES = 64 * 1024
# Nesting deeper than any entry's (which is 3), before the standard parser is asked why.
MAX_DEPTH = 32
REASON_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Rejected:
    message: Message
    reason: str


def decode_entry(message: Message) -> EntryEvent | Rejected:
    """The event in ``message``, or why it is not one."""
    value = message.value
    try:
        if value is None:
            return Rejected(message, "not JSON: no value (a tombstone)")
        if len(value) > MAX_ENTRY_BYTES:
            return Rejected(message, f"too large: {len(value)} bytes (limit {MAX_ENTRY_BYTES})")
        try:
            event = EntryEvent.model_validate_json(value)
        except ValidationError as exc:
            return Rejected(message, _why(value, exc))
        # Literal[1] has a default for Python callers; on the wire the version is required.
        if "schema_version" not in event.model_fields_set:
            return Rejected(message, "schema: no schema_version")
        return event
    except (RecursionError, MemoryError) as exc:
        return Rejected(message, f"not decodable: {type(exc).__name__}")
    except Exception as exc:
        return Rejected(message, f"not decodable: {type(exc).__name__}: {_excerpt(str(exc))}")


def _why(value: bytes, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if errors and errors[0]["type"] == "json_invalid":
        return f"not JSON: {_excerpt(errors[0]['msg'])}"
    if _depth(value) > MAX_DEPTH:
        return f"schema: nested deeper than {MAX_DEPTH}"
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        return f"not JSON: {_excerpt(str(e))}"
    if not isinstance(data, dict):
        return f"not a JSON object: {type(data).__name__}"
    if "schema_version" not in data:
        return "schema: no schema_version"
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        shown = _excerpt(repr(version))
        return f"unknown schema_version {shown} (this matcher reads {SCHEMA_VERSION})"
    return "schema: " + describe_errors(
        exc, where=_excerpted_loc, root="(root)", message=_excerpt, limit=5
    )


def _excerpted_loc(loc: Loc) -> str:
    return ".".join(_excerpt(str(p), 40) for p in loc)


def _depth(value: bytes) -> int:
    """An upper bound of the JSON nesting depth (brackets inside strings count too)."""
    depth = deepest = 0
    for byte in value.translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _excerpt(text: str, limit: int = REASON_EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
