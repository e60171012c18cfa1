"""Outgoing webhooks per flag priority, POSTed to a real HTTP receiver on 127.0.0.1, and the
start-up warning when the evidence root holds nothing while the store has entries."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from pipeline.evidence import EvidenceStore
from store import Store
from tests.api.conftest import flag_events
from tests.matcher.factories import make_event


class Receiver:
    """An HTTP server that records what is POSTed to it; answers ``status``."""

    def __init__(self, status: int = 204) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.received.append((self.path, headers, json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} POSTs arrived"
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_each_new_flag_is_posted_to_its_prioritys_webhook(
    settings: Settings, store: Store, receiver: Receiver
) -> None:
    old = flag_events(store, make_event("30K11111"))  # before start-up: not posted
    hooked = settings.model_copy(
        update={
            "webhooks": {3: receiver.url + "/high", 2: receiver.url + "/medium"},
            "webhook_poll_s": 0.05,
        }
    )
    with TestClient(create_app(hooked, store=store)):
        time.sleep(0.3)  # the poller starts from the newest flag
        [undeclared] = flag_events(store, make_event("30K55102"))  # priority 3
        [unreadable] = flag_events(store, make_event(None))  # priority 2
        flag_events(store, make_event("75A12345", direction="outbound"))  # an exit: no flag
        receiver.wait_for(2)
        time.sleep(0.3)
    by_path = {path: (headers, body) for path, headers, body in receiver.received}
    assert sorted(by_path) == ["/high", "/medium"] and len(receiver.received) == 2
    headers, body = by_path["/high"]
    assert body["flag_id"] == undeclared and body["priority"] == 3 and body["status"] == "open"
    assert body["plate"] == "30K55102" and body["detail"].startswith("no declaration for")
    assert headers["content-type"] == "application/json"
    assert headers["x-entrywatch-event"] == "flag.opened"
    assert by_path["/medium"][1]["flag_id"] == unreadable
    assert old[0] not in {b["flag_id"] for _, _, b in receiver.received}


def test_a_receiver_that_fails_is_retried_then_logged(
    settings: Settings, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    failing = Receiver(status=500)
    try:
        hooked = settings.model_copy(update={"webhooks": {3: failing.url}, "webhook_poll_s": 0.05})
        with (
            caplog.at_level(logging.WARNING, "api.alerts"),
            TestClient(create_app(hooked, store=store)),
        ):
            time.sleep(0.3)
            [flag_id] = flag_events(store, make_event("30K55102"))
            failing.wait_for(3)  # three attempts
            deadline = time.monotonic() + 5
            while "not delivered" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        failing.close()
    assert f"flag {flag_id} not delivered (HTTP 500)" in caplog.text


def test_webhook_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="priorities are 0 to 4"):
        Settings(webhooks={7: "http://127.0.0.1:9/x"})
    with pytest.raises(ValueError, match="not an http"):
        Settings(webhooks={3: "ftp://127.0.0.1/x"})


def test_start_up_warns_when_the_evidence_root_is_empty_but_entries_exist(
    settings: Settings, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def start_up() -> str:
        caplog.clear()
        with (
            caplog.at_level(logging.WARNING, "api.main"),
            TestClient(create_app(settings, store=store)),
        ):
            pass
        return caplog.text

    assert "evidence root" not in start_up()  # no entries yet: nothing to warn about
    flag_events(store, make_event("30K55102"))
    text = start_up()
    assert f"evidence root {settings.evidence_root.resolve()} does not exist" in text
    assert "ENTRYWATCH_EVIDENCE_DIR" in text
    settings.evidence_root.mkdir(parents=True)
    assert "holds no evidence images" in start_up()
    EvidenceStore(settings.evidence_root).save(
        "cam-1", "e1", "frame", np.zeros((4, 4, 3), np.uint8)
    )
    assert "evidence root" not in start_up()
