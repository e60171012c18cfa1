"""What the matcher needs to know about a declaration, independent of how it is stored."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

ANY_CHECKPOINT = "any"


class DeclarationRecord(NamedTuple):
    """One declaration as the rules see it.

    ``checkpoints`` is ``None`` when the declaration is good for any checkpoint. Times are
    timezone-aware. A NamedTuple (immutable, and a third of a frozen dataclass's construction
    cost): a lookup builds thousands per batch.
    """

    id: int
    plate_normalised: str
    valid_from: datetime
    valid_until: datetime
    checkpoints: frozenset[str] | None = None
    filed_at: datetime | None = None
    plate_display: str | None = None
    filed_via: str | None = None

    def covers_checkpoint(self, checkpoint: str) -> bool:
        if self.checkpoints is None:
            return True
        # Checkpoint ids come from people (CSV, web form) as well as camera config: ignore case.
        wanted = checkpoint.casefold()
        return any(cp.casefold() == wanted for cp in self.checkpoints)
