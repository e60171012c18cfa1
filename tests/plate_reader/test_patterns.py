"""Slot-pattern plate profiles (``plate_reader.patterns``): Brazil's two layouts, pure strings."""

from __future__ import annotations

import typing

import pytest

from pipeline.config import CameraConfig
from plate_reader.formats import REGIONS, get_profile
from plate_reader.patterns import PatternFormat, coerce, fits, slots_of

BR = get_profile("br")


@pytest.mark.parametrize(
    ("norm", "display"),
    [
        ("ABC1234", "ABC-1234"),
        ("ABC1D23", "ABC1D23"),
        ("OIO1O23", "OIO1O23"),
        ("BRA2E19", "BRA2E19"),
    ],
)
def test_both_layouts_are_valid_as_read_and_shown_as_printed(norm: str, display: str) -> None:
    assert BR.is_valid(norm) and BR.repair(norm) == norm and BR.score(norm) == 1.0
    assert BR.display(norm) == display


@pytest.mark.parametrize(
    ("read", "plate"),
    [
        ("A8C1234", "ABC1234"),  # a digit in a letter slot: its look-alike letter
        ("ABC12S4", "ABC1254"),  # a letter in a digit slot: its look-alike digit
        ("0BC1D23", "OBC1D23"),  # O is issued in Brazil: a 0 in a letter slot is an O
        ("ABC1D2S", "ABC1D25"),  # Mercosur needs one change, the old layout two: Mercosur
        ("A8C12S4", "ABC1254"),  # two changes: the bound, still repaired
    ],
)
def test_repair_moves_look_alikes_into_their_slots_class(read: str, plate: str) -> None:
    assert not BR.is_valid(read)
    assert BR.repair(read) == plate and BR.score(read) == 0.7


@pytest.mark.parametrize(
    "read",
    [
        "ABC123",  # no layout of six characters
        "88812S4",  # four changes: more likely another plate or another misread
        "ABC12X4",  # an X in a digit slot has no look-alike digit
    ],
)
def test_reads_that_fit_no_layout_are_kept_as_read(read: str) -> None:
    repaired = BR.repair(read)
    assert repaired == read and not BR.is_valid(repaired)
    assert BR.score(read) < 0.7


def test_a_valid_plate_of_either_layout_is_never_changed_into_the_other() -> None:
    # ABC1023 is an old plate as read; ABC1O23 a Mercosur one: each stays what it was read as.
    assert BR.repair("ABC1023") == "ABC1023" and BR.repair("ABC1O23") == "ABC1O23"


def test_patterns_read_like_openalprs() -> None:
    assert slots_of("@@@-####") == "@@@####"
    assert fits("AB12", "@?#?") and fits("A112", "@?#?") and not fits("1B12", "@?#?")
    assert coerce("A8", "@@") == ("AB", 1) and coerce("AX", "@#") is None
    with pytest.raises(ValueError, match="no patterns"):
        PatternFormat("xx", ())


def test_every_profile_is_a_camera_region_and_a_cli_region() -> None:
    from pipeline.cli import options

    hint = typing.get_type_hints(CameraConfig)["region"]
    assert set(typing.get_args(hint)) == set(REGIONS)
    assert "br" in REGIONS and options.region_or_default("br") == "br"
