"""Plate text helpers: normalisation and OCR-confusion keys.

Deliberately tiny and dependency-free. The ``plate_reader`` package owns plate formats; this module
only needs the one rule every region shares (upper-case letters and digits) and the confusion
classes the matcher uses for "probable" matches.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterable

_ALLOWED = frozenset(string.ascii_uppercase + string.digits)
# Plates from the bus and the store are normalised already: checked in one C call.
_NORMALISED = re.compile(r"[A-Z0-9]*")

# Characters OCR mixes up on plates. The first character of each class is its representative.
CONFUSION_CLASSES: tuple[str, ...] = ("0ODQ", "17IT", "2Z", "5S", "6G", "8B")
_REPRESENTATIVE = {ch: group[0] for group in CONFUSION_CLASSES for ch in group}
_KEY_TABLE = str.maketrans(_REPRESENTATIVE)


def normalise_plate(text: str) -> str:
    """Upper-case ASCII letters and digits only: ``"75a-123.45"`` -> ``"75A12345"``."""
    if _NORMALISED.fullmatch(text):
        return text
    return "".join(ch for ch in text.upper() if ch in _ALLOWED)


def confusion_key(plate: str) -> str:
    """Replace each confusable character by its class representative.

    Two plates that differ only by confusable substitutions share a key, so an indexed key column
    finds every substitution-only near match with one equality (or IN) lookup instead of a scan.
    """
    return normalise_plate(plate).translate(_KEY_TABLE)


def confusion_distance(read: str, declared: str) -> int | None:
    """How many positions differ, when every difference is a confusable substitution.

    ``None`` when the plates cannot be confused at all (different length, or a difference that is
    not within one confusion class).
    """
    if len(read) != len(declared) or confusion_key(read) != confusion_key(declared):
        return None
    return sum(1 for a, b in zip(read, declared, strict=True) if a != b)


def is_probable_match(read: str, declared: str, *, max_substitutions: int = 1) -> bool:
    """True when ``read`` is ``declared`` with 1..max_substitutions confusable substitutions."""
    distance = confusion_distance(read, declared)
    return distance is not None and 1 <= distance <= max_substitutions


def one_apart_in_group(read: str, declared: str) -> bool:
    """Whether ``declared`` is ``read`` itself or one confusable substitution away (the only
    declarations the rules can use for ``read``), for two plates known to share a confusion key:
    equal length and every difference confusable, so only the differences are counted. The
    lookups call it once per fetched row, so it does not recompute the keys."""
    if read == declared:
        return True
    # This runs once per fetched row, thousands per batch: after the first difference, the rest
    # must match exactly (one slice comparison, in C).
    for i, ch in enumerate(read):
        if ch != declared[i]:
            return read[i + 1 :] == declared[i + 1 :]
    return True


def normalised_plates(plates: Iterable[str]) -> set[str]:
    """The distinct non-empty normalised forms of ``plates``."""
    return {p for p in (normalise_plate(x) for x in plates) if p}


def by_confusion_key(plates: Iterable[str]) -> dict[str, list[str]]:
    """Normalised plates grouped by confusion key: one indexed lookup per key finds exact and
    near matches of every plate in its group."""
    groups: dict[str, list[str]] = defaultdict(list)
    for plate in normalised_plates(plates):
        groups[confusion_key(plate)].append(plate)
    return dict(groups)
