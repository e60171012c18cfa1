"""Declarations: the public filing endpoint, operators' list/search/get/delete, CSV import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.ratelimit import RateLimiter
from matcher.local import InProcessMatcher
from store import Store
from store.models import DecisionRow
from tests.api.conftest import Keys, make_flags
from tests.matcher.factories import make_event
from tests.store.csv_samples import HEADER, row


def filing(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "plate": "75a 123.45",
        "vehicle_class": "car",
        "driver_name": "Nguyễn Văn A",
        "driver_phone": "0905 123 456",
        "origin": "Đà Nẵng",
        "destination": "Huế",
        "purpose": "công tác",
        "checkpoints": None,
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=2)).isoformat(),
    }
    body.update(overrides)
    return body


def test_driver_files_without_a_key(client: TestClient, keys: Keys) -> None:
    resp = client.post("/api/declarations", json=filing(checkpoints=["CP-PHONG-DIEN"]))
    assert resp.status_code == 201, resp.text
    filed = resp.json()
    assert filed["plate"] == "75A12345" and filed["plate_display"] == "75A-123.45"
    assert filed["resolved_flags"] == 0
    got = client.get(f"/api/declarations/{filed['id']}", headers=keys.headers("operator")).json()
    assert got["filed_via"] == "web" and got["checkpoints"] == ["CP-PHONG-DIEN"]
    assert got["driver_name"] == "Nguyễn Văn A"


def test_motorbike_plate_is_accepted(client: TestClient) -> None:
    resp = client.post("/api/declarations", json=filing(plate="75-B1 234.56"))
    assert resp.status_code == 201
    assert resp.json()["plate_display"] == "75-B1 234.56"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"plate": "ABC-1234"}, "is not a valid vn plate; expected e.g. 75A-123.45"),
        ({"plate": "05A-123.45"}, "is not a valid vn plate"),  # province codes start at 11
        ({"plate": ""}, "at least 4 characters"),
        ({"driver_phone": "call me"}, "driver_phone"),
        ({"vehicle_class": "tank"}, "vehicle_class"),
        ({"valid_from": "2026-07-01T08:00:00"}, "timezone"),
        ({"valid_until": "soon"}, "valid_until"),
        ({"surprise": 1}, "surprise"),
        ({"driver_name": None}, "driver_name"),
    ],
)
def test_bad_filings_are_422(client: TestClient, overrides: dict[str, Any], message: str) -> None:
    resp = client.post("/api/declarations", json=filing(**overrides))
    assert resp.status_code == 422
    assert message in str(resp.json()["detail"]), resp.json()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (timedelta(days=1), timedelta(hours=1), "valid_until must be after valid_from"),
        (timedelta(0), timedelta(days=20), "at most 14 days"),
        (timedelta(days=40), timedelta(days=41), "at most 30 days ahead"),
        (timedelta(days=-3), timedelta(days=1), "at most 24 hours in the past"),
        (timedelta(hours=-5), timedelta(hours=-1), "already past"),
    ],
)
def test_insane_windows_are_422(
    client: TestClient, start: timedelta, end: timedelta, message: str
) -> None:
    now = datetime.now(UTC)
    body = filing(valid_from=(now + start).isoformat(), valid_until=(now + end).isoformat())
    resp = client.post("/api/declarations", json=body)
    assert resp.status_code == 422
    assert message in str(resp.json()["detail"])


def test_filing_is_rate_limited_per_client(client: TestClient, app: FastAPI) -> None:
    app.state.declare_limiter = RateLimiter(limit=2, window_s=60)
    assert client.post("/api/declarations", json=filing()).status_code == 201
    assert client.post("/api/declarations", json=filing(plate="75A-1234")).status_code == 201
    resp = client.post("/api/declarations", json=filing(plate="75A-1235"))
    assert resp.status_code == 429
    assert "too many declarations" in resp.json()["detail"]
    assert 1 <= int(resp.headers["retry-after"]) <= 60


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window_s=10, clock=lambda: now[0])
    assert limiter.hit("a") is None and limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(10)
    assert limiter.hit("b") is None  # per client
    now[0] = 10.5
    assert limiter.hit("a") is None


def test_late_declaration_resolves_the_open_flag(
    client: TestClient, store: Store, keys: Keys
) -> None:
    crossed = datetime.now(UTC) - timedelta(minutes=10)
    [flag_id] = make_flags(store, plate="75A67890", crossed_at=crossed)
    resp = client.post(
        "/api/declarations",
        json=filing(plate="75A-678.90", valid_from=(crossed - timedelta(minutes=5)).isoformat()),
    )
    assert resp.json()["resolved_flags"] == 1
    flag = client.get(f"/api/flags/{flag_id}", headers=keys.headers("operator")).json()
    assert flag["status"] == "resolved" and flag["resolution"]["outcome"] == "declared_late"
    assert flag["resolution"]["declaration_id"] == resp.json()["id"]
    assert [a["actor"] for a in flag["audit"]] == ["system", "system"]


def test_operators_list_search_get_delete(client: TestClient, keys: Keys) -> None:
    op = keys.headers("operator")
    ids = [
        client.post("/api/declarations", json=filing(plate=p)).json()["id"]
        for p in ("75A-123.45", "75A-123.46", "43B-555.55")
    ]
    page = client.get("/api/declarations", headers=op).json()
    assert [d["id"] for d in page["items"]] == ids[::-1] and not page["has_more"]
    page = client.get("/api/declarations", params={"plate": "75a-123"}, headers=op).json()
    assert {d["plate"] for d in page["items"]} == {"75A12345", "75A12346"}
    page = client.get("/api/declarations", params={"limit": 1, "offset": 1}, headers=op).json()
    assert [d["id"] for d in page["items"]] == [ids[1]] and page["has_more"]
    now = datetime.now(UTC).isoformat()
    page = client.get("/api/declarations", params={"valid_at": now}, headers=op).json()
    assert len(page["items"]) == 3

    assert client.delete(f"/api/declarations/{ids[0]}", headers=op).status_code == 204
    resp = client.get(f"/api/declarations/{ids[0]}", headers=op)
    assert resp.status_code == 404 and resp.json()["detail"] == f"declaration {ids[0]} not found"
    assert client.delete(f"/api/declarations/{ids[0]}", headers=op).status_code == 404
    resp = client.get("/api/declarations", params={"plate": "--"}, headers=op)
    assert resp.status_code == 422 and "no letters or digits" in resp.json()["detail"]
    bad = client.get("/api/declarations", params={"valid_at": "2026-07-01"}, headers=op)
    assert bad.status_code == 422


def test_csv_import_reports_bad_rows(client: TestClient, keys: Keys) -> None:
    text = "\n".join([HEADER, row(), row(plate="??"), row(valid_until="2026-06-01T00:00:00+07:00")])
    files = {"file": ("district.csv", text.encode(), "text/csv")}
    resp = client.post("/api/declarations/import", files=files, headers=keys.headers("admin"))
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["imported"] == 1 and len(report["declaration_ids"]) == 1
    assert [e["line"] for e in report["errors"]] == [3, 4]
    assert "plate" in report["errors"][0]["reason"]
    assert "valid_until" in report["errors"][1]["reason"]


def test_csv_import_of_a_wrong_file_is_422(client: TestClient, keys: Keys) -> None:
    admin = keys.headers("admin")
    files = {"file": ("x.csv", b"name,age\nbob,3\n", "text/csv")}
    resp = client.post("/api/declarations/import", files=files, headers=admin)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail.startswith("x.csv: wrong header") and "/tmp" not in detail
    files = {"file": ("x.csv", b"\xff\xfe\x00", "text/csv")}
    resp = client.post("/api/declarations/import", files=files, headers=admin)
    assert resp.status_code == 422 and "not UTF-8" in resp.json()["detail"]
    resp = client.post("/api/declarations/import", headers=admin)
    assert resp.status_code == 422
    resp = client.post(
        "/api/declarations/import",
        params={"assume_tz": "Mars/Olympus"},
        headers=admin,
        files={"file": ("x.csv", HEADER.encode(), "text/csv")},
    )
    assert resp.status_code == 422 and "unknown time zone" in resp.json()["detail"]


def test_csv_import_size_limit(client: TestClient, keys: Keys, app: FastAPI) -> None:
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 100})
    files = {"file": ("big.csv", b"x" * 101, "text/csv")}
    resp = client.post("/api/declarations/import", files=files, headers=keys.headers("admin"))
    assert resp.status_code == 413 and "larger than 100 bytes" in resp.json()["detail"]


def test_deleting_a_declaration_keeps_the_decisions_it_covered(
    client: TestClient, keys: Keys, store: Store
) -> None:
    """Decisions outlive the declaration that covered them, their reference cleared (what
    ``ON DELETE SET NULL`` did before the key was dropped for speed)."""
    crossed = datetime.now(UTC)
    [kept, deleted] = [
        client.post("/api/declarations", json=filing(plate=p)).json()["id"]
        for p in ("75A-111.11", "75A-222.22")
    ]
    events = [make_event(p, crossed_at=crossed) for p in ("75A11111", "75A22222")]
    InProcessMatcher(store).decide_batch(events)
    assert (
        client.delete(f"/api/declarations/{deleted}", headers=keys.headers("operator")).status_code
        == 204
    )
    with store.session() as session:
        rows = dict(session.execute(select(DecisionRow.event_id, DecisionRow.declaration_id)).all())
        outcomes = set(session.scalars(select(DecisionRow.outcome)))
    assert rows == {events[0].event_id: kept, events[1].event_id: None}
    assert outcomes == {"declared"}
