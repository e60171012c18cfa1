"""API keys and roles: who may call what; revoked keys; keys never logged."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from store import Store
from store.writes import revoke_api_key
from tests.api.conftest import Keys, make_flags

READ_ROUTES = ["/api/entries", "/api/flags", "/api/cameras", "/api/stats/hourly"]


@pytest.mark.parametrize("path", [*READ_ROUTES, "/api/declarations"])
def test_no_key_is_401(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 401
    assert "API key required" in resp.json()["detail"]
    assert resp.headers["www-authenticate"].startswith("Bearer")


def test_unknown_and_malformed_keys_are_401(client: TestClient, keys: Keys) -> None:
    for token in ["nonsense", "ew_" + "A" * 43, keys.operator + "x", keys.operator[:-1] + "?"]:
        resp = client.get("/api/flags", headers={"X-API-Key": token})
        assert resp.status_code == 401, token
        assert resp.json()["detail"] == "API key not recognised or revoked"


def test_key_as_header_or_bearer(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/flags", headers=keys.headers("integrator")).status_code == 200
    bearer = {"Authorization": f"Bearer {keys.integrator}"}
    assert client.get("/api/flags", headers=bearer).status_code == 200


def test_integrator_is_read_only(client: TestClient, store: Store, keys: Keys) -> None:
    [flag_id] = make_flags(store)
    headers = keys.headers("integrator")
    assert client.get(f"/api/flags/{flag_id}", headers=headers).status_code == 200
    resp = client.post(
        f"/api/flags/{flag_id}/resolve", json={"outcome": "misread"}, headers=headers
    )
    assert resp.status_code == 403
    assert resp.json()["detail"] == "role 'integrator' may not do this; needs 'operator'"
    assert (
        client.post(f"/api/flags/{flag_id}/acknowledge", json={}, headers=headers).status_code
        == 403
    )
    # Declarations hold drivers' personal data: operators and admins only.
    assert client.get("/api/declarations", headers=headers).status_code == 403


def test_only_admins_import(client: TestClient, keys: Keys) -> None:
    files = {"file": ("d.csv", b"plate\n", "text/csv")}
    resp = client.post("/api/declarations/import", files=files, headers=keys.headers("operator"))
    assert resp.status_code == 403


def test_revoked_key_is_refused(client: TestClient, store: Store, keys: Keys) -> None:
    headers = keys.headers("operator")
    assert client.get("/api/flags", headers=headers).status_code == 200
    with store.transaction() as session:
        assert revoke_api_key(session, keys.ids["operator"])
    with store.transaction() as session:
        assert not revoke_api_key(session, keys.ids["operator"])  # already revoked
    resp = client.get("/api/flags", headers=headers)
    assert resp.status_code == 401
    assert "revoked" in resp.json()["detail"]


def test_keys_are_not_logged(
    client: TestClient, store: Store, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    [flag_id] = make_flags(store)
    client.post(
        f"/api/flags/{flag_id}/acknowledge", json={"note": "on it"}, headers=keys.headers("admin")
    )
    client.get("/api/flags", headers={"X-API-Key": keys.operator + "x"})
    assert keys.admin not in caplog.text
    assert keys.operator not in caplog.text
    assert keys.admin[3:11] not in caplog.text  # not even the lookup prefix
