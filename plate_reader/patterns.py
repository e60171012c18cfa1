"""Plate formats written as slot patterns, the way OpenALPR's post-processing files write a
country's plates: ``@`` a letter, ``#`` a digit, ``?`` either; any other character is only
shown (``@@@-####`` displays ``ABC1234`` as ``ABC-1234``).

Where an issuer prints every plate in a few fixed layouts, the layout says which slots hold
letters and which digits, so a 0 read in a letter slot was an O (or a D) and an O in a digit slot
a 0: the repair the generic profile must not make globally (DESIGN.md; issue 10) is right here,
slot by slot. A read that fits no layout is kept as it is, never forced into one.

Brazil (``br``): every plate on the road since the 1990 re-plating is either the old grey
``LLL-NNNN`` or, since 2018, Mercosur ``LLLNLNN`` (the fifth character a letter: ``ABC1D23``;
the old plates convert by turning that digit into a letter, 0 -> A ... 9 -> J). All 26 letters
are issued, O and I included, so there is no fold of any letter outside the slots.
"""

from __future__ import annotations

from plate_reader.formats import DIGIT_TO_LETTER, GenericFormat, PlateFormat, coerce_slots

_SLOTS = frozenset("@#?")
# OpenALPR's slot characters in the VN layouts' (``formats.coerce_slots``): letter, digit.
_AS_LAYOUT_SLOTS = str.maketrans("@#", "LD")
# Near misses keep a plate-like score below a repairable read's, as the VN profile's do.
_NEAR_MISS_SCALE = 0.4


def slots_of(pattern: str) -> str:
    """The pattern without its display characters: one of ``@#?`` per plate character."""
    return "".join(ch for ch in pattern if ch in _SLOTS)


def fits(norm: str, slots: str) -> bool:
    if len(norm) != len(slots):
        return False
    for ch, slot in zip(norm, slots, strict=True):
        if (slot == "@" and not ch.isalpha()) or (slot == "#" and not ch.isdigit()):
            return False
    return True


def coerce(norm: str, slots: str) -> tuple[str, int] | None:
    """``norm`` with confusable characters moved into their slots' class, and how many moved;
    None when some character has no look-alike of the slot's class. DESIGN.md's confusion
    table both ways: a 0 in a letter slot is an O, the letter these faces draw alike."""
    fixed, changes = coerce_slots(norm, slots.translate(_AS_LAYOUT_SLOTS), DIGIT_TO_LETTER)
    return (fixed, changes) if fits(fixed, slots) else None


class PatternFormat(PlateFormat):
    """A region whose plates all follow one of ``patterns`` (first: the preferred display).

    ``max_changes`` bounds the repair: a read that needs more characters moved than that was
    more likely misread in other ways (or is a foreign plate) and is kept as read.
    """

    two_line_possible = False

    def __init__(self, name: str, patterns: tuple[str, ...], max_changes: int = 2) -> None:
        if not patterns:
            raise ValueError(f"plate profile {name!r}: no patterns")
        self.name = name
        self.patterns = patterns
        self.max_changes = max_changes
        self._slots = tuple(slots_of(p) for p in patterns)
        self._generic = GenericFormat()

    def layout_of(self, norm: str) -> str | None:
        """The first pattern ``norm`` fits as it stands."""
        for pattern, slots in zip(self.patterns, self._slots, strict=True):
            if fits(norm, slots):
                return pattern
        return None

    def is_valid(self, norm: str) -> bool:
        return self.layout_of(norm) is not None

    def display(self, norm: str, two_line: bool | None = None) -> str:
        pattern = self.layout_of(norm)
        if pattern is None:
            return norm
        chars = iter(norm)
        return "".join(next(chars) if ch in _SLOTS else ch for ch in pattern)

    def repair(self, norm: str) -> str:
        if self.is_valid(norm):
            return norm
        best: tuple[int, str] | None = None
        for slots in self._slots:
            if len(slots) != len(norm):
                continue
            coerced = coerce(norm, slots)
            if coerced is None or coerced[1] > self.max_changes:
                continue
            if best is None or coerced[1] < best[0]:  # ties: the earlier pattern
                best = (coerced[1], coerced[0])
        return best[1] if best else norm

    def score(self, norm: str) -> float:
        if (fit := self.layout_score(norm)) is not None:
            return fit
        return _NEAR_MISS_SCALE * self._generic.score(norm)


def brazil() -> PatternFormat:
    """Brazil: the old grey plates and Mercosur's."""
    return PatternFormat("br", ("@@@-####", "@@@#@##"))
