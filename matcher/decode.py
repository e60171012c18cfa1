"""Turning a consumed record into an ``EntryEvent``, or into the reason it must be dead-lettered.

The fast path is one pydantic pass over the raw bytes; only a record that fails it is parsed again
to say precisely why (not JSON, unknown version, or which field broke the schema).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from pipeline.bus import Message
from pipeline.events import SCHEMA_VERSION, EntryEvent


@dataclass(frozen=True, slots=True)
class Rejected:
    message: Message
    reason: str


def decode_entry(message: Message) -> EntryEvent | Rejected:
    try:
        return EntryEvent.model_validate_json(message.value)
    except ValidationError as exc:
        return Rejected(message, _why(message.value, exc))


def _why(value: bytes, exc: ValidationError) -> str:
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError) as e:
        return f"not JSON: {e}"
    if not isinstance(data, dict):
        return f"not a JSON object: {type(data).__name__}"
    if "schema_version" not in data:
        return "schema: no schema_version"
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        return f"unknown schema_version {version!r} (this matcher reads {SCHEMA_VERSION})"
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "schema: " + "; ".join(parts) + more
