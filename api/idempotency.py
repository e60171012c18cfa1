"""``Idempotency-Key`` for the public declaration form: a retried POST (its answer was lost) gets
the first answer again instead of filing twice.

Kept in process memory for ``ttl`` (24 h) and at most ``max_entries`` keys, oldest forgotten
first: like the rate limit, one API process per store (``serve --workers 1``, the default). A key
is bound to the request it came with: the same key with another body is refused (422), and a key
whose first request is still being handled answers 409.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DAY_S = 24 * 3600.0
KEY_LEN = 128


class KeyReused(Exception):
    """The key came with a different request before."""


class KeyInFlight(Exception):
    """The key's first request is still being handled."""


@dataclass
class _Entry:
    fingerprint: str
    expires: float
    answer: Any = None  # None while in flight


class IdempotencyKeys:
    def __init__(
        self,
        ttl_s: float = DAY_S,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, key: str, request: bytes) -> Any | None:
        """The stored answer for ``key``, or None when this request is the first (then call
        ``finish`` or ``abandon``). Raises ``KeyReused`` or ``KeyInFlight``."""
        fingerprint = hashlib.sha256(request).hexdigest()
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise KeyReused(key)
                if entry.answer is None:
                    raise KeyInFlight(key)
                return entry.answer
            self._entries[key] = _Entry(fingerprint, now + self.ttl_s)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return None

    def finish(self, key: str, answer: Any) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.answer = answer

    def abandon(self, key: str) -> None:
        """The first request failed: the key may be used again."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.answer is None:
                del self._entries[key]

    def _expire(self, now: float) -> None:
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires > now:
                return
            del self._entries[key]
