"""Where a worker's entries go: the bus, and optionally a JSON Lines file; one lock for both."""

from __future__ import annotations

import logging
import threading
from typing import TextIO

from pipeline.bus import Bus, Topics, publish_event
from pipeline.events import EntryEvent
from pipeline.jsonl import write_jsonl

log = logging.getLogger(__name__)


class EventSink:
    def __init__(self, bus: Bus, topics: Topics | None = None, out: TextIO | None = None) -> None:
        self.bus = bus
        self.topics = topics or Topics()
        self.out = out
        self.published = 0
        self._lock = threading.Lock()

    def publish(self, event: EntryEvent) -> None:
        with self._lock:
            publish_event(self.bus, self.topics, event)
            if self.out is not None:
                write_jsonl(self.out, event)
            self.published += 1
        log.info(
            "entry %s %s plate=%s",
            event.camera_id,
            event.direction,
            event.plate.display or "(unreadable)",
        )

    def flush(self) -> None:
        with self._lock:
            self.bus.flush(timeout=10.0)
            if self.out is not None:
                self.out.flush()
