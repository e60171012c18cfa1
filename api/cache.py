"""Small in-process TTL caches (``cachetools.TTLCache``) that keep hot reads off the store.

- ``ResponseCache``: identical list queries within ``ttl`` share one database read (50 dashboards
  polling the open-flags list cost one query per ``ttl``). Flag changes made through this process
  clear it; changes from elsewhere show within ``ttl`` (the live stream carries them anyway).
- ``PrincipalCache``: a key checked in the last ``ttl`` seconds is not looked up again, so a
  revoked key stops working within ``ttl`` (``ENTRYWATCH_AUTH_CACHE_S``, 0 disables).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import anyio
from cachetools import TTLCache

T = TypeVar("T")


class TtlCache(Generic[T]):
    """``cachetools.TTLCache`` behind a lock (route handlers and sync dependencies run in worker
    threads); ``ttl <= 0`` turns it off. Full of live entries, the least recently used goes."""

    def __init__(self, ttl: float, max_entries: int = 1024) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: TTLCache[Hashable, T] = TTLCache(max_entries, ttl if ttl > 0 else 1.0)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            return self._data.get(key)

    def put(self, key: Hashable, value: T) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class SingleFlight(Generic[T]):
    """Concurrent callers of the same key share one run of ``fn`` (in a worker thread): when a
    cached list expires under load, one query refreshes it instead of one per waiting client."""

    def __init__(self) -> None:
        self._pending: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        pending = self._pending.get(key)
        if pending is not None and pending.get_loop() is loop:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = loop.create_future()
        self._pending[key] = future
        try:
            value = await anyio.to_thread.run_sync(fn)
        except BaseException as exc:
            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(value)
            return value
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]
