"""Tracking a producer's records until the broker acknowledges them, for ``Bus.flush``.

Records are numbered in send order, and a flush waits only for the records sent before it. A
count of records in flight would make a flush wait for zero, which never comes while another
thread keeps publishing (the matcher's writer does, batch after batch).
"""

from __future__ import annotations

import heapq
import threading

from pipeline.bus.errors import FlushTimeout


class DeliveryTracker:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._in_flight: list[int] = []  # a heap of sequence numbers not yet known settled
        self._settled: set[int] = set()  # settled, still in the heap (removed lazily)
        self._failures: list[tuple[int, str]] = []

    def sent(self) -> int:
        """Number a record being sent; pass the number to ``settle`` from its callback."""
        with self._cond:
            seq = self._next
            self._next += 1
            heapq.heappush(self._in_flight, seq)
            return seq

    def settle(self, seq: int, failure: str | None = None) -> None:
        """The record was acknowledged, or failed for good (``failure`` says why)."""
        with self._cond:
            self._settled.add(seq)
            if failure is not None:
                self._failures.append((seq, failure))
            self._cond.notify_all()

    def wait(self, timeout: float | None) -> list[str]:
        """Wait until every record sent before this call is settled; returns the failures among
        them. Raises ``FlushTimeout`` when ``timeout`` (seconds) passes first."""
        with self._cond:
            target = self._next
            if not self._cond.wait_for(lambda: self._oldest_in_flight() >= target, timeout):
                left = sum(1 for s in self._in_flight if s < target and s not in self._settled)
                raise FlushTimeout(f"flush timed out with {left} records undelivered")
            failures = [why for seq, why in self._failures if seq < target]
            self._failures = [(seq, why) for seq, why in self._failures if seq >= target]
            return failures

    def _oldest_in_flight(self) -> int | float:
        while self._in_flight and self._in_flight[0] in self._settled:
            self._settled.discard(heapq.heappop(self._in_flight))
        return self._in_flight[0] if self._in_flight else float("inf")
