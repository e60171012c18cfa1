"""Wall-clock accounting: ``StageTimer`` sums named stages over many calls (the frame loop's
ms per frame); ``LapTimer`` records one run's steps, each the time since the previous one (the
matcher's batch: poll, decode, decide, write, ...)."""

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


class LapTimer:
    """Records the time since the previous call under a step's name: ``lap("decode")``."""

    def __init__(self, into: dict[str, float]) -> None:
        self._into = into
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self._into[name] = now - self._last
        self._last = now
