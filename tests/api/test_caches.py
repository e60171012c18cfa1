"""The list cache and the key cache: bounded staleness, cleared by this process's own changes."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.cache import TtlCache
from store import Store
from store.writes import revoke_api_key
from tests.api.conftest import Keys, make_flags


def test_ttl_cache_expires_and_is_bounded() -> None:
    cache = TtlCache[int](0.05, max_entries=2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    cache.put("b", 2)
    cache.put("c", 3)  # full of live entries: the least recently used goes
    assert cache.get("c") == 3 and cache.get("a") is None
    time.sleep(0.06)
    assert cache.get("c") is None
    off = TtlCache[int](0)
    off.put("a", 1)
    assert off.get("a") is None


def test_list_cache_is_short_and_cleared_by_actions(
    client: TestClient, app: FastAPI, store: Store, keys: Keys
) -> None:
    app.state.flag_list_cache = TtlCache[bytes](0.3)
    h = keys.headers("operator")
    [first] = make_flags(store)
    assert [f["flag_id"] for f in client.get("/api/flags", headers=h).json()["items"]] == [first]
    [second] = make_flags(store)
    cached = client.get("/api/flags", headers=h).json()["items"]
    assert [f["flag_id"] for f in cached] == [first]  # within the TTL
    time.sleep(0.35)
    assert len(client.get("/api/flags", headers=h).json()["items"]) == 2
    client.post(f"/api/flags/{second}/acknowledge", json={}, headers=h)
    items = client.get("/api/flags", params={"status": "open"}, headers=h).json()["items"]
    assert [f["flag_id"] for f in items] == [first]


def test_revocation_takes_effect_within_the_key_cache_ttl(
    client: TestClient, app: FastAPI, store: Store, keys: Keys
) -> None:
    app.state.principal_cache = TtlCache(0.3)
    h = keys.headers("operator")
    assert client.get("/api/flags", headers=h).status_code == 200
    with store.transaction() as session:
        revoke_api_key(session, keys.ids["operator"])
    time.sleep(0.35)
    assert client.get("/api/flags", headers=h).status_code == 401
