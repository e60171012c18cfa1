"""Fuzz every operation of the OpenAPI description (schemathesis): no input makes a 5xx.

Bounded: a few examples per operation, on SQLite, with an admin key so every route runs past
auth (auth itself is covered in test_auth). The live stream never ends, so it is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.main import create_app
from api.settings import Settings
from pipeline.evidence import EvidenceStore
from store import Store, migrate, open_store
from tests.api.conftest import make_flags, make_keys

_keys: dict[str, str] = {}


@pytest.fixture
def fuzz_store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    migrate(url)
    with open_store(url) as store:
        yield store


# The schema is read at import; the store is attached per test by ``_attach_store``.
app = create_app(Settings(db_url="sqlite://", declare_rate_limit=100_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/flags/stream")


@pytest.fixture(autouse=True)
def _attach_store(fuzz_store: Store, tmp_path: Path) -> None:
    keys = make_keys(fuzz_store)
    _keys["admin"] = keys.admin
    make_flags(fuzz_store, 3)
    app.state.store = fuzz_store
    app.state.evidence = EvidenceStore(tmp_path / "evidence")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": _keys["admin"]})
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:500]}"
    if response.status_code >= 400:
        assert response.json().get("detail"), "4xx without a detail message"
