"""Plate format profiles: normalise, validate, display, repair and score plate text.

A profile knows what a plate of one region looks like. The reader uses it to clean OCR output
(``normalise``), to fix OCR confusions by position (``repair``), to decide whether a read is a
plausible plate (``is_valid``) and to choose among candidate reads (``score``).

Vietnam (``vn``), normalised form is letters and digits only, display forms:

- car, one line: ``DDL-DDD.DD`` (``75A-123.45``), ``DDL-DDDD`` (``75A-1234``) and two series
  letters ``DDLL-DDD.DD`` (``51LD-123.45``, ``80NG-123.45``);
- motorbike, two rows ``DD-LD`` over ``DDD.DD`` or ``DDDD``, displayed on one line with a space
  where the rows meet: ``75-B1 234.56`` / ``75-B1 2345``.

``75A12345`` is both a car (``75A-123.45``) and a motorbike (``75-A1 2345``): the normalised text is
the same, only the display differs, so ``display`` takes an optional ``two_line`` hint.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

# OCR confusions (DESIGN.md): which digit a letter-shaped read most likely was, and back.
# I -> 1 and T -> 7 both belong to the 1/I/7/T group; 4/A is added because it is as common.
LETTER_TO_DIGIT: dict[str, str] = {
    "O": "0", "D": "0", "Q": "0", "U": "0",
    "I": "1", "L": "1", "T": "7",
    "Z": "2", "S": "5", "G": "6", "B": "8", "A": "4",
}  # fmt: skip
DIGIT_TO_LETTER: dict[str, str] = {
    "0": "O", "1": "I", "7": "T", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A",
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def normalise_text(raw: str) -> str:
    """Upper-case letters and digits only: dots, dashes, spaces and other noise go."""
    return _NON_ALNUM.sub("", raw.upper())


class PlateFormat(ABC):
    """One region's plate rules."""

    name: str = ""
    two_line_possible: bool = False

    def normalise(self, raw: str) -> str:
        return normalise_text(raw)

    @abstractmethod
    def is_valid(self, norm: str) -> bool: ...

    @abstractmethod
    def display(self, norm: str, two_line: bool | None = None) -> str: ...

    @abstractmethod
    def repair(self, norm: str) -> str: ...

    @abstractmethod
    def score(self, norm: str) -> float:
        """How plate-like ``norm`` is, 0..1 (1 for a valid plate)."""

    def layout_score(self, norm: str) -> float | None:
        """For profiles with layouts: 0 for nothing, 1 for a valid plate, 0.7 for one that
        ``repair`` makes valid, None for a near miss (the profile scores those its own way)."""
        if not norm:
            return 0.0
        if self.is_valid(norm):
            return 1.0
        if self.is_valid(self.repair(norm)):
            return 0.7
        return None


# ---------------------------------------------------------------------------------------------
# Vietnam

# Series letters skip I, J, O, Q, W (they read as 1, 0 or are not issued).
VN_SERIES_LETTERS = frozenset("ABCDEFGHKLMNPRSTUVXYZ")
VN_SPECIAL_SERIES = frozenset({"NG", "LD"})


@dataclass(frozen=True)
class _Layout:
    """A normalised-text layout: ``D`` digit slot, ``L`` series-letter slot."""

    slots: str
    two_line: bool


# Order matters only for display of ambiguous texts: the car form comes first.
_VN_LAYOUTS: tuple[_Layout, ...] = (
    _Layout("DDLDDDDD", two_line=False),  # 75A12345  -> 75A-123.45
    _Layout("DDLDDDD", two_line=False),  # 75A1234   -> 75A-1234
    _Layout("DDLLDDDDD", two_line=False),  # 51LD12345 -> 51LD-123.45
    _Layout("DDLDDDDDD", two_line=True),  # 75B123456 -> 75-B1 234.56
    _Layout("DDLDDDDD", two_line=True),  # 75B12345  -> 75-B1 2345
)


def _fits(norm: str, layout: _Layout) -> bool:
    if len(norm) != len(layout.slots):
        return False
    for ch, slot in zip(norm, layout.slots, strict=True):
        if slot == "D" and not ch.isdigit():
            return False
        if slot == "L" and ch not in VN_SERIES_LETTERS:
            return False
    return True


def coerce_slots(norm: str, slots: str, to_letter: dict[str, str]) -> tuple[str, int]:
    """Move confusable characters into the slot type (``D`` digit, ``L`` letter, any other slot
    takes either); return the text and how many changed. A character with no look-alike of its
    slot's type stays, so the caller checks the result against the layout."""
    out: list[str] = []
    changes = 0
    for ch, slot in zip(norm, slots, strict=True):
        if slot == "D" and not ch.isdigit() and ch in LETTER_TO_DIGIT:
            out.append(LETTER_TO_DIGIT[ch])
            changes += 1
        elif slot == "L" and ch.isdigit() and ch in to_letter:
            out.append(to_letter[ch])
            changes += 1
        else:
            out.append(ch)
    return "".join(out), changes


# In VN series slots O and I are never issued, so a 0 read there was most likely a D and a 1 a T.
_VN_DIGIT_TO_LETTER = {**DIGIT_TO_LETTER, "0": "D", "1": "T"}
_VN_LETTER_FIXES = {"O": "D", "Q": "D", "I": "T", "J": "T", "W": "V"}


class VietnamFormat(PlateFormat):
    name = "vn"
    two_line_possible = True

    def layouts(self, norm: str) -> list[_Layout]:
        return [layout for layout in _VN_LAYOUTS if self._layout_ok(norm, layout)]

    def _layout_ok(self, norm: str, layout: _Layout) -> bool:
        if not _fits(norm, layout):
            return False
        return 11 <= int(norm[:2]) <= 99

    def is_valid(self, norm: str) -> bool:
        return bool(self.layouts(norm))

    def is_two_line(self, norm: str) -> bool | None:
        """True/False when only one kind of layout fits, None when both (or none) do."""
        kinds = {layout.two_line for layout in self.layouts(norm)}
        return next(iter(kinds)) if len(kinds) == 1 else None

    def display(self, norm: str, two_line: bool | None = None) -> str:
        layouts = self.layouts(norm)
        if not layouts:
            return norm
        if two_line is not None:
            layouts = [lay for lay in layouts if lay.two_line == two_line] or layouts
        layout = layouts[0]
        if layout.two_line:
            top, bottom = norm[:4], norm[4:]
            bottom = f"{bottom[:3]}.{bottom[3:]}" if len(bottom) == 5 else bottom
            return f"{top[:2]}-{top[2:]} {bottom}"
        head = 4 if layout.slots.startswith("DDLL") else 3
        tail = norm[head:]
        tail = f"{tail[:3]}.{tail[3:]}" if len(tail) == 5 else tail
        return f"{norm[:head]}-{tail}"

    def repair(self, norm: str) -> str:
        if self.is_valid(norm):
            return norm
        best: tuple[int, str] | None = None
        for layout in _VN_LAYOUTS:
            if len(layout.slots) != len(norm):
                continue
            fixed, changes = coerce_slots(norm, layout.slots, _VN_DIGIT_TO_LETTER)
            # Letters that are never issued in series slots: map to the letter they resemble.
            chars = list(fixed)
            for i, slot in enumerate(layout.slots):
                if slot == "L" and chars[i] in _VN_LETTER_FIXES:
                    chars[i] = _VN_LETTER_FIXES[chars[i]]
                    changes += 1
            fixed = "".join(chars)
            if self._layout_ok(fixed, layout) and (best is None or changes < best[0]):
                best = (changes, fixed)
        return best[1] if best else norm

    def score(self, norm: str) -> float:
        if (fit := self.layout_score(norm)) is not None:
            return fit
        # Near misses: a province prefix and a plate-like length still beat arbitrary text.
        partial = 0.1
        if len(norm) >= 2 and norm[:2].isdigit():
            partial += 0.2
        if 7 <= len(norm) <= 9:
            partial += 0.1
        return partial


# ---------------------------------------------------------------------------------------------
# Generic


class GenericFormat(PlateFormat):
    """Any 2-10 letters-and-digits plate with at least one digit; display is the normalised text.

    There is no global letter/digit fold: many issuers use O and I (Brazil ``LLL-NNNN``, most
    of Europe, California ``6XIU641``), so turning every O into 0 is a rule about one data set,
    not about plates (an O->0 fold chosen on US photos cost 40 points on Brazilian ones). Telling
    O from 0 is the recogniser's job; matching tolerates the look-alikes through the matcher's
    confusion key. A ``fold`` can still be given for a region whose issuer guarantees it.

    There are no slots, so ``repair`` only fixes an ``I`` between two digits (``5I2`` -> ``512``):
    no issuer prints a letter I inside a run of digits.
    """

    name = "generic"
    two_line_possible = False

    def __init__(
        self, min_len: int = 2, max_len: int = 10, fold: dict[str, str] | None = None
    ) -> None:
        self.min_len = min_len
        self.max_len = max_len
        self._fold = str.maketrans(fold or {})

    def normalise(self, raw: str) -> str:
        return normalise_text(raw).translate(self._fold)

    def is_valid(self, norm: str) -> bool:
        return (
            self.min_len <= len(norm) <= self.max_len
            and norm.isalnum()
            and norm.isascii()
            and any(ch.isdigit() for ch in norm)
        )

    def display(self, norm: str, two_line: bool | None = None) -> str:
        return norm

    def repair(self, norm: str) -> str:
        chars = list(norm)
        for i in range(1, len(chars) - 1):
            if chars[i] == "I" and chars[i - 1].isdigit() and chars[i + 1].isdigit():
                chars[i] = "1"
        return "".join(chars)

    def score(self, norm: str) -> float:
        if not self.is_valid(norm):
            return 0.1 if norm else 0.0
        # Most plates worldwide have 5-8 characters. No bonus for letters: all-digit plates are
        # common (older US series, many fleets), and such a bonus made the reader prefer a
        # recogniser that turned a digit into a letter (1268205 -> 12682D5).
        if 5 <= len(norm) <= 8:
            return 1.0
        if len(norm) in (4, 9):
            return 0.85
        return 0.7


class AutoFormat(PlateFormat):
    """``--region auto``: Vietnamese where the read is a Vietnamese plate as it stands, generic
    otherwise.

    Only an exact fit counts as Vietnamese: the VN repair coerces letters and digits by slot,
    which would turn a Brazilian ``ABC1234`` into a valid ``48C1234``. So ``auto`` never repairs
    towards Vietnam; choose ``--region vn`` where the cameras only see Vietnamese plates.
    """

    name = "auto"
    two_line_possible = True

    def __init__(self) -> None:
        self.vn = VietnamFormat()
        self.generic = GenericFormat()

    def profile_for(self, norm: str) -> PlateFormat:
        return self.vn if self.vn.is_valid(norm) else self.generic

    def is_valid(self, norm: str) -> bool:
        return self.profile_for(norm).is_valid(norm)

    def display(self, norm: str, two_line: bool | None = None) -> str:
        return self.profile_for(norm).display(norm, two_line)

    def repair(self, norm: str) -> str:
        return self.generic.repair(norm) if not self.vn.is_valid(norm) else norm

    def score(self, norm: str) -> float:
        return max(self.vn.score(norm) if self.vn.is_valid(norm) else 0.0, self.generic.score(norm))


def _brazil() -> PlateFormat:
    from plate_reader.patterns import brazil  # patterns builds on this module

    return brazil()


_PROFILES: dict[str, Callable[[], PlateFormat]] = {
    "vn": VietnamFormat,
    "generic": GenericFormat,
    "auto": AutoFormat,
    "br": _brazil,
}
REGIONS = tuple(_PROFILES)


def get_profile(name: str) -> PlateFormat:
    """Return a fresh profile by name (one of ``REGIONS``: "vn", "generic", "auto", "br")."""
    try:
        return _PROFILES[name.strip().lower()]()
    except KeyError:
        known = ", ".join(sorted(_PROFILES))
        raise ValueError(f"unknown plate format profile {name!r}; known: {known}") from None
