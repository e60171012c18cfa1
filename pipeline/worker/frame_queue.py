"""A bounded queue that drops the oldest frame when full, counting the drops.

Control items (end of a stream session) are never dropped: only frames are, so an end marker
always reaches the inference thread and the tracks of that session are finished.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DropOldestQueue(Generic[T]):
    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.dropped = 0
        self._items: deque[tuple[bool, T]] = deque()  # (droppable, item)
        self._frames = 0
        self._cond = threading.Condition()

    def put(self, item: T, *, droppable: bool = True) -> bool:
        """Add ``item``; return False when an older frame had to be dropped for it."""
        with self._cond:
            kept = True
            if droppable and self._frames >= self.maxsize:
                for i, (can_drop, _) in enumerate(self._items):
                    if can_drop:
                        del self._items[i]
                        self._frames -= 1
                        self.dropped += 1
                        kept = False
                        break
            self._items.append((droppable, item))
            self._frames += droppable
            self._cond.notify()
            return kept

    def get(self, timeout: float | None = None) -> T | None:
        """The oldest item, or None after ``timeout`` seconds with nothing queued."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            droppable, item = self._items.popleft()
            self._frames -= droppable
            return item

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
