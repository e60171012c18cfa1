"""The matcher's offsets between commits (quix-streams' checkpoint): what is committable and when.

A batch's offsets become committable once the batch is stored and its flags and dead letters are
delivered (``done``); they are committed together at most every ``interval_s`` (``commit_if_due``)
and on stop (``commit``). Batches between checkpoints are not committed one by one: the latest
offset per partition covers them, and a lost commit only means more records come back, already
decided. How a failed commit is handled is the caller's policy (``commit`` is given in).

When a rebalance moves a partition to another member, its offsets here are still committed with
the next checkpoint. That is safe: they only ever cover records this member stored, so a commit
never skips a record; the new owner starts from the last committed offset and finds the records
this member stored since already decided (``replayed``). At worst a late commit moves the
partition's committed offset back behind the new owner's, and a crash then redelivers more
(``tests/matcher/test_consumer_group.py``). Committing them in a rebalance listener instead
would need the writer's batch finished there, and kafka-python runs listeners on the thread
that sends heartbeats, where no blocking call is allowed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Offsets = dict[tuple[str, int], int]
"""The next offset to read, per (topic, partition)."""


class Checkpoint:
    def __init__(
        self,
        commit: Callable[[Offsets, bool], None],
        interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``commit(offsets, wait)`` commits to the broker (asynchronously unless ``wait``)."""
        self._commit = commit
        self.interval_s = interval_s
        self._clock = clock
        self._committable: Offsets = {}
        self._last = clock()

    @property
    def committable(self) -> Offsets:
        """Offsets of the batches done since the last commit (a copy)."""
        return dict(self._committable)

    def done(self, offsets: Offsets) -> None:
        """A batch is stored and delivered: its offsets may be committed."""
        for tp, offset in offsets.items():
            self._committable[tp] = max(self._committable.get(tp, 0), offset)

    def due(self) -> bool:
        return self._clock() - self._last >= self.interval_s

    def commit_if_due(self, *, wait: bool = False) -> None:
        if self.due():
            self.commit(wait=wait)

    def commit(self, *, wait: bool = False) -> None:
        """Commit what is committable (nothing to do when nothing is); without ``wait`` the
        commit is asynchronous. The offsets are handed over first: a commit that fails is not
        retried with the next one, whose later offsets cover it."""
        if not self._committable:
            return
        offsets, self._committable = self._committable, {}
        self._commit(offsets, wait)
        self._last = self._clock()
