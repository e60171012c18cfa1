"""JSON Lines out: one record a line in the bus's wire encoding (compact UTF-8, no ``\\u``
escapes), flushed at once so a pipe or ``tail -f`` sees every line as it is written.

The one writer of ``replay --out``, ``run --out``, ``read`` and ``keys list``: a line of a
replay's or a worker's file is byte for byte the message the bus carries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

from pydantic import BaseModel


def json_line(record: BaseModel | Mapping[str, Any]) -> str:
    """``record`` as one line of JSON, without the newline."""
    value = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write_jsonl(out: TextIO, record: BaseModel | Mapping[str, Any]) -> None:
    """Write ``record`` as a line to ``out`` and flush."""
    out.write(json_line(record) + "\n")
    out.flush()
