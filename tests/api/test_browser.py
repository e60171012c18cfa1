"""The dashboard in a real browser (Debian's headless Chromium, driven by Playwright) against the
app under a real uvicorn: a flag made by the matcher appears live, the operator resolves it, the
audit shows it; a driver files a declaration on the public page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from api.main import create_app
from api.settings import Settings
from pipeline.events import EntryEvent, Evidence
from pipeline.evidence import EvidenceStore
from store import Store, migrate, open_store
from store.models import Declaration, Flag
from tests.api.browser import ARGS, ChromiumUnavailable, ensure_chromium
from tests.api.conftest import Keys, LiveServer, flag_events, make_keys
from tests.matcher.factories import make_event

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        path = ensure_chromium()
    except ChromiumUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI: {exc}")
        pytest.skip(str(exc))
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(path), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LiveServer, Store, Keys, EvidenceStore]]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrate(url)
    settings = Settings(db_url=url, evidence_root=tmp_path / "evidence")
    with open_store(url) as store, LiveServer(create_app(settings, store=store)) as server:
        yield server, store, make_keys(store), EvidenceStore(settings.evidence_root)


def undeclared_event(evidence: EvidenceStore, plate: str) -> EntryEvent:
    event = make_event(plate, camera_id="cam-phong-dien-1", crossed_at=datetime.now(UTC))
    image = np.full((90, 160, 3), 80, np.uint8)
    snapshot = evidence.save(event.camera_id, event.event_id, "vehicle", image)
    return event.model_copy(update={"evidence": Evidence(vehicle_snapshot=snapshot)})


def test_operator_sees_and_resolves_a_live_flag(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    page = chromium.new_page()
    page.goto(server.url + "/")
    page.fill("#key-input", keys.operator)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#live.on", timeout=10_000)

    [flag_id] = flag_events(store, undeclared_event(evidence, "75A67890"))
    card = page.locator(f'[data-flag-id="{flag_id}"]')
    card.wait_for(timeout=5_000)  # no reload: it came over the stream
    assert "75A67890" in card.locator(".plate").inner_text()
    assert "cam-phong-dien-1" in card.inner_text()
    card.locator("img").wait_for(timeout=5_000)
    assert card.locator("img").get_attribute("src").startswith("blob:")

    card.locator('button[data-action="resolve"]').click()
    page.select_option("#resolve-form select[name=outcome]", "violation_confirmed")
    page.fill("#resolve-form textarea[name=note]", "xe không khai báo, đã lập biên bản")
    page.click('#resolve-form button[value="ok"]')
    card.wait_for(state="detached", timeout=5_000)  # resolved flags leave the open list

    page.select_option("#flag-filters select[name=status]", "resolved")
    page.click("#flag-filters button[type=submit]")
    card.wait_for(timeout=5_000)
    card.locator('button[data-action="audit"]').click()
    rows = page.locator('[data-testid="audit-row"]')
    rows.nth(1).wait_for(timeout=5_000)
    texts = rows.all_inner_texts()
    assert len(texts) == 2 and "hệ thống" in texts[0]  # the matcher, in words
    assert "operator-user" in texts[1] and "đã lập biên bản" in texts[1]


def test_labels_switch_and_key_is_remembered(chromium: Any, site: Any) -> None:
    server, _store, keys, _evidence = site
    page = chromium.new_page()
    page.goto(server.url + "/")
    page.fill("#key-input", keys.integrator)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#live.on", timeout=10_000)
    assert page.locator('.tab[data-view="flags"]').inner_text() == "Cảnh báo"
    page.click("#lang")
    assert page.locator('.tab[data-view="flags"]').inner_text() == "Flags"
    page.reload()
    page.wait_for_selector("#live.on", timeout=10_000)  # the key survived the reload
    assert page.locator('.tab[data-view="flags"]').inner_text() == "Flags"
    assert not page.locator("#key-dialog").is_visible()
    page.click('.tab[data-view="cameras"]')
    assert page.locator("#view-cameras").is_visible()


def test_driver_files_a_declaration(chromium: Any, site: Any) -> None:
    server, store, _keys, _evidence = site
    page = chromium.new_page()
    page.goto(server.url + "/declare")
    page.fill("input[name=plate]", "75A-999")  # not a plate: the server says why
    page.fill("input[name=driver_name]", "Trần Thị B")
    page.fill("input[name=driver_phone]", "0912 345 678")
    page.fill("input[name=origin]", "Quảng Trị")
    page.fill("input[name=destination]", "Huế")
    page.click("button[type=submit]")
    error = page.locator('[data-testid="declare-error"]')
    error.filter(has_text="not a valid vn plate").wait_for(timeout=5_000)

    page.fill("input[name=plate]", "75B-246.80")
    page.click("button[type=submit]")
    result = page.locator('[data-testid="declare-result"]')
    result.filter(has_text="75B-246.80").wait_for(timeout=5_000)
    with store.session() as session:
        row = session.scalars(select(Declaration)).one()
    assert row.plate_normalised == "75B24680" and row.driver_name == "Trần Thị B"
    assert row.filed_via == "web"
    assert timedelta(days=1) < row.valid_until - row.valid_from <= timedelta(days=2, minutes=1)


@pytest.mark.slow
def test_flags_from_a_replayed_sample_clip_reach_the_open_dashboard(
    chromium: Any, site: Any
) -> None:
    """The whole chain: a sample clip replayed through the real models, matched against the
    sample declarations, and its flags drawn live with their evidence photos."""
    from detectors.vehicle import YoloVehicleDetector
    from matcher.local import InProcessMatcher
    from pipeline.config import load_cameras
    from pipeline.replay import Replayer
    from plate_reader.reader import PlateReader
    from store.csv_import import import_declarations

    root = Path(__file__).resolve().parents[2]
    server, store, keys, evidence = site
    import_declarations(store, root / "sample_videos" / "declarations.csv")
    page = chromium.new_page()
    page.goto(server.url + "/")
    page.fill("#key-input", keys.operator)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#live.on", timeout=10_000)

    [camera] = [
        c
        for c in load_cameras(root / "configs" / "sample_cameras.yaml").cameras
        if c.source.endswith("entry_evening.mp4")
    ]
    events: list[EntryEvent] = []
    Replayer(YoloVehicleDetector(), PlateReader(profile="vn")).run(
        camera, on_event=events.append, evidence=evidence
    )
    decided = InProcessMatcher(store).decide_batch(events)
    flagged = {e.plate.normalised for e, d in decided if d.flagged}
    # Evening clip: 30K55102 undeclared, 74C138259 expired, 51G88123 for another checkpoint.
    assert flagged == {"30K55102", "74C138259", "51G88123"}
    flagged_events = {e.event_id: e for e, d in decided if d.flagged}
    with store.session() as session:
        flags = session.execute(
            select(Flag.id, Flag.event_id).where(Flag.event_id.in_(flagged_events))
        ).all()
    assert len(flags) == 3
    for flag_id, event_id in flags:
        card = page.locator(f'[data-flag-id="{flag_id}"]')
        card.wait_for(timeout=5_000)  # pushed over the live stream, no reload
        assert flagged_events[event_id].plate.display in card.inner_text()
        card.locator("img").wait_for(timeout=5_000)  # the real vehicle snapshot
