"""Per-track plate vote: many noisy reads of one vehicle in, one plate out.

Each read votes for its text with weight ``confidence`` (times ``valid_weight`` when the profile
says the text is a valid plate, so one clean valid read outweighs several invalid fragments).
Besides whole-text votes, reads of the winning length also vote character by character; the
character-wise consensus wins when it is itself valid and no whole-text candidate is as strong.

The vote is ``settled`` (the pipeline stops reading the track) when the best plate is valid and:

- at least ``min_reads`` reads agree on it and their summed confidence is ``>= settle_confidence``,
- or one read of it alone has confidence ``>= single_confidence``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from plate_reader.formats import PlateFormat, get_profile
from plate_reader.reader import PlateRead


@dataclass(frozen=True)
class VoteResult:
    plate: str
    display: str
    # The winner's share of all vote weight times the mean OCR confidence of the reads behind
    # it, 0..1: unanimous but blurry reads are not "certain" (the matcher relies on this).
    confidence: float
    valid: bool
    reads: int
    candidates: tuple[tuple[str, float], ...]  # (plate, vote weight), best first


class PlateVote:
    """Accumulates the reads of one track."""

    def __init__(
        self,
        profile: PlateFormat | str = "generic",
        *,
        min_reads: int = 2,
        settle_confidence: float = 1.2,
        single_confidence: float = 0.95,
        valid_weight: float = 2.0,
        max_candidates: int = 5,
    ) -> None:
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.min_reads = min_reads
        self.settle_confidence = settle_confidence
        self.single_confidence = single_confidence
        self.valid_weight = valid_weight
        self.max_candidates = max_candidates
        self._reads: list[PlateRead] = []

    def add(self, read: PlateRead) -> None:
        if read.text:
            self._reads.append(read)

    def _weight(self, read: PlateRead) -> float:
        return read.confidence * (self.valid_weight if read.valid else 1.0)

    def _tallies(self) -> dict[str, float]:
        tally: dict[str, float] = defaultdict(float)
        for read in self._reads:
            tally[read.text] += self._weight(read)
        consensus = self._consensus(tally)
        if consensus is not None and consensus not in tally:
            # The consensus is credited with the weight of the reads of its length scaled by how
            # many of their characters agree with it: it never beats unanimous whole-text votes.
            tally[consensus] = self._consensus_weight(consensus)
        return tally

    def _consensus(self, tally: dict[str, float]) -> str | None:
        if len(self._reads) < 3:
            return None
        by_len: dict[int, float] = defaultdict(float)
        for text, weight in tally.items():
            by_len[len(text)] += weight
        length = max(by_len, key=lambda n: by_len[n])
        same = [r for r in self._reads if len(r.text) == length]
        chars: list[str] = []
        for i in range(length):
            votes: dict[str, float] = defaultdict(float)
            for read in same:
                votes[read.text[i]] += self._weight(read)
            chars.append(max(sorted(votes), key=lambda c: votes[c]))
        text = "".join(chars)
        return text if self.profile.is_valid(text) else None

    def _consensus_weight(self, text: str) -> float:
        weight = 0.0
        for read in self._reads:
            if len(read.text) == len(text):
                agree = sum(a == b for a, b in zip(read.text, text, strict=True)) / len(text)
                weight += self._weight(read) * agree
        return weight * 0.9

    def result(self) -> VoteResult | None:
        if not self._reads:
            return None
        tally = self._tallies()
        # Ties go to the valid text, then to the earlier (alphabetical, for determinism) one.
        ranked = sorted(
            tally.items(), key=lambda kv: (-kv[1], not self.profile.is_valid(kv[0]), kv[0])
        )
        plate, weight = ranked[0]
        total = sum(tally.values())
        agreeing = [r for r in self._reads if r.text == plate]
        two_line = sum(r.two_line for r in agreeing) * 2 > len(agreeing) if agreeing else None
        behind = agreeing or [r for r in self._reads if len(r.text) == len(plate)]
        ocr_confidence = sum(r.confidence for r in behind) / len(behind) if behind else 0.0
        return VoteResult(
            plate=plate,
            display=self.profile.display(plate, two_line=two_line),
            confidence=round(min(1.0, weight / total * ocr_confidence), 4) if total else 0.0,
            valid=self.profile.is_valid(plate),
            reads=len(self._reads),
            candidates=tuple((t, round(w, 4)) for t, w in ranked[: self.max_candidates]),
        )

    @property
    def settled(self) -> bool:
        best = self.result()
        if best is None or not best.valid:
            return False
        agreeing = [r for r in self._reads if r.text == best.plate]
        if any(r.confidence >= self.single_confidence for r in agreeing):
            return True
        summed = sum(r.confidence for r in agreeing)
        return len(agreeing) >= self.min_reads and summed >= self.settle_confidence
