"""Fusing plate recognisers: every back-end reads the crop, the read the evidence favours wins.

Laroca et al. (2023, "Leveraging Model Fusion for Improved License Plate Recognition") found that
combining recognisers beats any one of them across data sets, and that the simple rules do most
of it. Here each candidate is a read of one back-end on one crop variant, already normalised and
repaired by the plate profile; the rule is:

1. a read's evidence is the probability of its whole text, the product of its per-character
   confidences (the greedy CTC path probability; both back-ends give them). A mean would let
   one doubtful character hide among sure ones, and the back-ends' own sequence scores are
   calibrated differently, so only the per-character figures are compared;
2. each back-end votes once per text, with its best evidence for that text (crop variants of
   one back-end are not independent witnesses);
3. back-ends that agree combine like independent witnesses (noisy-OR: ``1 - prod(1 - e)``);
4. the winner maximises ``profile.score(text) x combined evidence``, so a format-valid read
   beats an invalid one of similar evidence;
5. when the two best texts come from different back-ends, have the same length and differ in a
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
    confidence: float  # the back-ends' own confidences behind ``text``, combined (noisy-OR)
    score: float  # profile score x combined evidence: what the choice maximised
    two_line: bool | None
    sources: tuple[str, ...]


MERGE_DISCOUNT = 0.9


def _char_confidences(c: Candidate) -> tuple[float, ...]:
    if len(c.char_confidences) == len(c.text):
        return c.char_confidences
    return (c.confidence,) * len(c.text)


def evidence(c: Candidate) -> float:
    """The probability of ``c``'s whole text: the product of its per-character confidences
    (its own confidence when the back-end gave none)."""
    confs = c.char_confidences
    if len(confs) != len(c.text) or not confs:
        return max(0.0, min(1.0, c.confidence))
    p = MERGE_DISCOUNT if c.source == "merge" else 1.0
    for x in confs:
        p *= max(0.0, min(1.0, x))
    return p


def _noisy_or(values: Iterable[float]) -> float:
    miss = 1.0
    for v in values:
        miss *= 1.0 - max(0.0, min(1.0, v))
    return 1.0 - miss


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
        if key not in best or evidence(c) > evidence(best[key]):
            best[key] = c
    by_text: dict[str, list[Candidate]] = defaultdict(list)
    for (text, _), c in best.items():
        by_text[text].append(c)

    def rank(item: tuple[str, list[Candidate]]) -> float:
        return profile.score(item[0]) * _noisy_or(evidence(c) for c in item[1])

    ranked = sorted(by_text.items(), key=rank, reverse=True)
    if len(ranked) >= 2:
        (_, first), (_, second) = ranked[0], ranked[1]
        a, b = max(first, key=evidence), max(second, key=evidence)
        if a.source != b.source:
            merged = _merge(a, b)
            if merged is not None and merged.text not in by_text:
                by_text[merged.text].append(merged)
    text, reads = max(by_text.items(), key=rank)
    lead = max(reads, key=evidence)
    two_line = next((c.two_line for c in reads if c.two_line is not None), None)
    return Fused(
        text=text,
        raw=lead.raw,
        confidence=_noisy_or(c.confidence for c in reads),
        score=rank((text, reads)),
        two_line=two_line,
        sources=tuple(sorted({c.source for c in reads})),
    )
