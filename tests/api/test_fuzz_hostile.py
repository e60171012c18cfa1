"""schemathesis with negative data (values outside the schema, NULs allowed) and a stateful run,
on SQLite and PostgreSQL: no input and no sequence of calls makes a 5xx (issue 13).

Bounded like test_fuzz: a few examples per operation, an admin key so every route runs past auth.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from api.main import create_app
from api.settings import Settings
from pipeline.evidence import EvidenceStore
from store import Store
from tests.api.conftest import make_flags, make_keys

_keys: dict[str, str] = {}

app = create_app(Settings(db_url="sqlite://", declare_rate_limit=100_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/flags/stream")
schema.config.generation.update(
    modes=[GenerationMode.NEGATIVE, GenerationMode.POSITIVE], allow_x00=True
)


@pytest.fixture(autouse=True)
def _attach_store(store: Store, tmp_path: Any) -> None:
    keys = make_keys(store)
    _keys["admin"] = keys.admin
    make_flags(store, 3)
    app.state.store = store
    app.state.evidence = EvidenceStore(tmp_path / "evidence")


def _no_server_error(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_negative_data_makes_no_server_error(db_url: str, case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": _keys["admin"]})
    _no_server_error(response, f"{case.method} {case.path}")


class _Calls(schema.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": {"X-API-Key": _keys["admin"]}}

    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        _no_server_error(response, f"{case.method} {case.path}")


def test_stateful_calls_make_no_server_error(db_url: str) -> None:
    _Calls.run(
        settings=settings(
            max_examples=6,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
