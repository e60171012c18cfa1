"""``GET /api/flags?sort=priority``: the most urgent first, then the newest crossing, over the
whole store (the dashboard shows the first 200: an older critical flag must not fall off), paged
by offset; the paging parameters of the other order are refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from store import Store
from store.watchlist import add_plate
from tests.api.conftest import Keys, flag_events
from tests.matcher.factories import T0, make_event


@pytest.fixture
def mixed(store: Store) -> dict[str, int]:
    """Flags opened in this order (ids ascending), crossings out of that order: a watch-listed
    plate (priority 4) that crossed first, three undeclared (3), one unreadable (2) newest."""
    with store.transaction() as session:
        add_plate(session, "29A99999", "stolen", "test")
    crossings = {
        "watched": ("29A99999", T0 - timedelta(hours=1)),
        "u5": ("30K00005", T0 + timedelta(minutes=5)),
        "u1": ("30K00001", T0 + timedelta(minutes=1)),
        "u3": ("30K00003", T0 + timedelta(minutes=3)),
        "unread": (None, T0 + timedelta(minutes=10)),
    }
    ids = {}
    for name, (plate, at) in crossings.items():  # one batch each: ids in this order
        [ids[name]] = flag_events(store, make_event(plate, crossed_at=at))
    return ids


def _page(client: TestClient, keys: Keys, **params: object) -> dict:
    answer = client.get("/api/flags", params=params, headers=keys.headers("integrator"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_priority_first_then_the_newest_crossing(
    client: TestClient, keys: Keys, mixed: dict[str, int]
) -> None:
    expected = [mixed[n] for n in ("watched", "u5", "u3", "u1", "unread")]
    page = _page(client, keys, status="open", sort="priority")
    assert [f["flag_id"] for f in page["items"]] == expected
    assert [f["priority"] for f in page["items"]] == [4, 3, 3, 3, 2]
    assert page["next_offset"] is None and page["next_before_id"] is None

    # With fewer rows per page than open flags, the newest-first page misses the critical
    # flag (the oldest); the priority order starts with it.
    newest = _page(client, keys, status="open", limit=2)
    assert mixed["watched"] not in [f["flag_id"] for f in newest["items"]]
    seen, offset = [], 0
    while True:
        page = _page(client, keys, status="open", sort="priority", limit=2, offset=offset)
        seen += [f["flag_id"] for f in page["items"]]
        assert page["next_before_id"] is None
        if page["next_offset"] is None:
            break
        offset = page["next_offset"]
    assert seen == expected

    # Filters apply as in the newest-first order; sort=newest is that order.
    assert [f["flag_id"] for f in _page(client, keys, sort="priority", reason="undeclared")[
        "items"]] == expected[1:4]  # fmt: skip
    assert [f["flag_id"] for f in _page(client, keys, sort="newest")["items"]] == sorted(
        expected, reverse=True
    )


def test_csv_in_priority_order(client: TestClient, keys: Keys, mixed: dict[str, int]) -> None:
    answer = client.get(
        "/api/flags",
        params={"sort": "priority", "format": "csv"},
        headers=keys.headers("integrator"),
    )
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["plate"] for r in rows] == ["29A99999", "30K00005", "30K00003", "30K00001", ""]


def test_unknown_sort_and_mixed_paging_are_refused(
    client: TestClient, keys: Keys, mixed: dict[str, int]
) -> None:
    h = keys.headers("integrator")
    bad = client.get("/api/flags", params={"sort": "urgency"}, headers=h)
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert error["loc"] == ["query", "sort"] and "'newest' or 'priority'" in error["msg"]
    refused = client.get("/api/flags", params={"sort": "priority", "before_id": 3}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("before_id pages sort=newest")
    refused = client.get("/api/flags", params={"offset": 2}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("offset pages sort=priority")
