"""Entries, evidence, stats, cameras, health and metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from api.settings import Settings
from pipeline.evidence import EvidenceStore
from store import Store
from store.writes import upsert_camera_status
from tests.api.conftest import Keys, flag_events, make_flags
from tests.matcher.factories import T0, make_event


def test_entries_filter_and_page(client: TestClient, store: Store, keys: Keys) -> None:
    flag_events(
        store,
        make_event("75A11111", camera_id="cam-1", checkpoint="CP-1", crossed_at=T0),
        make_event(
            "75A22222", camera_id="cam-2", checkpoint="CP-2", crossed_at=T0 + timedelta(hours=1)
        ),
        make_event(
            "75A33333",
            camera_id="cam-2",
            checkpoint="CP-2",
            crossed_at=T0 + timedelta(hours=2),
            direction="outbound",
        ),
    )
    h = keys.headers("integrator")
    page = client.get("/api/entries", headers=h).json()
    assert [e["plate"] for e in page["items"]] == ["75A33333", "75A22222", "75A11111"]
    assert page["items"][0]["outcome"] is None  # exits are not decided
    assert page["items"][1]["outcome"] == "undeclared"
    assert page["items"][1]["vehicle_class"] == "car"
    assert [
        e["plate"]
        for e in client.get("/api/entries", params={"camera_id": "cam-1"}, headers=h).json()[
            "items"
        ]
    ] == ["75A11111"]
    assert (
        len(client.get("/api/entries", params={"checkpoint": "CP-2"}, headers=h).json()["items"])
        == 2
    )
    assert (
        len(client.get("/api/entries", params={"plate": "75a-222.22"}, headers=h).json()["items"])
        == 1
    )
    window = {
        "since": (T0 + timedelta(minutes=30)).isoformat(),
        "until": (T0 + timedelta(hours=2)).isoformat(),
    }
    assert [
        e["plate"] for e in client.get("/api/entries", params=window, headers=h).json()["items"]
    ] == ["75A22222"]
    page = client.get("/api/entries", params={"limit": 2}, headers=h).json()
    assert len(page["items"]) == 2 and page["has_more"]
    page = client.get("/api/entries", params={"limit": 2, "offset": 2}, headers=h).json()
    assert len(page["items"]) == 1 and not page["has_more"]
    for params in (
        {"direction": "sideways"},
        {"limit": -1},
        {"offset": -1},
        {"plate": "..."},
        {"since": "2026-07-02T00:00:00Z", "until": "2026-07-01T00:00:00Z"},
    ):
        assert client.get("/api/entries", params=params, headers=h).status_code == 422, params


def test_evidence_by_id_only(client: TestClient, keys: Keys, settings: Settings) -> None:
    evidence = EvidenceStore(settings.evidence_root)
    evidence_id = evidence.save("cam-1", "ev1", "vehicle", np.zeros((8, 8, 3), np.uint8))
    assert evidence_id is not None
    h = keys.headers("integrator")
    resp = client.get(f"/api/evidence/{evidence_id}", headers=h)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
    assert resp.content[:2] == b"\xff\xd8"
    assert client.get(f"/api/evidence/{evidence_id}").status_code == 401
    missing = client.get("/api/evidence/cam-1/nope.jpg", headers=h)
    assert missing.status_code == 404
    secret = Path(settings.evidence_root).parent / "secret.jpg"
    secret.write_bytes(b"\xff\xd8no")
    for bad in ("cam-1/../../secret.jpg", "cam-1/x.png", "%2e%2e/secret.jpg", "cam-1/a%00.jpg"):
        resp = client.get(f"/api/evidence/{bad}", headers=h)
        assert resp.status_code in (400, 404), bad
        assert resp.content[:2] != b"\xff\xd8", bad
    resp = client.get("/api/evidence/cam-1/..%2F..%2Fsecret.jpg", headers=h)
    assert resp.status_code == 400 and "not an evidence id" in resp.json()["detail"]


def test_hourly_stats(client: TestClient, store: Store, keys: Keys) -> None:
    base = datetime.now(UTC).replace(minute=5, second=0, microsecond=0) - timedelta(hours=3)
    make_flags(store, 2, checkpoint="CP-1", crossed_at=base)
    make_flags(store, 1, checkpoint="CP-2", crossed_at=base + timedelta(hours=1))
    rows = client.get("/api/stats/hourly", headers=keys.headers("integrator")).json()
    hour = base.replace(minute=0)
    assert [(r["checkpoint"], r["entries"], r["flags"]) for r in rows] == [
        ("CP-1", 2, 2),
        ("CP-2", 1, 1),
    ]
    assert datetime.fromisoformat(rows[0]["hour"]) == hour
    assert datetime.fromisoformat(rows[1]["hour"]) == hour + timedelta(hours=1)
    too_long = {"since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}
    resp = client.get("/api/stats/hourly", params=too_long, headers=keys.headers("integrator"))
    assert resp.status_code == 422 and "31 days" in resp.json()["detail"]


def test_cameras_report_stale(client: TestClient, store: Store, keys: Keys) -> None:
    now = datetime.now(UTC)
    with store.transaction() as session:
        upsert_camera_status(
            session, camera_id="cam-1", checkpoint="CP-1", last_frame_at=now, fps=12.5
        )
        upsert_camera_status(
            session,
            camera_id="cam-2",
            checkpoint="CP-1",
            last_frame_at=now - timedelta(minutes=5),
            fps=0.0,
        )
        upsert_camera_status(session, camera_id="cam-3", status="error", error="RTSP 401")
    with store.transaction() as session:  # an update changes only what it names
        upsert_camera_status(session, camera_id="cam-1", frames_dropped=3, reconnects=1)
    cams = client.get("/api/cameras", headers=keys.headers("integrator")).json()
    by_id = {c["camera_id"]: c for c in cams}
    assert by_id["cam-1"]["status"] == "ok" and by_id["cam-1"]["fps"] == 12.5
    assert by_id["cam-1"]["frames_dropped"] == 3 and by_id["cam-1"]["checkpoint"] == "CP-1"
    assert by_id["cam-2"]["status"] == "stale" and by_id["cam-2"]["age_s"] > 290
    assert by_id["cam-3"]["status"] == "error" and by_id["cam-3"]["error"] == "RTSP 401"


def test_healthz_and_metrics(client: TestClient, store: Store, keys: Keys) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {
        "status": "ok",
        "database": store.dialect,
        "detail": None,
    }
    client.get("/api/flags", headers=keys.headers("integrator"))
    text = client.get("/metrics").text
    assert (
        'entrywatch_http_requests_total{method="GET",route="/api/flags",status="200"} 1.0' in text
    )
    assert "entrywatch_flag_stream_clients 0.0" in text


def test_dashboard_pages_are_served_offline(client: TestClient) -> None:
    for path in ("/", "/declare"):
        resp = client.get(path)
        assert (
            resp.status_code == 200
            and "default-src 'self'" in resp.headers["content-security-policy"]
        )
        assert "http://" not in resp.text and "https://" not in resp.text
    for asset in ("app.js", "declare.js", "i18n.js", "style.css"):
        resp = client.get(f"/static/{asset}")
        assert resp.status_code == 200 and "https://" not in resp.text
