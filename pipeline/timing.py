"""Per-stage wall-clock accounting for the frame loop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StageTimer:
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.calls[name] = self.calls.get(name, 0) + 1

    def ms_per_frame(self, frames: int) -> dict[str, float]:
        """Milliseconds each stage costs per frame of video, averaged over ``frames``."""
        if frames <= 0:
            return {}
        return {name: 1000.0 * s / frames for name, s in self.seconds.items()}

    def ms_per_call(self) -> dict[str, float]:
        return {name: 1000.0 * s / max(1, self.calls[name]) for name, s in self.seconds.items()}
