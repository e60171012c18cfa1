"""Decoding is total: any bytes give an EntryEvent or a short reason for the dead letters, never
an exception (issue 13: a 2 KB record of nested brackets used to stop the matcher for good)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import decode
from matcher.decode import MAX_ENTRY_BYTES, Rejected, decode_entry
from pipeline.bus import Message
from pipeline.events import EntryEvent
from tests.matcher.factories import make_event

VALID = make_event("75A12345").model_dump(mode="json")
REASON_MAX = 700


def message(value: bytes) -> Message:
    return Message("entrywatch.entries.v1", 0, 7, "75A12345", value, datetime.now(UTC))


def with_(**changes: Any) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def reason(value: bytes) -> str:
    decoded = decode_entry(message(value))
    assert isinstance(decoded, Rejected), decoded
    assert len(decoded.reason) <= REASON_MAX
    return decoded.reason


POISON = {
    "nested brackets": (("[" * 1000 + "]" * 1000).encode(), "not JSON"),
    "nested objects": (('{"a":' * 5000 + "1" + "}" * 5000).encode(), "not JSON"),
    "long camera id": (with_(camera_id="c" * 300), "camera_id"),
    "NUL": (with_(camera_id="QL\u0000X"), "camera_id"),
    "lone surrogate": (with_(checkpoint="\ud800"), "not JSON"),
    "no schema_version": (
        json.dumps({k: v for k, v in VALID.items() if k != "schema_version"}).encode(),
        "no schema_version",
    ),
    "year 1": (with_(crossed_at="0001-01-01T00:00:00+01:00"), "crossed_at"),
    "year 9999": (with_(crossed_at="9999-12-31T23:00:00-05:00"), "crossed_at"),
    "NaN": (with_(plate={**VALID["plate"], "confidence": float("nan")}), "confidence"),
    "too large": (b" " * (MAX_ENTRY_BYTES + 1), "too large"),
    "not UTF-8": (b"\xff\xfe{", "not JSON"),
    "many unknown keys": (with_(**{f"k{i}": "v" * 5 for i in range(3000)}), "more)"),
}


@pytest.mark.parametrize("name", list(POISON))
def test_poison_is_rejected_with_a_short_reason(name: str) -> None:
    value, expected = POISON[name]
    assert expected in reason(value)


def test_valid_event_decodes() -> None:
    assert decode_entry(message(json.dumps(VALID).encode())) == EntryEvent.model_validate(VALID)


@pytest.mark.parametrize("error", [MemoryError, RecursionError, RuntimeError])
def test_an_error_inside_the_parser_is_a_rejection(
    monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    def boom(*_: object, **__: object) -> EntryEvent:
        raise error("boom")

    monkeypatch.setattr(decode.EntryEvent, "model_validate_json", boom)
    assert "not decodable" in reason(json.dumps(VALID).encode())


json_trees = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters()),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=40,
)


def _check_total(value: bytes) -> None:
    decoded = decode_entry(message(value))
    assert isinstance(decoded, EntryEvent | Rejected)
    if isinstance(decoded, Rejected):
        assert isinstance(decoded.reason, str) and len(decoded.reason) <= REASON_MAX


@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_are_rejected(value: bytes) -> None:
    _check_total(value)


@given(json_trees)
def test_any_json_tree_decodes_or_is_rejected(tree: Any) -> None:
    _check_total(json.dumps(tree).encode())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(VALID)), json_trees, st.sampled_from(["plate", "vehicle", None]))
def test_any_field_of_an_entry_replaced_decodes_or_is_rejected(
    field: str, tree: Any, nested: str | None
) -> None:
    doc = json.loads(json.dumps(VALID))
    if nested is not None:
        doc[nested] = {**doc[nested], field: tree}
    else:
        doc[field] = tree
    _check_total(json.dumps(doc).encode())
