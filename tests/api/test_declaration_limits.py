"""Declarations bounded and filed once (issue 13): Idempotency-Key on the public form, CSV rows
deduplicated by (plate, window, checkpoints), windows of at most 31 days from 2000 on, a display
plate that is the plate, no NUL anywhere; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from store import Store, import_declarations
from store.models import Declaration
from tests.api.test_declarations import filing
from tests.store.csv_samples import HEADER, row

DECLARE = "/api/declarations"


def count(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Declaration)) or 0


def test_idempotency_key_files_once(client: TestClient, store: Store) -> None:
    body = filing()
    first = client.post(DECLARE, json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post(DECLARE, json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert count(store) == 1
    other = client.post(DECLARE, json=filing(plate="75A-1234"), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert client.post(DECLARE, json=body).status_code == 201  # no key: filed again
    assert count(store) == 2


def test_idempotency_key_is_bounded(client: TestClient) -> None:
    resp = client.post(DECLARE, json=filing(), headers={"Idempotency-Key": "k" * 200})
    assert resp.status_code == 422


def test_a_failed_first_request_frees_its_key(client: TestClient, store: Store) -> None:
    bad = client.post(DECLARE, json=filing(plate="??"), headers={"Idempotency-Key": "k-2"})
    assert bad.status_code == 422
    good = client.post(DECLARE, json=filing(plate="??"), headers={"Idempotency-Key": "k-2"})
    assert good.status_code == 422  # validated again, not replayed
    assert count(store) == 0


def test_long_or_nul_checkpoints_are_422(client: TestClient, store: Store) -> None:
    for checkpoints in (["c" * 129], ["CP\u0000"], [f"cp{i}" for i in range(51)]):
        resp = client.post(DECLARE, json=filing(checkpoints=checkpoints))
        assert resp.status_code == 422, checkpoints
    assert count(store) == 0


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "decl.csv"
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    return path


def test_csv_duplicates_are_reported_not_stored(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, row(), row(driver="Someone else"), row(checkpoints="CP-A"))
    report = import_declarations(store, path)
    assert report.imported == 2
    assert [(e.line, "duplicate of line 2" in e.reason) for e in report.errors] == [(3, True)]
    again = import_declarations(store, path)
    assert again.imported == 0 and len(again.errors) == 3
    assert all("duplicate" in e.reason for e in again.errors)
    assert count(store) == 2


def test_csv_windows_and_display_plates_are_checked(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(valid_from="1900-01-01T00:00:00+07:00", valid_until="1900-01-02T00:00:00+07:00"),
        row(valid_until="9999-12-31T00:00:00+07:00"),
        row(valid_from="2026-07-01T00:00:00+07:00", valid_until="2026-08-15T00:00:00+07:00"),
        row(display="=1+1"),
        row(driver="Nguyễn\u0000Văn"),
        row(plate="75A-999.99", display="75A-999.99"),
    )
    report = import_declarations(store, path)
    assert report.imported == 1
    reasons = {e.line: e.reason for e in report.errors}
    assert "outside 2000" in reasons[2]
    assert "31 days" in reasons[3] and "31 days" in reasons[4]
    assert "is not plate" in reasons[5]
    assert "driver_name" in reasons[6]
