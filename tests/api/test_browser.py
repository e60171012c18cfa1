"""The dashboard in a real browser (Debian's headless Chromium, driven by Playwright) against the
app under a real uvicorn: a flag made by the matcher appears live, the operator resolves it, the
audit shows it; a driver files a declaration on the public page (a checkpoint from the registry's
list, refusals in the page's language); a watch-listed plate's flag comes first; each role sees
only the controls it may use."""

from __future__ import annotations

import os
import time
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
REGISTRY = Path(__file__).resolve().parents[2] / "configs" / "checkpoints.yaml"


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
    # The shipped checkpoints registry, as `entrywatch serve` reads it from a checkout.
    settings = Settings(db_url=url, evidence_root=tmp_path / "evidence", checkpoints_file=REGISTRY)
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
    # In the page's language (Vietnamese by default), not the server's English.
    error.filter(has_text="Biển số chưa đúng mẫu biển số Việt Nam").wait_for(timeout=5_000)
    assert "not a valid" not in error.inner_text()

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
        card.locator("img").first.wait_for(timeout=5_000)  # the real vehicle snapshot

    # The detail panel of a real flag: the real full frame and the plate crop, upscaled.
    flag_id, event_id = flags[0]
    page.locator(f'article[data-flag-id="{flag_id}"] button[data-action="detail"]').click()
    page.locator('[data-testid="candidate"]').first.wait_for(timeout=10_000)
    for testid in ("frame-img", "plate-img"):
        page.locator(f'[data-testid="{testid}"]').wait_for(timeout=10_000)
    sizes = page.evaluate(
        "() => new Promise(done => { const look = () => { const f = document.querySelector("
        "'[data-testid=frame-img]'), p = document.querySelector('[data-testid=plate-img]');"
        " if (f.naturalWidth && p.naturalWidth) done([f.naturalWidth, f.naturalHeight,"
        " p.naturalWidth, p.naturalHeight]); else setTimeout(look, 50); }; look(); })"
    )
    evidence_of = flagged_events[event_id].evidence
    assert evidence_of.frame and evidence_of.plate_box and evidence_of.vehicle_box
    assert sizes[0] >= 640 and sizes[3] >= 96  # a whole frame; a plate crop one can read
    px1, py1, px2, py2 = evidence_of.plate_box
    assert sizes[2] >= 3 * (px2 - px1) and sizes[3] >= 3 * (py2 - py1)


def wait_until(page: Any, expression: str, timeout_s: float = 5.0) -> Any:
    """Poll ``expression`` in the page until it is truthy (``wait_for_function`` compiles a
    string in the page, which the dashboard's CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value or time.monotonic() > deadline:
            assert value, f"{expression} stayed false for {timeout_s} s"
            return value
        time.sleep(0.05)


def sign_in(page: Any, server: LiveServer, key: str) -> None:
    page.goto(server.url + "/")
    page.fill("#key-input", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#live.on", timeout=10_000)


def fill_declaration(page: Any, **values: str) -> None:
    fields = {
        "plate": "75B-246.80",
        "driver_name": "Trần Thị B",
        "driver_phone": "0912 345 678",
        "origin": "Quảng Trị",
        "destination": "Huế",
        **values,
    }
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)


def test_a_watch_listed_plate_is_flagged_first(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    page = chromium.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the remove confirmation
    sign_in(page, server, keys.operator)
    page.click('.tab[data-view="watchlist"]')
    page.fill("#watch-form input[name=plate]", "51f-222.22")
    page.fill("#watch-form input[name=reason]", "xe bị mất cắp, báo ngày 1/12")
    page.click("#watch-form button[type=submit]")
    row = page.locator('[data-testid="watch-row"][data-plate="51F22222"]')
    row.wait_for(timeout=5_000)
    assert "xe bị mất cắp" in row.inner_text() and "operator-user" in row.inner_text()
    assert "Đã thêm 51F22222" in page.locator('[data-testid="watch-result"]').inner_text()
    audit = page.locator('[data-testid="watch-audit-row"]')
    assert "Thêm" in audit.first.inner_text() and "operator-user" in audit.first.inner_text()

    page.click('.tab[data-view="flags"]')
    title_before = page.title()
    # Through the real matcher: an undeclared plate first, then the watch-listed one.
    [plain] = flag_events(store, undeclared_event(evidence, "43A11111"))
    [watched] = flag_events(store, undeclared_event(evidence, "51F22222"))
    card = page.locator(f'[data-flag-id="{watched}"]')
    card.wait_for(timeout=5_000)  # live, no reload
    page.locator(f'[data-flag-id="{plain}"]').wait_for(timeout=5_000)
    assert "Xe trong danh sách theo dõi" in card.inner_text()
    assert card.locator('[data-testid="priority"]').inner_text() == "Khẩn cấp"
    first = page.locator('[data-testid="flag"]').first
    assert first.get_attribute("data-flag-id") == str(watched)  # top priority sorts first
    wait_until(page, "document.title.startsWith('(2) ')")
    assert page.title() != title_before

    page.click('.tab[data-view="watchlist"]')
    row.locator("button[data-unwatch]").click()
    row.wait_for(state="detached", timeout=5_000)
    audit.filter(has_text="Bỏ").first.wait_for(timeout=5_000)
    assert "Chưa có xe nào" in page.locator("#watch-rows").inner_text()


def test_the_public_form_answers_in_vietnamese(chromium: Any, site: Any) -> None:
    server, store, _keys, _evidence = site
    page = chromium.new_page()
    page.goto(server.url + "/declare")
    fill_declaration(page, driver_phone="gọi cho tôi")
    page.click("button[type=submit]")
    error = page.locator('[data-testid="declare-error"]')
    error.filter(has_text="Số điện thoại chưa đúng").wait_for(timeout=5_000)
    field = page.locator('[data-testid="error-driver_phone"]')
    assert "ví dụ 0912 345 678" in field.inner_text()
    assert page.locator("input[name=driver_phone]").get_attribute("aria-invalid") == "true"
    assert "pattern" not in error.inner_text() and "String" not in error.inner_text()

    page.fill("input[name=driver_phone]", "")
    page.click("button[type=submit]")
    error.filter(has_text="Vui lòng nhập số điện thoại").wait_for(timeout=5_000)

    # What only the server can tell (the plate's format, the window) comes back in Vietnamese.
    fill_declaration(page, plate="ABC-1234")
    page.fill("input[name=valid_until]", page.input_value("input[name=valid_from]"))
    page.click("button[type=submit]")
    error.filter(has_text="Biển số chưa đúng mẫu biển số Việt Nam").wait_for(timeout=5_000)
    text = error.inner_text()
    assert "Thời điểm hết hiệu lực phải sau thời điểm bắt đầu" in text
    assert "not a valid" not in text and "valid_until" not in text
    page.click("#lang")  # said again in English
    error.filter(has_text="That is not a Vietnamese plate").wait_for(timeout=5_000)
    assert "The end must be after the start" in error.inner_text()
    with store.session() as session:
        assert session.scalars(select(Declaration)).all() == []


def test_the_checkpoint_is_chosen_from_the_registry(chromium: Any, site: Any) -> None:
    server, store, keys, _evidence = site
    page = chromium.new_page()
    page.goto(server.url + "/declare")
    dropdown = page.locator('[data-testid="checkpoint-select"]')
    dropdown.locator("option").nth(3).wait_for(state="attached", timeout=5_000)
    assert dropdown.locator("option").all_inner_texts() == [
        "Bất kỳ chốt nào",
        "Chốt QL1A Phong Điền (phía Bắc)",
        "Chốt QL1A hầm Hải Vân (phía Nam)",
        "Chốt QL49 A Lưới (phía Tây)",
    ]
    fill_declaration(page)
    dropdown.select_option(label="Chốt QL1A hầm Hải Vân (phía Nam)")
    page.click("#lang")
    assert dropdown.locator("option:checked").inner_text() == "QL1A Hai Van tunnel (south)"
    page.click("button[type=submit]")
    page.locator('[data-testid="declare-result"]').filter(has_text="75B-246.80").wait_for(
        timeout=5_000
    )
    with store.session() as session:
        row = session.scalars(select(Declaration)).one()
    assert row.checkpoints == ["QL1A-HAI-VAN"]

    # The operators' view names the checkpoints and says the channel in words.
    page = chromium.new_page()
    sign_in(page, server, keys.operator)
    page.click('.tab[data-view="declarations"]')
    cells = page.locator("#declaration-rows tr").first
    cells.filter(has_text="Chốt QL1A hầm Hải Vân (phía Nam)").wait_for(timeout=5_000)
    assert "Trang khai báo" in cells.inner_text()
    assert "web" not in cells.inner_text().split()


# Counts every frame in which a marked element is visible, from the page's first script on.
WATCH_SHOWN = """
window.__shown = {};
const look = () => {
  for (const el of document.querySelectorAll('[data-needs-role]')) {
    if (el.checkVisibility()) {
      const id = el.id || el.dataset.view || el.tagName;
      window.__shown[id] = el.dataset.needsRole;
    }
  }
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("integrator", set()),
        ("operator", {"declarations", "watchlist"}),
        ("admin", {"declarations", "watchlist", "import-form"}),
    ],
)
def test_each_role_is_shown_only_its_controls(
    chromium: Any, site: Any, role: str, shown: set[str]
) -> None:
    server, _store, keys, _evidence = site
    page = chromium.new_page()
    page.add_init_script(WATCH_SHOWN)
    sign_in(page, server, getattr(keys, role))
    wait_until(page, f"document.body.dataset.role === '{role}'")
    if role != "integrator":
        page.click('.tab[data-view="declarations"]')
        page.wait_for_selector("#view-declarations:not([hidden])", timeout=5_000)
        page.wait_for_timeout(300)  # frames after the view is drawn
    assert set(page.evaluate("window.__shown")) == shown
    import_form = page.locator("#import-form")
    assert import_form.is_visible() == (role == "admin")

    page.click('.tab[data-view="cameras"]')  # the registry's cameras, before any frame
    rows = page.locator("#camera-rows tr")
    rows.filter(has_text="hue-ql49-west-02").wait_for(timeout=5_000)
    assert rows.count() == 4
    assert "Chưa nhận hình" in rows.first.inner_text()
