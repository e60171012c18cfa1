"""Hostile requests (issue 13): refused at the boundary with a 4xx that says why, never a 500, never
an answer bigger than the question, and the rate limit holds before anything is parsed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.guard import MAX_BODY_BYTES, client_address
from api.ratelimit import RateLimiter
from tests.api.conftest import Keys
from tests.api.test_declarations import filing

DECLARE = "/api/declarations"


def raw(client: TestClient, body: str | bytes, **headers: str) -> Any:
    return client.post(
        DECLARE, content=body, headers={"content-type": "application/json", **headers}
    )


def body_with(**overrides: Any) -> str:
    return json.dumps(filing(**overrides))


def test_body_over_64_kb_is_413_before_parsing(client: TestClient) -> None:
    big = body_with(purpose="x" * (MAX_BODY_BYTES + 10))
    resp = raw(client, big)
    assert resp.status_code == 413 and "larger than" in resp.json()["detail"]


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    resp = client.post(DECLARE, content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413


def test_many_unknown_keys_are_refused_before_validation(client: TestClient) -> None:
    doc = filing() | {f"k{i}": 1 for i in range(6000)}
    body = json.dumps(doc, separators=(",", ":"))
    assert len(body) < MAX_BODY_BYTES
    resp = raw(client, body)
    assert resp.status_code == 422 and "more than 100 keys" in resp.json()["detail"]
    assert len(resp.content) < 1000


def test_validation_errors_are_capped(client: TestClient) -> None:
    resp = raw(client, json.dumps(filing() | {f"k{i}": "x" * 500 for i in range(60)}))
    assert resp.status_code == 422
    assert len(resp.json()["detail"]) == 20 and resp.json()["more_errors"] > 0
    assert len(resp.content) < 5000


def test_a_long_value_is_not_echoed_whole(client: TestClient) -> None:
    resp = raw(client, body_with(driver_name="Đ" * 5000))
    assert resp.status_code == 422
    assert len(resp.content) < 2000


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 1000 + "]" * 1000, id="deep list"),
        pytest.param('{"a":' * 500 + "1" + "}" * 500, id="deep object"),
        pytest.param(body_with(destination="X").replace('"X"', "NaN"), id="NaN"),
        pytest.param(body_with(destination="X").replace('"X"', "Infinity"), id="Infinity"),
        pytest.param(body_with(driver_name="A\ud800B"), id="lone surrogate"),
        pytest.param(body_with(origin="\udfff"), id="lone low surrogate"),
        pytest.param(body_with(driver_name="QL\u0000X"), id="NUL in driver_name"),
        pytest.param(body_with(checkpoints=["CP\u0000"]), id="NUL in checkpoints"),
        pytest.param(body_with()[:-1] + ', "k\\u0000": 1}', id="NUL in a key"),
        pytest.param(b'{"plate": "\xff\xfe"}', id="not UTF-8"),
        pytest.param("{not json", id="not JSON"),
        pytest.param(body_with(plate=12345), id="wrong type"),
    ],
)
def test_hostile_bodies_are_4xx_never_500(client: TestClient, body: str | bytes) -> None:
    resp = raw(client, body)
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.status_code != 201
    resp.json()  # a JSON answer


def test_valid_surrogate_pairs_are_fine(client: TestClient) -> None:
    resp = raw(client, body_with(purpose="thăm gia đình 🚗"))
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("where", ["camera_id", "checkpoint"])
def test_nul_in_operator_filters_is_422(client: TestClient, keys: Keys, where: str) -> None:
    for path in ("/api/flags", "/api/entries"):
        resp = client.get(path, params={where: "a\x00b"}, headers=keys.headers("operator"))
        assert resp.status_code == 422, (path, resp.text)


def test_nul_in_declaration_filter_is_422(client: TestClient, keys: Keys) -> None:
    resp = client.get(DECLARE, params={"filed_via": "w\x00"}, headers=keys.headers("operator"))
    assert resp.status_code == 422


def test_csv_upload_is_not_held_to_the_json_limit(client: TestClient, keys: Keys) -> None:
    from tests.store.csv_samples import HEADER, row

    rows = [row(plate=f"75A-{10000 + i}", display=f"75A-{10000 + i}") for i in range(1500)]
    data = "\n".join([HEADER, *rows]).encode()
    assert len(data) > MAX_BODY_BYTES
    files = {"file": ("decl.csv", data, "text/csv")}
    resp = client.post(f"{DECLARE}/import", files=files, headers=keys.headers("admin"))
    assert resp.status_code == 200, resp.text[:500]


def test_rate_limit_applies_before_the_body_is_parsed(client: TestClient, app: FastAPI) -> None:
    app.state.declare_limiter = RateLimiter(limit=2, window_s=60)
    assert raw(client, "[" * 1000).status_code == 422
    assert raw(client, "{bad").status_code == 422
    resp = raw(client, body_with())
    assert resp.status_code == 429 and int(resp.headers["retry-after"]) >= 1


def test_forwarded_for_is_ignored_unless_trusted(client: TestClient, app: FastAPI) -> None:
    app.state.declare_limiter = RateLimiter(limit=2, window_s=60)
    codes = [
        raw(client, body_with(plate=f"75A-{1000 + i}"), **{"x-forwarded-for": f"10.0.0.{i}"})
        .status_code
        for i in range(4)
    ]  # fmt: skip
    assert codes == [201, 201, 429, 429]


def scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_client_address_believes_only_trusted_proxies() -> None:
    proxies = {"10.0.0.1"}
    assert client_address(scope("1.2.3.4", "9.9.9.9"), False, proxies) == "1.2.3.4"
    assert client_address(scope("1.2.3.4", "9.9.9.9"), True, proxies) == "1.2.3.4"
    assert client_address(scope("10.0.0.1", "9.9.9.9"), True, proxies) == "9.9.9.9"
    # The client wrote the first hop; the trusted proxy appended the real one.
    assert client_address(scope("10.0.0.1", "6.6.6.6, 9.9.9.9"), True, proxies) == "9.9.9.9"
    assert client_address(scope("10.0.0.1"), True, proxies) == "10.0.0.1"


@pytest.mark.parametrize("trusted", [False, True])
def test_serve_passes_proxy_headers_only_when_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trusted: bool
) -> None:
    from pipeline.cli.serve import serve

    seen: list[uvicorn.Config] = []

    class FakeServer:
        def __init__(self, config: uvicorn.Config) -> None:
            seen.append(config)

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn, "Server", FakeServer)
    monkeypatch.setenv("ENTRYWATCH_TRUST_FORWARDED_FOR", "true" if trusted else "false")
    monkeypatch.setenv("ENTRYWATCH_TRUSTED_PROXIES", '["10.1.1.1"]')
    serve(db_url=f"sqlite:///{tmp_path / 'x.db'}", evidence_root=tmp_path, migrate_store=False)
    [config] = seen
    assert config.proxy_headers is trusted
    assert config.forwarded_allow_ips == "10.1.1.1"


@pytest.mark.parametrize("length", [200, 252, 255, 300, 5000])
def test_long_evidence_names_are_404_not_500(client: TestClient, keys: Keys, length: int) -> None:
    resp = client.get(f"/api/evidence/cam-1/{'a' * length}.jpg", headers=keys.headers("operator"))
    assert resp.status_code == 404, resp.text[:200]
    assert len(resp.content) < 500
