"""The API docs work offline (their assets come from the installed package, not a CDN) and every
answer carries the security headers (issue 13)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys


@pytest.mark.parametrize(
    ("page", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc")]
)
def test_docs_pages_load_only_local_assets(client: TestClient, page: str, asset: str) -> None:
    resp = client.get(page)
    assert resp.status_code == 200 and asset in resp.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', resp.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for src in sources:
        assert client.get(src).status_code == 200, src
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "https:" not in csp


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/health", None),
        ("GET", "/api/flags", None),  # 401
        ("GET", "/api/nothing-here", None),  # 404
        ("POST", "/api/declarations", b"{" * 100),  # 422 from the guard
        ("POST", "/api/declarations", b" " * 70_000),  # 413
        ("GET", "/openapi.json", None),
        ("GET", "/static/app.js", None),
    ],
)
def test_every_answer_has_security_headers(
    client: TestClient, method: str, path: str, body: bytes | None
) -> None:
    resp = client.request(method, path, content=body, headers={"content-type": "application/json"})
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["referrer-policy"] == "no-referrer"


def test_pages_keep_their_own_policy(client: TestClient, keys: Keys) -> None:
    for page in ("/", "/declare"):
        csp = client.get(page).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
