"""The watch list through the API (SQLite and PostgreSQL): operators and admins change it, each
change audited under the key's name; a plate added here is flagged watchlisted at top priority
by the real matcher and served so by the flags list. /api/me tells the dashboard the role."""

from __future__ import annotations

from fastapi.testclient import TestClient

from matcher.rules import Priority
from store import Store
from tests.api.conftest import Keys, flag_events
from tests.matcher.factories import make_event


def test_operator_adds_and_the_matcher_flags_it_first(
    client: TestClient, store: Store, keys: Keys
) -> None:
    op = keys.headers("operator")
    resp = client.post(
        "/api/watchlist", json={"plate": "51f-222.22", "reason": "xe bị mất cắp"}, headers=op
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["change"] == "added"
    assert resp.json()["entry"] == {
        "plate": "51F22222",
        "reason": "xe bị mất cắp",
        "added_at": resp.json()["entry"]["added_at"],
        "added_by": "operator-user",
    }

    watched, plain = flag_events(store, make_event("51F22222"), make_event("43A11111"))
    flags = {
        f["flag_id"]: f
        for f in client.get("/api/flags", headers=keys.headers("integrator")).json()["items"]
    }
    assert (flags[watched]["reason"], flags[watched]["priority"]) == (
        "watchlisted",
        Priority.CRITICAL,
    )
    assert flags[plain]["reason"] == "undeclared"
    assert flags[plain]["priority"] < Priority.CRITICAL


def test_change_remove_and_the_audit_trail(client: TestClient, keys: Keys) -> None:
    op, admin = keys.headers("operator"), keys.headers("admin")
    body = {"plate": "75A-123.45", "reason": "stolen"}
    assert client.post("/api/watchlist", json=body, headers=op).status_code == 201
    same = client.post("/api/watchlist", json=body, headers=admin)
    assert (same.status_code, same.json()["change"]) == (200, "unchanged")
    changed = client.post(
        "/api/watchlist",
        json={**body, "reason": "stolen, armed", "note": "từ CA tỉnh"},
        headers=admin,
    )
    assert (changed.status_code, changed.json()["change"]) == (200, "updated")
    assert [e["reason"] for e in client.get("/api/watchlist", headers=op).json()] == [
        "stolen, armed"
    ]

    gone = client.delete("/api/watchlist/75A-123.45", params={"note": "recovered"}, headers=op)
    assert gone.status_code == 204
    assert client.get("/api/watchlist", headers=op).json() == []
    again = client.delete("/api/watchlist/75A12345", headers=op)
    assert again.status_code == 404
    assert again.json()["detail"] == "plate 75A12345 is not on the watch list"

    trail = client.get("/api/watchlist/audit", params={"plate": "75a12345"}, headers=op).json()
    assert [(a["action"], a["actor"], a["note"]) for a in trail] == [
        ("removed", "operator-user", "recovered"),
        ("updated", "admin-user", "từ CA tỉnh"),
        ("added", "operator-user", None),
    ]


def test_bad_requests_say_what_was_wrong(client: TestClient, keys: Keys) -> None:
    op = keys.headers("operator")
    bad = client.post("/api/watchlist", json={"plate": "ABC", "reason": "x"}, headers=op)
    assert bad.status_code == 422 and "plate 'ABC' normalises to 'ABC'" in bad.json()["detail"]
    blank = client.post("/api/watchlist", json={"plate": "75A12345", "reason": ""}, headers=op)
    assert blank.status_code == 422 and "reason" in str(blank.json()["detail"])
    extra = client.post(
        "/api/watchlist", json={"plate": "75A12345", "reason": "x", "by": "me"}, headers=op
    )
    assert extra.status_code == 422 and "by" in str(extra.json()["detail"])


def test_only_operators_and_admins(client: TestClient, keys: Keys) -> None:
    body = {"plate": "75A12345", "reason": "stolen"}
    assert client.get("/api/watchlist").status_code == 401
    for route in ("/api/watchlist", "/api/watchlist/audit"):
        resp = client.get(route, headers=keys.headers("integrator"))
        assert resp.status_code == 403 and "needs 'operator'" in resp.json()["detail"]
    assert (
        client.post("/api/watchlist", json=body, headers=keys.headers("integrator")).status_code
        == 403
    )
    delete = client.delete("/api/watchlist/75A12345", headers=keys.headers("integrator"))
    assert delete.status_code == 403


def test_me_names_the_key_and_its_role(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/me").status_code == 401
    me = client.get("/api/me", headers=keys.headers("operator")).json()
    assert me == {"name": "operator-user", "role": "operator", "may": ["operator", "integrator"]}
    admin = client.get("/api/me", headers=keys.headers("admin")).json()
    assert admin["may"] == ["admin", "operator", "integrator"]
