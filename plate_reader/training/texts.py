"""Random plate texts and their row layout, for rendering.

A ``PlateText`` is what the recogniser must output (``label``: letters and digits in reading
order, top row then bottom row) and how the plate shows it (``rows``: the printed rows, with the
dashes, dots and spaces of the real layout). Styles say which real plate family a text imitates;
the renderer picks colours and decorations from the style.

Vietnam (Circular 58/2020 and before, see ``plate_reader.formats``): cars ``75A-123.45`` or
``75A-1234`` on one row, or ``75A`` over ``123.45``; two series letters ``51LD-123.45``;
motorbikes ``75-B1`` over ``234.56`` / ``2345``; province codes 11-99; civilian series letters
skip I, J, O, Q, W. Generic: Latin letters and digits, 5-8 characters, one or two rows, with O
and I where formats have them (the recogniser must tell O from 0 by shape, not by rule).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from plate_reader.formats import VN_SERIES_LETTERS

DIGITS = string.digits
LETTERS = string.ascii_uppercase
VN_LETTERS = "".join(sorted(VN_SERIES_LETTERS))
# Military plates use their own two-letter unit codes (``TM``, ``KA``, ...), O and Q included.
VN_MILITARY_PREFIXES = ("TM", "TC", "TH", "TT", "KA", "KB", "KC", "KD", "QA", "QB", "HA", "HB")


@dataclass(frozen=True)
class PlateText:
    label: str  # what the recogniser outputs: A-Z0-9 only, reading order
    rows: tuple[str, ...]  # printed rows, top first
    style: str  # vn_car, vn_car2, vn_moto, vn_military, us, eu, br_mercosur, br_old, generic


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(n))


def _province(rng: random.Random) -> str:
    return str(rng.randint(11, 99))


def _vn_tail(rng: random.Random, five: bool | None = None) -> str:
    """``123.45`` (five digits) or ``1234`` (four, older plates)."""
    digits = _d(rng, 5 if (five if five is not None else rng.random() < 0.8) else 4)
    return f"{digits[:3]}.{digits[3:]}" if len(digits) == 5 else digits


def _label(*rows: str) -> str:
    return "".join(ch for ch in "".join(rows) if ch.isalnum())


def vn_car(rng: random.Random) -> PlateText:
    province = _province(rng)
    r = rng.random()
    if r < 0.08:
        series = rng.choice(("LD", "NG", "NN", "KT"))
    elif r < 0.18:
        series = rng.choice(VN_LETTERS) + rng.choice(VN_LETTERS)
    else:
        series = rng.choice(VN_LETTERS)
    tail = _vn_tail(rng, five=True if len(series) == 2 else None)  # 51LD-123.45
    head = province + series
    if rng.random() < 0.4:
        return PlateText(_label(head, tail), (head, tail), "vn_car2")
    sep = rng.choice(("-", "-", "-", " ", ""))
    row = f"{head}{sep}{tail}"
    return PlateText(_label(row), (row,), "vn_car")


def vn_moto(rng: random.Random) -> PlateText:
    province = _province(rng)
    if rng.random() < 0.12:
        top = f"{province}-{rng.choice(VN_LETTERS)}{rng.choice(VN_LETTERS)}"  # 50 cc: 29-AA
    else:
        top = f"{province}-{rng.choice(VN_LETTERS)}{rng.choice(DIGITS)}"
    if rng.random() < 0.25:
        top = top.replace("-", rng.choice((" ", "")))
    tail = _vn_tail(rng)
    return PlateText(_label(top, tail), (top, tail), "vn_moto")


def vn_military(rng: random.Random) -> PlateText:
    prefix = rng.choice(VN_MILITARY_PREFIXES)
    digits = _d(rng, rng.choice((4, 5)))
    if rng.random() < 0.5:
        row = f"{prefix}-{digits[:2]}-{digits[2:]}"
        return PlateText(_label(row), (row,), "vn_military")
    return PlateText(_label(prefix, digits), (prefix, digits), "vn_military")


def _mixed(rng: random.Random, n: int) -> str:
    """``n`` characters, letters and digits mixed, at least one digit."""
    chars = [rng.choice(LETTERS if rng.random() < 0.5 else DIGITS) for _ in range(n)]
    if not any(c.isdigit() for c in chars):
        chars[rng.randrange(n)] = rng.choice(DIGITS)
    return "".join(chars)


def us(rng: random.Random) -> PlateText:
    pattern = rng.choice(("DLLLDDD", "LLLDDDD", "LLDDDDD", "DDDLLL", "LLLDDD", "DLLDDDD", "MIX"))
    if pattern == "MIX":
        text = _mixed(rng, rng.randint(5, 8))
    else:
        text = "".join(rng.choice(LETTERS if s == "L" else DIGITS) for s in pattern)
    row = text if rng.random() < 0.6 else f"{text[:3]}{rng.choice((' ', '-', ' '))}{text[3:]}"
    return PlateText(_label(row), (row,), "us")


def eu(rng: random.Random) -> PlateText:
    pattern = rng.choice(
        ("LL DDD LL", "LL-DDD-LL", "L LL DDDD", "LL LL DDD", "DD LLL D", "LLL DDD")
    )
    row = "".join(
        rng.choice(LETTERS) if s == "L" else rng.choice(DIGITS) if s == "D" else s for s in pattern
    )
    return PlateText(_label(row), (row,), "eu")


def br(rng: random.Random) -> PlateText:
    letters = "".join(rng.choice(LETTERS) for _ in range(3))
    if rng.random() < 0.5:
        row = f"{letters}{_d(rng, 1)}{rng.choice(LETTERS)}{_d(rng, 2)}"  # Mercosur ABC1D23
        return PlateText(row, (row,), "br_mercosur")
    row = f"{letters}{rng.choice(('-', ' ', ''))}{_d(rng, 4)}"  # old grey ABC-1234
    return PlateText(_label(row), (row,), "br_old")


def generic(rng: random.Random) -> PlateText:
    n = rng.randint(5, 8)
    text = _mixed(rng, n)
    if rng.random() < 0.3:
        cut = rng.randint(2, n - 2)
        return PlateText(text, (text[:cut], text[cut:]), "generic")
    return PlateText(text, (text,), "generic")


# Vietnam first (the region EntryWatch is for), generic families after; weights sum to 1.
GENERATORS = (
    (vn_car, 0.30),
    (vn_moto, 0.25),
    (vn_military, 0.03),
    (us, 0.12),
    (eu, 0.10),
    (br, 0.08),
    (generic, 0.12),
)


def random_plate(rng: random.Random) -> PlateText:
    makers = [g for g, _ in GENERATORS]
    weights = [w for _, w in GENERATORS]
    return rng.choices(makers, weights)[0](rng)
