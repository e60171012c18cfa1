"""Entry lines as people give them: in pixels or in fractions of the frame, with the inbound side
named the way people say it (``down``, ``towards-camera``, ...), checked against the frame.

An entry line is directed (start -> end) and its inbound side is ``left`` or ``right`` of that
direction in image coordinates (y down): for a line drawn left to right across the road, ``right``
is the lower part of the picture, towards the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Point = tuple[float, float]
Side = Literal["left", "right"]

# Words for "the side vehicles reach when they enter", by the way the picture moves.
_DOWN = ("down", "towards-camera", "toward-camera", "towards", "toward", "approaching", "near")
_UP = ("up", "away", "away-from-camera", "receding", "far")
INBOUND_WORDS: tuple[str, ...] = ("left", "right", *_DOWN, *_UP)
INBOUND_HELP = (
    "Side of the line that is inside the province: left or right of the line's direction "
    "(X1,Y1 to X2,Y2); or down / towards-camera (vehicles coming at the camera enter), up / away "
    "(vehicles driving away enter), mapped to left or right for the line given."
)


class LineSpecError(ValueError):
    """A line or inbound side that cannot be used, said in one line with what to give instead."""


@dataclass(frozen=True)
class LineSpec:
    """Four numbers as given: fractions of the frame when every one is within 0-1."""

    values: tuple[float, float, float, float]

    @property
    def fractional(self) -> bool:
        return all(0.0 <= v <= 1.0 for v in self.values)

    def in_pixels(self, width: int, height: int) -> tuple[Point, Point]:
        x1, y1, x2, y2 = self.values
        if self.fractional:
            x1, x2 = x1 * width, x2 * width
            y1, y2 = y1 * height, y2 * height
        return (x1, y1), (x2, y2)


def parse_line(text: str) -> LineSpec:
    """``X1,Y1,X2,Y2``: pixels, or fractions of the width and height (``0,0.6,1,0.6``)."""
    try:
        x1, y1, x2, y2 = (float(v) for v in text.split(","))
    except ValueError:
        raise LineSpecError(
            f"--line: expected X1,Y1,X2,Y2 (four numbers, pixels or fractions 0-1), got {text!r}"
        ) from None
    return LineSpec((x1, y1, x2, y2))


def check_in_frame(start: Point, end: Point, width: int, height: int, where: str) -> None:
    """Refuse a line with an end outside the picture: it would count nothing, silently."""
    outside = [p for p in (start, end) if not (0 <= p[0] <= width and 0 <= p[1] <= height)]
    if outside:
        (x1, y1), (x2, y2) = start, end
        raise LineSpecError(
            f"the line {_num(x1)},{_num(y1)},{_num(x2)},{_num(y2)} is outside the "
            f"{width}x{height} frame of {where} (x 0-{width}, y 0-{height}); "
            "`entrywatch frame` shows the pixel grid, or give fractions such as 0,0.6,1,0.6"
        )


def auto_line(width: int, height: int) -> tuple[Point, Point]:
    """Across the whole picture at 60 % of its height, drawn left to right."""
    y = round(height * 0.6)
    return (0.0, float(y)), (float(width), float(y))


def inbound_side(word: str, start: Point, end: Point) -> tuple[Side, str]:
    """The side (left or right of start -> end) that ``word`` names, and a sentence saying so."""
    key = word.strip().lower().replace("_", "-").replace(" ", "-")
    line = f"({_num(start[0])},{_num(start[1])})->({_num(end[0])},{_num(end[1])})"
    if key in ("left", "right"):
        return key, f"inbound: the {key} side of the line {line}"  # type: ignore[return-value]
    if key in _DOWN or key in _UP:
        dx = end[0] - start[0]
        if abs(dx) < 1e-9:
            raise LineSpecError(
                f"--inbound {word}: the line {line} is vertical, so it has no upper or lower side; "
                "give left or right (of the line's direction)"
            )
        # y grows downwards: the right of a line drawn rightwards (dx > 0) is below it.
        down_side: Side = "right" if dx > 0 else "left"
        up_side: Side = "left" if down_side == "right" else "right"
        side = down_side if key in _DOWN else up_side
        where = "lower (nearer the camera)" if key in _DOWN else "upper (farther away)"
        return (
            side,
            f"inbound: {word} = the {where} part of the picture = the {side} side of {line}",
        )
    raise LineSpecError(
        f"--inbound {word!r}: not a side; use left or right (of the line's direction), "
        "down / towards-camera, or up / away"
    )


def _num(v: float) -> str:
    return f"{v:g}"
