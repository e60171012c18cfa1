"""The operator's dashboard in real Chromium (issue 14): a flag's detail panel with both photos
loaded, plate search with a partial and a look-alike plate, the hourly chart from real stats, a
CSV export downloaded and parsed, and the tab title counting a new flag as it arrives."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import update

from pipeline.events import EntryEvent, Evidence, PlateCandidate
from pipeline.evidence import EvidenceStore
from store.models import Flag
from store.watchlist import add_plate
from tests.api import test_browser as shared
from tests.api.conftest import flag_events
from tests.matcher.factories import make_event

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
chromium = shared.chromium  # the fixtures: one Chromium per module, a fresh site per test
site = shared.site
wait_until = shared.wait_until

RAW_PLATE = (54, 11)  # width, height: the size of a real far-away plate crop


def scene_event(
    evidence: EvidenceStore,
    plate: str,
    *,
    checkpoint: str = "QL1A-HAI-VAN",
    camera_id: str = "cam-hai-van-1",
    crossed_at: datetime | None = None,
) -> EntryEvent:
    """An entry with real evidence files: a 1280x720 frame with a vehicle and a plate drawn, the
    54x11 plate crop (saved upscaled) and the vehicle snapshot, and the boxes in the frame."""
    event = make_event(plate, camera_id=camera_id, checkpoint=checkpoint,
                       crossed_at=crossed_at or datetime.now(UTC))  # fmt: skip
    frame = np.full((720, 1280, 3), 70, np.uint8)
    cv2.rectangle(frame, (400, 200), (880, 620), (170, 160, 150), -1)
    px, py = 560, 540
    cv2.rectangle(frame, (px, py), (px + RAW_PLATE[0], py + RAW_PLATE[1]), (245, 245, 245), -1)
    crop = frame[py : py + RAW_PLATE[1], px : px + RAW_PLATE[0]]
    eid, cam = event.event_id, event.camera_id
    saved = Evidence(
        frame=evidence.save_frame(cam, eid, frame),
        plate_crop=evidence.save_plate(cam, eid, crop),
        vehicle_snapshot=evidence.save(cam, eid, "vehicle", frame[200:620, 400:880]),
        vehicle_box=(400, 200, 880, 620),
        plate_box=(px, py, px + RAW_PLATE[0], py + RAW_PLATE[1]),
    )
    candidates = [
        PlateCandidate(plate=plate, score=3.5),
        PlateCandidate(plate="3OK55102", score=1.25),
    ]
    return event.model_copy(
        update={
            "evidence": saved,
            "plate": event.plate.model_copy(update={"candidates": candidates}),
        }
    )


def log_in(page: Any, url: str, key: str, lang: str = "vi") -> None:
    page.goto(url + "/")
    page.evaluate(f"localStorage.setItem('entrywatch.lang', '{lang}')")
    page.reload()
    page.fill("#key-input", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#live.on", timeout=10_000)


def test_detail_panel_shows_the_frame_with_boxes_and_the_plate_crop(
    chromium: Any, site: Any
) -> None:
    server, store, keys, evidence = site
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    # The red "disconnected" badge is not shown behind the key dialog.
    page.goto(server.url + "/")
    assert page.locator("#key-dialog").is_visible() and not page.locator("#live").is_visible()
    log_in(page, server.url, keys.operator)

    [flag_id] = flag_events(store, scene_event(evidence, "30K55102"))
    card = page.locator(f'[data-flag-id="{flag_id}"]')
    card.wait_for(timeout=5_000)
    assert card.locator('[data-testid="priority"]').inner_text() == "Cao"
    why = card.locator('[data-testid="why"]').inner_text()
    assert why.startswith("Không có khai báo nào cho xe 30K55102. Nếu khai báo trước ")
    card.locator('button[data-action="detail"]').click()

    panel = page.locator('[data-testid="detail"]')
    frame = panel.locator('[data-testid="frame-img"]')
    plate = panel.locator('[data-testid="plate-img"]')
    frame.wait_for(timeout=5_000)
    plate.wait_for(timeout=5_000)
    wait_until(
        page,
        "document.querySelector('[data-testid=frame-img]').naturalWidth > 0"
        " && document.querySelector('[data-testid=plate-img]').naturalWidth > 0",
    )
    assert frame.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [1280, 720]
    width, height = plate.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert width >= 3 * RAW_PLATE[0] and height >= 3 * RAW_PLATE[1] and height >= 96
    assert plate.evaluate("i => i.getBoundingClientRect().width") >= width * 0.9  # shown large
    panel.locator("svg.boxes rect").nth(1).wait_for(timeout=5_000)
    assert panel.locator("rect.box-plate").get_attribute("x") == "560"
    assert panel.locator("rect.box-vehicle").get_attribute("width") == "480"

    candidates = panel.locator('[data-testid="candidate"]')
    candidates.nth(1).wait_for(timeout=5_000)
    assert candidates.all_inner_texts() == ["30K55102\t3.50", "3OK55102\t1.25"]
    assert "cam-hai-van-1" in panel.inner_text() and "QL1A-HAI-VAN" in panel.inner_text()
    assert panel.locator('[data-testid="detail-audit"]').all_inner_texts()[0].endswith("Tạo")

    frame.click()  # zoom
    zoomed = page.locator('[data-testid="zoom"] img')
    zoomed.wait_for(timeout=5_000)
    assert zoomed.evaluate("i => i.getBoundingClientRect().width") > 1000
    zoomed.click()
    page.locator('[data-testid="zoom"]').wait_for(state="hidden", timeout=5_000)

    # Resolve from the panel; the audit says which flag, and the outcome in words.
    panel.locator('#detail-actions button[data-action="resolve"]').click()
    page.select_option("#resolve-form select[name=outcome]", "violation_confirmed")
    page.fill("#resolve-form textarea[name=note]", "đã lập biên bản")
    page.click('#resolve-form button[value="ok"]')
    card.wait_for(state="detached", timeout=5_000)
    page.select_option("#flag-filters select[name=status]", "resolved")
    page.click("#flag-filters button[type=submit]")
    card.locator('button[data-action="audit"]').click()
    rows = page.locator('[data-testid="audit-row"]')
    rows.nth(1).wait_for(timeout=5_000)
    assert f"#{flag_id} 30K55102" in page.locator("#audit-summary").inner_text()
    resolved = rows.nth(1).inner_text()
    assert "Xác nhận vi phạm: đã lập biên bản" in resolved and "violation_confirmed" not in resolved


def test_plate_search_finds_partial_and_look_alike_plates(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    log_in(page, server.url, keys.operator, lang="en")
    wanted, other = flag_events(
        store, scene_event(evidence, "30K55102"), scene_event(evidence, "75A12345")
    )
    page.locator(f'[data-flag-id="{other}"]').wait_for(timeout=5_000)

    def search_flags(text: str) -> list[str]:
        loads = page.evaluate("entrywatch.loads.flags")
        page.fill("#flag-filters input[name=plate]", text)
        page.click("#flag-filters button[type=submit]")
        wait_until(page, f"entrywatch.loads.flags > {loads}")
        return page.locator('[data-testid="flag"]').evaluate_all(
            "cards => cards.map(c => c.dataset.flagId)"
        )

    assert search_flags("30K") == [str(wanted)]  # a prefix
    assert search_flags("3OK-55I.O2") == [str(wanted)]  # O for 0, I for 1: look-alikes
    assert search_flags("99Z") == []
    assert page.locator('[data-testid="empty"]').inner_text() == "Nothing found for “99Z”."

    before = page.evaluate("entrywatch.loads.entries")
    page.click('.tab[data-view="entries"]')
    # The tab loads the unfiltered list first; wait for it, or it could answer the search below.
    wait_until(page, f"entrywatch.loads.entries > {before}")
    for text in ("30k", "3OK551"):
        loads = page.evaluate("entrywatch.loads.entries")
        page.fill("#entry-filters input[name=plate]", text)
        page.click("#entry-filters button[type=submit]")
        wait_until(page, f"entrywatch.loads.entries > {loads}")
        assert page.locator("#entry-rows td.plate").all_inner_texts() == ["30K55102"]
    page.fill("#entry-filters input[name=plate]", "51G")
    page.click("#entry-filters button[type=submit]")
    page.locator('#entry-rows [data-testid="empty"]').wait_for(timeout=5_000)
    assert "Nothing found for “51G”" in page.locator("#entry-rows").inner_text()


def test_reports_chart_draws_the_hourly_stats(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    now = datetime.now(UTC)
    flag_events(
        store,
        scene_event(evidence, "30K55102", crossed_at=now - timedelta(hours=2)),
        scene_event(evidence, "30K55103", crossed_at=now - timedelta(hours=2)),
        scene_event(evidence, "43A12345", checkpoint="QL49-A-LUOI", camera_id="cam-a-luoi-1",
                    crossed_at=now - timedelta(minutes=5)),
    )  # fmt: skip
    stats = httpx.get(server.url + "/api/stats/hourly", headers=keys.headers("operator")).json()
    assert sum(s["entries"] for s in stats) == 3

    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    log_in(page, server.url, keys.operator)
    page.click('.tab[data-view="reports"]')
    page.locator("#chart canvas").wait_for(timeout=5_000)
    legend = page.locator("#chart .u-legend").inner_text()
    assert "QL1A-HAI-VAN · Lượt xe vào" in legend and "QL49-A-LUOI · Cảnh báo" in legend
    series = page.evaluate("entrywatch.chart.data.slice(1).map(s => s.reduce((a, b) => a + b, 0))")
    assert series == [2, 2, 1, 1]  # entries, flags of each checkpoint, sorted by name
    rows = page.locator('[data-testid="report-row"]').all_inner_texts()
    assert len(rows) == len(stats) == 2
    assert page.evaluate("[...document.querySelectorAll('#chart canvas')].some(c => c.width > 400)")


def test_csv_export_downloads_the_filtered_flags(chromium: Any, site: Any, tmp_path: Path) -> None:
    server, store, keys, evidence = site
    ids = flag_events(store, scene_event(evidence, "30K55102"), scene_event(evidence, "75A12345"))
    page = chromium.new_page(accept_downloads=True)
    log_in(page, server.url, keys.operator)
    page.locator(f'[data-flag-id="{ids[1]}"]').wait_for(timeout=5_000)
    with page.expect_download(timeout=10_000) as info:
        page.click('[data-testid="flags-csv"]')
    download = info.value
    assert download.suggested_filename.startswith("entrywatch-flags-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert sorted(int(r["flag_id"]) for r in rows) == sorted(ids)
    assert {r["plate"] for r in rows} == {"30K55102", "75A12345"}
    assert {r["status"] for r in rows} == {"open"} and {r["priority"] for r in rows} == {"3"}
    assert rows[0]["detail"].startswith("no declaration for ")

    page.click('.tab[data-view="entries"]')
    page.fill("#entry-filters input[name=plate]", "30K")
    with page.expect_download(timeout=10_000) as info:
        page.click('[data-testid="entries-csv"]')
    entries = list(csv.DictReader(io.StringIO(
        Path(info.value.path()).read_text(encoding="utf-8-sig"))))  # fmt: skip
    assert [e["plate"] for e in entries] == ["30K55102"]


def test_title_counts_open_flags_and_a_new_flag_alerts(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    flag_events(store, scene_event(evidence, "30K55102"))
    context = chromium.new_context()
    context.grant_permissions(["notifications"], origin=server.url)
    page = context.new_page()
    log_in(page, server.url, keys.operator, lang="en")
    wait_until(page, "document.title === '(1) EntryWatch'")
    assert page.locator('[data-testid="open-count"]').inner_text() == "1 open flags"
    assert page.evaluate("entrywatch.alerts.length") == 0  # flags already open do not ring

    [new] = flag_events(store, scene_event(evidence, "75A12345"))
    wait_until(page, "document.title === '(2) EntryWatch'")
    assert page.locator('[data-testid="open-count"]').inner_text() == "2 open flags"
    alert = page.evaluate("entrywatch.alerts[0]")
    assert alert["flag_id"] == new and alert["priority"] == 3
    assert alert["tone"] is True and alert["notified"] is True

    page.click("#sound")  # muted: the next flag is counted but makes no sound
    assert page.locator("#sound").get_attribute("aria-pressed") == "false"
    flag_events(store, scene_event(evidence, "43A12345"))
    wait_until(page, "document.title === '(3) EntryWatch'")
    assert page.evaluate("entrywatch.alerts[1].tone") is False
    context.close()


def test_an_older_critical_flag_leads_a_list_of_more_than_200(chromium: Any, site: Any) -> None:
    # The dashboard shows 200 open flags: sorted by the server (sort=priority), the watch-listed
    # plate's flag, opened first and crossed first, is not left out by 205 newer ones.
    server, store, keys, _evidence = site
    with store.transaction() as session:
        add_plate(session, "29A99999", "stolen", "test")
    start = datetime.now(UTC) - timedelta(hours=5)
    at = [start + timedelta(minutes=i) for i in range(206)]  # a crossing a minute
    [critical] = flag_events(store, make_event("29A99999", crossed_at=at[0]))
    newer = flag_events(
        store, *(make_event(f"30K{i:05d}", crossed_at=at[i]) for i in range(1, 206))
    )
    # Each opened when it crossed: the live stream (which re-sends the last 5 s of changes)
    # then brings only the newest, and the list is what the page load asked for.
    with store.transaction() as session:
        for flag_id, when in zip([critical, *newer], at, strict=True):
            session.execute(
                update(Flag).where(Flag.id == flag_id).values(created_at=when, updated_at=when)
            )
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    log_in(page, server.url, keys.operator, lang="en")
    wait_until(page, "entrywatch.loads.flags > 0")
    cards = page.locator('[data-testid="flag"]')
    ids = cards.evaluate_all("cards => cards.map(c => Number(c.dataset.flagId))")
    assert len(ids) == 200 and ids[0] == critical
    assert ids[1:] == sorted(newer, reverse=True)[:199]  # then the newest crossing
    assert cards.first.locator('[data-testid="priority"]').inner_text() == "Critical"
    page.click("#flags-more")  # the rest of the priority order, by offset
    wait_until(page, "entrywatch.loads.flags > 1")
    assert cards.count() == 206 and page.locator("#flags-more").is_hidden()


def test_a_resolved_flag_is_reopened_from_its_detail_panel(chromium: Any, site: Any) -> None:
    server, store, keys, evidence = site
    [flag_id] = flag_events(store, scene_event(evidence, "30K55102"))
    resolved = httpx.post(
        f"{server.url}/api/flags/{flag_id}/resolve",
        json={"outcome": "misread"},
        headers={"X-API-Key": keys.operator},
    )
    assert resolved.status_code == 200, resolved.text

    def resolved_detail(key: str, lang: str) -> Any:
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        log_in(page, server.url, key, lang=lang)
        page.select_option("#flag-filters select[name=status]", "resolved")
        page.click("#flag-filters button[type=submit]")
        card = page.locator(f'[data-flag-id="{flag_id}"]')
        card.locator('button[data-action="detail"]').click()
        page.locator('[data-testid="detail-audit"]').nth(1).wait_for(timeout=5_000)
        return page

    # An integrator may not act on flags: no reopen button (nor any other action).
    page = resolved_detail(keys.integrator, "en")
    wait_until(page, "document.body.dataset.role === 'integrator'")
    assert page.locator("#detail-actions button[data-action]").count() == 1
    assert not page.locator('#detail-actions button[data-action="reopen"]').is_visible()
    page.close()

    page = resolved_detail(keys.operator, "en")
    reopen = page.locator('#detail-actions button[data-action="reopen"]')
    assert reopen.is_visible() and reopen.inner_text() == "Reopen"
    assert page.locator('#detail-actions button[data-action="resolve"]').count() == 0
    page.close()

    page = resolved_detail(keys.operator, "vi")
    reopen = page.locator('#detail-actions button[data-action="reopen"]')
    assert reopen.inner_text() == "Mở lại"
    reopen.click()
    dialog = page.locator("#reopen-dialog")
    assert dialog.locator("h2").inner_text() == "Mở lại cảnh báo"
    assert f"#{flag_id} 30K55102" in dialog.locator(".flag-summary").inner_text()
    page.fill("#reopen-form textarea[name=note]", "đọc nhầm biển, xem lại")
    page.click('#reopen-form button[value="ok"]')
    # Open again: gone from the resolved list it was shown in, back in the open one.
    page.locator(f'[data-flag-id="{flag_id}"]').wait_for(state="detached", timeout=5_000)
    page.select_option("#flag-filters select[name=status]", "open")
    page.click("#flag-filters button[type=submit]")
    status = page.locator(f'[data-flag-id="{flag_id}"] .status')
    status.wait_for(timeout=5_000)
    assert status.inner_text() == "Mới"

    # Reopened through the API: open again, the resolution cleared, the audit kept.
    h = {"X-API-Key": keys.operator}
    flag = httpx.get(f"{server.url}/api/flags/{flag_id}", headers=h).json()
    assert flag["status"] == "open" and flag["resolution"] is None
    assert [(a["action"], a["actor"]) for a in flag["audit"]] == [
        ("opened", "system"), ("resolved", "operator-user"), ("reopened", "operator-user")
    ]  # fmt: skip
    assert flag["audit"][-1]["note"] == "đọc nhầm biển, xem lại"
