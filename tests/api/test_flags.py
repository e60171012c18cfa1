"""Flags: list and filter, acknowledge, resolve, reopen (and the refused transitions), audit
rows, the outbox row of each change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.events import FlagEvent
from store import Store
from store.models import FlagAudit, FlagOutbox
from tests.api.conftest import Keys, make_flags


def test_list_filters_and_pages(client: TestClient, store: Store, keys: Keys) -> None:
    a = make_flags(store, 3, checkpoint="CP-A", camera_id="cam-a")
    b = make_flags(store, 2, checkpoint="CP-B", camera_id="cam-b", plate=None)
    h = keys.headers("integrator")

    page = client.get("/api/flags", params={"status": "open"}, headers=h).json()
    assert [f["flag_id"] for f in page["items"]] == sorted(a + b, reverse=True)
    first = page["items"][0]
    assert first["reason"] == "unreadable" and first["camera_id"] == "cam-b"
    assert set(first["evidence"]) == {
        "plate_crop",
        "vehicle_snapshot",
        "frame",
        "vehicle_box",
        "plate_box",
    }

    page = client.get("/api/flags", params={"checkpoint": "CP-A"}, headers=h).json()
    assert [f["flag_id"] for f in page["items"]] == sorted(a, reverse=True)
    page = client.get("/api/flags", params={"reason": "undeclared"}, headers=h).json()
    assert {f["flag_id"] for f in page["items"]} == set(a)
    page = client.get("/api/flags", params={"camera_id": "cam-b"}, headers=h).json()
    assert {f["flag_id"] for f in page["items"]} == set(b)

    page = client.get("/api/flags", params={"limit": 2}, headers=h).json()
    assert len(page["items"]) == 2 and page["next_before_id"] == page["items"][-1]["flag_id"]
    rest = client.get(
        "/api/flags", params={"limit": 10, "before_id": page["next_before_id"]}, headers=h
    ).json()
    assert len(rest["items"]) == 3 and rest["next_before_id"] is None

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    page = client.get("/api/flags", params={"since": future}, headers=h).json()
    assert page["items"] == []


def test_bad_filters_are_422(client: TestClient, keys: Keys) -> None:
    h = keys.headers("integrator")
    cases = [
        ({"status": "closed"}, "status"),
        ({"reason": "speeding"}, "reason"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-07-01T08:00:00"}, "since"),  # no time zone
        ({"since": "2026-07-02T00:00:00Z", "until": "2026-07-01T00:00:00Z"}, "until"),
    ]
    for params, word in cases:
        resp = client.get("/api/flags", params=params, headers=h)
        assert resp.status_code == 422, params
        assert word in str(resp.json()["detail"]), resp.json()


def test_acknowledge_then_resolve_is_audited(client: TestClient, store: Store, keys: Keys) -> None:
    [flag_id] = make_flags(store)
    op = keys.headers("operator")

    resp = client.post(f"/api/flags/{flag_id}/acknowledge", json={"note": "calling CP"}, headers=op)
    assert resp.status_code == 200 and resp.json()["status"] == "acknowledged"
    again = client.post(f"/api/flags/{flag_id}/acknowledge", json={}, headers=op)
    assert again.status_code == 409
    assert "is acknowledged" in again.json()["detail"]

    resp = client.post(
        f"/api/flags/{flag_id}/resolve",
        json={"outcome": "violation_confirmed", "note": "driver fined"},
        headers=keys.headers("admin"),
    )
    body = resp.json()
    assert resp.status_code == 200
    assert body["status"] == "resolved"
    assert body["resolution"] == {
        "outcome": "violation_confirmed",
        "actor": "admin-user",
        "at": body["updated_at"],
        "note": "driver fined",
        "declaration_id": None,
    }
    again = client.post(f"/api/flags/{flag_id}/resolve", json={"outcome": "misread"}, headers=op)
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"flag {flag_id} is resolved: only a flag that is acknowledged or open can be resolved"
    )
    ack = client.post(f"/api/flags/{flag_id}/acknowledge", json={}, headers=op)
    assert ack.status_code == 409 and "only a flag that is open" in ack.json()["detail"]

    audit = client.get(f"/api/flags/{flag_id}/audit", headers=keys.headers("integrator")).json()
    assert [(a["action"], a["actor"], a["note"]) for a in audit] == [
        ("opened", "system", None),
        ("acknowledged", "operator-user", "calling CP"),
        ("resolved", "admin-user", "violation_confirmed: driver fined"),
    ]
    detail = client.get(f"/api/flags/{flag_id}", headers=op).json()
    assert len(detail["audit"]) == 3
    with store.session() as session:
        rows = session.scalars(select(FlagAudit).where(FlagAudit.flag_id == flag_id)).all()
        assert all(r.at.tzinfo is not None for r in rows)


def test_resolve_open_flag_directly(client: TestClient, store: Store, keys: Keys) -> None:
    [flag_id] = make_flags(store)
    resp = client.post(
        f"/api/flags/{flag_id}/resolve",
        json={"outcome": "misread"},
        headers=keys.headers("operator"),
    )
    assert resp.status_code == 200 and resp.json()["resolution"]["note"] is None


def test_reopen_and_refused_transitions(client: TestClient, store: Store, keys: Keys) -> None:
    [flag_id] = make_flags(store)
    op = keys.headers("operator")
    url = f"/api/flags/{flag_id}"
    resp = client.post(f"{url}/reopen", json={}, headers=op)
    assert resp.status_code == 409
    assert resp.json()["detail"] == (
        f"flag {flag_id} is open: only a flag that is acknowledged or resolved can be reopened"
    )
    client.post(f"{url}/resolve", json={"outcome": "false_alarm"}, headers=op)
    resp = client.post(f"{url}/reopen", json={"note": "wrong call"}, headers=op)
    assert resp.status_code == 200
    assert resp.json()["status"] == "open" and resp.json()["resolution"] is None
    assert client.post(f"{url}/acknowledge", json={}, headers=op).status_code == 200
    assert client.post(f"{url}/resolve", json={"outcome": "misread"}, headers=op).status_code == 200
    actions = [a["action"] for a in client.get(f"{url}/audit", headers=op).json()]
    assert actions == ["opened", "resolved", "reopened", "acknowledged", "resolved"]
    assert client.post("/api/flags/999999/reopen", json={}, headers=op).status_code == 404


def test_every_change_is_one_outbox_row_in_order(
    client: TestClient, store: Store, keys: Keys
) -> None:
    [flag_id] = make_flags(store)
    op = keys.headers("operator")
    client.post(f"/api/flags/{flag_id}/acknowledge", json={}, headers=op)
    client.post(f"/api/flags/{flag_id}/acknowledge", json={}, headers=op)  # 409: no row
    client.post(f"/api/flags/{flag_id}/resolve", json={"outcome": "misread"}, headers=op)
    with store.session() as session:
        rows = session.scalars(
            select(FlagOutbox).where(FlagOutbox.flag_id == flag_id).order_by(FlagOutbox.id)
        ).all()
        events = [FlagEvent.model_validate_json(r.value) for r in rows]
    assert [r.status for r in rows] == ["open", "acknowledged", "resolved"]
    assert [e.status for e in events] == ["open", "acknowledged", "resolved"]
    assert len({(e.flag_id, e.status, e.updated_at) for e in events}) == 3
    rest = client.get(f"/api/flags/{flag_id}", headers=op).json()
    del rest["audit"], rest["declaration"]  # the API's additions to the FlagEvent
    assert rest == json.loads(rows[-1].value)  # the REST flag is the FlagEvent


def test_bad_actions_are_4xx(client: TestClient, store: Store, keys: Keys) -> None:
    [flag_id] = make_flags(store)
    op = keys.headers("operator")
    resp = client.post(f"/api/flags/{flag_id}/resolve", json={"outcome": "shrug"}, headers=op)
    assert resp.status_code == 422 and "outcome" in str(resp.json()["detail"])
    resp = client.post(f"/api/flags/{flag_id}/resolve", json={}, headers=op)
    assert resp.status_code == 422
    resp = client.post(
        f"/api/flags/{flag_id}/acknowledge", json={"note": "x", "extra": 1}, headers=op
    )
    assert resp.status_code == 422 and "extra" in str(resp.json()["detail"])
    resp = client.post(f"/api/flags/{flag_id}/acknowledge", json={"note": "x" * 2001}, headers=op)
    assert resp.status_code == 422
    resp = client.post("/api/flags/999999/acknowledge", json={}, headers=op)
    assert resp.status_code == 404 and resp.json()["detail"] == "flag 999999 not found"
    assert client.get("/api/flags/999999", headers=op).status_code == 404
    assert client.get("/api/flags/999999/audit", headers=op).status_code == 404
    assert client.get("/api/flags/abc", headers=op).status_code == 422
