"""Fusing plate recognisers: every back-end reads the crop, the read the evidence favours wins.

Laroca et al. (2023, "Leveraging Model Fusion for Improved License Plate Recognition") found that
combining recognisers beats any one of them across data sets, and that the simple rules do most
of it. Here each candidate is a read of one back-end on one crop variant, already normalised and
repaired by the plate profile; the rule is:

1. each back-end votes once per text, with its best confidence for that text (crop variants of
   one back-end are not independent witnesses);
2. back-ends that agree combine like independent witnesses (noisy-OR: ``1 - prod(1 - c)``);
3. the winner maximises ``profile.score(text) x combined confidence``, so a format-valid read
   beats an invalid one of similar confidence;
4. when the two best texts come from different back-ends, have the same length and differ in a
   few positions, a character-wise merge (each position from the more confident back-end) joins
   the race; it wins only if the profile scores it higher (it fits the format where neither did).

No weight here was fitted to any data set: the confidences are the back-ends' own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from plate_reader.formats import PlateFormat


@dataclass(frozen=True)
class Candidate:
    """One back-end's read of one crop, after the profile's normalise and repair."""

    text: str
    raw: str
    confidence: float
    char_confidences: tuple[float, ...]
    two_line: bool | None
    source: str


@dataclass(frozen=True)
class Fused:
    text: str
    raw: str
    confidence: float  # the combined confidence of the back-ends behind ``text``
    score: float  # profile score x confidence: what the choice maximised
    two_line: bool | None
    sources: tuple[str, ...]


MERGE_DISCOUNT = 0.9


def _char_confidences(c: Candidate) -> tuple[float, ...]:
    if len(c.char_confidences) == len(c.text):
        return c.char_confidences
    return (c.confidence,) * len(c.text)


def _merge(a: Candidate, b: Candidate) -> Candidate | None:
    """Position-wise merge of two same-length reads; None when they are too different."""
    if len(a.text) != len(b.text) or a.text == b.text:
        return None
    differ = sum(x != y for x, y in zip(a.text, b.text, strict=True))
    if differ > max(1, len(a.text) // 3):
        return None
    chars: list[str] = []
    confs: list[float] = []
    for x, y, cx, cy in zip(
        a.text, b.text, _char_confidences(a), _char_confidences(b), strict=True
    ):
        chars.append(x if cx >= cy else y)
        confs.append(max(cx, cy))
    # A merge is an inference, not a read: it is trusted a little less than either read.
    confidence = MERGE_DISCOUNT * sum(confs) / len(confs)
    two_line = a.two_line if a.two_line is not None else b.two_line
    return Candidate(
        "".join(chars), f"{a.raw} | {b.raw}", confidence, tuple(confs), two_line, "merge"
    )


def fuse(candidates: Iterable[Candidate], profile: PlateFormat) -> Fused | None:
    """The best-supported plate text among ``candidates``, or None when there is none."""
    pool = [c for c in candidates if c.text]
    if not pool:
        return None
    # Best read of each (text, source): one vote per back-end per text.
    best: dict[tuple[str, str], Candidate] = {}
    for c in pool:
        key = (c.text, c.source)
        if key not in best or c.confidence > best[key].confidence:
            best[key] = c
    by_text: dict[str, list[Candidate]] = defaultdict(list)
    for (text, _), c in best.items():
        by_text[text].append(c)

    def combined(reads: list[Candidate]) -> float:
        miss = 1.0
        for c in reads:
            miss *= 1.0 - max(0.0, min(1.0, c.confidence))
        return 1.0 - miss

    ranked = sorted(
        by_text.items(), key=lambda kv: profile.score(kv[0]) * combined(kv[1]), reverse=True
    )
    if len(ranked) >= 2:
        (_, first), (_, second) = ranked[0], ranked[1]
        a, b = max(first, key=lambda c: c.confidence), max(second, key=lambda c: c.confidence)
        if a.source != b.source:
            merged = _merge(a, b)
            if merged is not None and merged.text not in by_text:
                by_text[merged.text].append(merged)
    text, reads = max(by_text.items(), key=lambda kv: profile.score(kv[0]) * combined(kv[1]))
    lead = max(reads, key=lambda c: c.confidence)
    confidence = combined(reads)
    two_line = next((c.two_line for c in reads if c.two_line is not None), None)
    return Fused(
        text=text,
        raw=lead.raw,
        confidence=confidence,
        score=profile.score(text) * confidence,
        two_line=two_line,
        sources=tuple(sorted({c.source for c in reads})),
    )
