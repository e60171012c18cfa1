"""Topic names: the published contract. Version suffixes change only with a new schema version."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    entries: str = "entrywatch.entries.v1"
    flags: str = "entrywatch.flags.v1"
    deadletter: str = "entrywatch.deadletter"

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        """Same names under a prefix, e.g. for tests or several deployments on one cluster."""
        d = cls()
        return cls(prefix + d.entries, prefix + d.flags, prefix + d.deadletter)

    def all(self) -> tuple[str, ...]:
        return (self.entries, self.flags, self.deadletter)
