"""A batch of consumed records on its way through the matcher's steps, and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.checkpoint import Offsets
from matcher.decode import Rejected
from matcher.local import PreparedBatch
from pipeline.bus import Message
from pipeline.events import EntryEvent


@dataclass
class BatchStats:
    records: int = 0
    decided: int = 0
    replayed: int = 0
    flags: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    flag_ids: list[int] = field(default_factory=list)
    # Seconds per step (poll, decode, prepare, write, publish): where a batch's time goes.
    steps: dict[str, float] = field(default_factory=dict)
    # Wall-clock time (time.time()) its poll returned: where an entry's time in the matcher
    # starts (bench.flag_latency splits the latency there).
    polled_at: float = 0.0


@dataclass
class Batch:
    """A polled batch on its way through the steps."""

    messages: list[Message]
    stats: BatchStats
    events: list[EntryEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # The JSON each decoded event came as, by event id (stored as is: see record_entries).
    documents: dict[str, str] = field(default_factory=dict)
    # The record each decoded event came in (its first copy), by event id: for a dead letter
    # when the store refuses the event.
    sources: dict[str, Message] = field(default_factory=dict)
    prepared: PreparedBatch | None = None

    def offsets(self) -> Offsets:
        """The next offset to read per partition once this batch is done."""
        out: Offsets = {}
        for m in self.messages:
            tp = (m.topic, m.partition)
            out[tp] = max(out.get(tp, 0), m.offset + 1)
        return out
