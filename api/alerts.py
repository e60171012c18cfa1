"""Outgoing webhooks: each new flag POSTed, as its FlagEvent JSON, to the URL configured for its
priority (``ENTRYWATCH_WEBHOOKS``), so other systems (a radio room, a pager gateway) hear of it.

The API process polls the store for new flags like the live stream does (``api.live.FlagPoller``,
which also catches flags committed out of id order), from the newest flag at start-up on. A
reopened flag is not posted again. Delivery is at most once per process: a receiver that is down
is retried twice, then the flag is logged and skipped. With ``serve --workers N`` each process
posts: run one API process with webhooks.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections import OrderedDict

import anyio

from api.live import FlagPoller
from api.schemas import FlagPublic
from pipeline.events import FlagStatus
from store import Store

log = logging.getLogger(__name__)

_ATTEMPTS = 3
_REMEMBERED = 10_000  # flag ids posted, so a later change of one is not posted again


class WebhookAlerts:
    def __init__(self, store: Store, hooks: dict[int, str], timeout_s: float = 5.0) -> None:
        self.store = store
        self.hooks = dict(hooks)
        self.timeout_s = timeout_s
        self.poller: FlagPoller | None = None
        self.first_new_id = 1
        self.posted: OrderedDict[int, None] = OrderedDict()

    def poll_once(self) -> int:
        """Post every flag opened since the last call; returns how many were posted."""
        if self.poller is None:
            self.poller = FlagPoller.start(self.store, None)
            self.first_new_id = self.poller.last_id + 1
            return 0
        sent = 0
        for flag in self.poller.poll():
            if flag.status != FlagStatus.OPEN or flag.flag_id in self.posted:
                continue
            if flag.flag_id < self.first_new_id:
                continue  # raised before start-up (the poller's look-back sends recent changes)
            self.posted[flag.flag_id] = None
            if len(self.posted) > _REMEMBERED:
                self.posted.popitem(last=False)
            url = self.hooks.get(flag.priority)
            if url is not None and self._post(url, flag):
                sent += 1
        return sent

    def _post(self, url: str, flag: FlagPublic) -> bool:
        body = flag.model_dump_json().encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "EntryWatch-webhook",
                "X-EntryWatch-Event": "flag.opened",
            },
        )
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                    if 200 <= resp.status < 300:
                        return True
                    reason = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                reason = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                reason = str(exc)
            if attempt < _ATTEMPTS:
                time.sleep(0.5 * attempt)
        log.warning("webhook %s: flag %d not delivered (%s)", url, flag.flag_id, reason)
        return False

    async def run(self, poll_s: float) -> None:
        """Poll and post until cancelled (the app's lifespan owns the task)."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.poll_once)
            except Exception:  # a store hiccup must not end the alerts
                log.exception("webhook alerts: poll failed")
            await anyio.sleep(poll_s)
