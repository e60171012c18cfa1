"""Plate search on every list route (a prefix, OCR look-alikes alike), CSV answers of the flags
and entries lists, one entry with its vote, the open-flag count and a flag's declaration."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.csv_export import CSV_MAX_ROWS
from pipeline.events import PlateCandidate
from store import Store
from store.plates import CONFUSION_CLASSES
from store.schemas import DeclarationIn
from store.writes import add_declarations
from tests.api.conftest import Keys, flag_events
from tests.matcher.factories import T0, make_event


def _declare(store: Store, plate: str, **extra: object) -> int:
    item = DeclarationIn(
        plate=plate,
        valid_from=T0 - timedelta(days=2),
        valid_until=T0 - timedelta(days=1),  # lapsed before T0: entries at T0 are "expired"
        filed_at=T0 - timedelta(days=2),
        filed_via="api",
        **extra,  # type: ignore[arg-type]
    )
    with store.transaction() as session:
        [declaration_id] = add_declarations(session, [item])
    return declaration_id


def _plates(client: TestClient, path: str, keys: Keys, plate: str) -> list[str]:
    answer = client.get(path, params={"plate": plate}, headers=keys.headers("operator"))
    assert answer.status_code == 200, answer.text
    return sorted(item["plate"] for item in answer.json()["items"])


@pytest.fixture
def three_plates(store: Store) -> list[int]:
    return flag_events(
        store,
        make_event("30K55102", crossed_at=T0),
        make_event("30K55103", crossed_at=T0 + timedelta(minutes=1)),
        make_event("75A12345", crossed_at=T0 + timedelta(minutes=2)),
        make_event(None, crossed_at=T0 + timedelta(minutes=3)),  # unreadable: never found
    )


@pytest.mark.parametrize("path", ["/api/flags", "/api/entries"])
def test_plate_search_is_a_prefix_tolerant_of_look_alikes(
    client: TestClient, keys: Keys, three_plates: list[int], path: str
) -> None:
    assert _plates(client, path, keys, "30K") == ["30K55102", "30K55103"]
    assert _plates(client, path, keys, "30k-551.0") == ["30K55102", "30K55103"]
    assert _plates(client, path, keys, "3OK55IO2") == ["30K55102"]  # O~0, I~1
    assert _plates(client, path, keys, "3DK5SI02") == ["30K55102"]  # D~0, S~5
    assert _plates(client, path, keys, "75A12345") == ["75A12345"]
    assert _plates(client, path, keys, "99") == []
    refused = client.get(path, params={"plate": "--"}, headers=keys.headers("operator"))
    assert refused.status_code == 422 and "no letters or digits" in refused.text


def test_declarations_search_uses_the_confusion_key(
    client: TestClient, store: Store, keys: Keys
) -> None:
    _declare(store, "30K55102")
    _declare(store, "75A12345")
    path = "/api/declarations"
    assert _plates(client, path, keys, "30K") == ["30K55102"]
    assert _plates(client, path, keys, "3OK-55I") == ["30K55102"]
    assert _plates(client, path, keys, "75") == ["75A12345"]
    assert _plates(client, path, keys, "8") == []


def test_the_flags_list_answers_csv(
    client: TestClient, keys: Keys, three_plates: list[int]
) -> None:
    h = keys.headers("integrator")
    answer = client.get("/api/flags", params={"format": "csv", "plate": "30K"}, headers=h)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="entrywatch-flags-')
    assert answer.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["plate"] for r in rows] == ["30K55103", "30K55102"]  # newest first
    assert rows[0]["status"] == "open" and rows[0]["reason"] == "undeclared"
    assert rows[0]["priority"] == "3" and rows[0]["detail"].startswith("no declaration for 30K")
    assert rows[0]["crossed_at"].endswith("Z") and rows[0]["outcome"] == ""

    # Accept: text/csv is the same answer; JSON stays the default.
    accepted = client.get("/api/flags", headers={**h, "Accept": "text/csv"})
    assert accepted.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(accepted.text)))) == 1 + len(three_plates)
    assert client.get("/api/flags", headers=h).json()["items"]
    assert client.get("/api/flags", params={"format": "json"}, headers={**h, "Accept": "text/csv"}
                      ).headers["content-type"].startswith("application/json")  # fmt: skip
    # The page size still applies when asked for; CSV alone means every match.
    limited = client.get("/api/flags", params={"format": "csv", "limit": 1}, headers=h)
    assert len(list(csv.reader(io.StringIO(limited.text)))) == 2
    assert CSV_MAX_ROWS >= 10_000


def test_a_resolved_flag_in_csv_carries_its_outcome_and_formulas_are_defused(
    client: TestClient, keys: Keys, three_plates: list[int]
) -> None:
    h = keys.headers("operator")
    note = '=HYPERLINK("http://x")'  # a note that a spreadsheet would run
    done = client.post(
        f"/api/flags/{three_plates[0]}/resolve",
        json={"outcome": "violation_confirmed", "note": note},
        headers=h,
    )
    assert done.status_code == 200, done.text
    answer = client.get("/api/flags", params={"format": "csv", "status": "resolved"}, headers=h)
    [row] = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert row["outcome"] == "violation_confirmed" and row["resolved_by"] == "operator-user"
    assert row["resolution_note"] == "'" + note


def test_the_entries_list_answers_csv(
    client: TestClient, keys: Keys, three_plates: list[int]
) -> None:
    answer = client.get(
        "/api/entries", params={"format": "csv"}, headers=keys.headers("integrator")
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["plate"] for r in rows] == ["", "75A12345", "30K55103", "30K55102"]
    assert rows[1]["outcome"] == "undeclared" and rows[1]["readable"] == "true"
    assert rows[1]["vehicle_class"] == "car" and rows[1]["direction"] == "inbound"


def test_one_entry_with_its_vote(client: TestClient, store: Store, keys: Keys) -> None:
    event = make_event("30K55102")
    voted = event.plate.model_copy(
        update={
            "candidates": [
                PlateCandidate(plate="30K55102", score=3.5),
                PlateCandidate(plate="3OK55102", score=1.0),
            ]
        }
    )
    flag_events(store, event.model_copy(update={"plate": voted}))
    h = keys.headers("integrator")
    entry = client.get(f"/api/entries/{event.event_id}", headers=h).json()
    assert entry["candidates"] == [
        {"plate": "30K55102", "score": 3.5},
        {"plate": "3OK55102", "score": 1.0},
    ]
    assert entry["reads"] == 5 and entry["vehicle_box"] == [0, 0, 10, 10]
    assert entry["outcome"] == "undeclared" and entry["frame_index"] == 1
    assert client.get("/api/entries/nope", headers=h).status_code == 404


def test_open_flag_count_and_a_flags_declaration(
    client: TestClient, store: Store, keys: Keys
) -> None:
    declaration_id = _declare(store, "51G88123", checkpoints=frozenset({"QL1A-HAI-VAN"}))
    [expired, undeclared] = flag_events(
        store, make_event("51G88123", crossed_at=T0), make_event("30K55102", crossed_at=T0)
    )
    h = keys.headers("integrator")
    assert client.get("/api/stats/open-flags", headers=h).json() == {
        "open": 2,
        "by_priority": {"2": 1, "3": 1},
    }
    detail = client.get(f"/api/flags/{expired}", headers=h).json()
    assert detail["reason"] == "expired" and detail["declaration_id"] == declaration_id
    summary = detail["declaration"]
    assert summary["id"] == declaration_id and summary["checkpoints"] == ["QL1A-HAI-VAN"]
    assert summary["valid_until"].startswith((T0 - timedelta(days=1)).date().isoformat())
    assert "driver_name" not in summary  # integrators read flags: no personal data here
    assert client.get(f"/api/flags/{undeclared}", headers=h).json()["declaration"] is None

    client.post(f"/api/flags/{undeclared}/resolve", json={"outcome": "other"},
                headers=keys.headers("operator"))  # fmt: skip
    assert client.get("/api/stats/open-flags", headers=h).json()["open"] == 1


def test_the_dashboard_searches_with_the_matchers_confusion_classes() -> None:
    import re
    from pathlib import Path

    app_js = (Path(__file__).parents[2] / "api" / "static" / "app.js").read_text()
    [js] = re.findall(r"const CONFUSION_CLASSES = (\[[^\]]*\]);", app_js)
    assert tuple(re.findall(r'"([A-Z0-9]+)"', js)) == CONFUSION_CLASSES
