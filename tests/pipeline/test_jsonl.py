"""The one JSON Lines writer: a file's line is the bus's message, UTF-8 unescaped, flushed."""

from __future__ import annotations

import io

from pipeline.bus import encode_value
from pipeline.jsonl import json_line, write_jsonl
from tests.matcher.factories import make_event


def test_an_event_line_is_the_bus_encoding() -> None:
    event = make_event()
    assert json_line(event).encode() == encode_value(event.model_dump(mode="json"))
    out = io.StringIO()
    write_jsonl(out, event)
    write_jsonl(out, {"plate": "Huế", "n": 1})
    first, second = out.getvalue().splitlines()
    assert type(event).model_validate_json(first) == event
    assert second == '{"plate":"Huế","n":1}'
