"""Reconnect delays: exponential, capped, with jitter so many cameras do not retry in step."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class Backoff:
    min_s: float = 1.0
    max_s: float = 30.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """The delay before the next try: ``min * 2**attempt`` capped, jittered to [50%, 100%]."""
        base = min(self.max_s, self.min_s * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return base * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        self.attempt = 0

    def wait(self, stop: threading.Event) -> bool:
        """Sleep the next delay; return True if ``stop`` was set meanwhile."""
        return stop.wait(self.next_delay())
