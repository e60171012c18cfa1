"""Plate format profiles: pure string rules, no models."""

from __future__ import annotations

import pytest

from plate_reader.formats import GenericFormat, VietnamFormat, get_profile


@pytest.fixture
def vn() -> VietnamFormat:
    return VietnamFormat()


@pytest.mark.parametrize(
    "norm",
    [
        "75A12345",
        "75A1234",
        "51LD12345",
        "80NG12345",
        "29B123456",
        "75B12345",
        "11A1234",
        "99K1234",
    ],
)
def test_vn_valid(vn: VietnamFormat, norm: str) -> None:
    assert vn.is_valid(norm)


@pytest.mark.parametrize(
    "norm",
    [
        "75I12345",  # I is never a series letter
        "75O12345",
        "75J1234",
        "75Q1234",
        "75W12345",
        "10A12345",  # province below 11
        "05A1234",
        "7A12345",  # too short a prefix
        "75A123",  # too few digits
        "75A1234567",
        "ABCDEFGH",
        "",
    ],
)
def test_vn_invalid(vn: VietnamFormat, norm: str) -> None:
    assert not vn.is_valid(norm)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("75A-123.45", "75A12345"),
        (" 75a 123 45 ", "75A12345"),
        ("75-B1\n234.56", "75B123456"),
        ("51ld–123.45", "51LD12345"),
        ("#75A:1234!", "75A1234"),
    ],
)
def test_normalise_strips_noise(vn: VietnamFormat, raw: str, norm: str) -> None:
    assert vn.normalise(raw) == norm


@pytest.mark.parametrize(
    ("norm", "two_line", "shown"),
    [
        ("75A12345", None, "75A-123.45"),
        ("75A12345", False, "75A-123.45"),
        ("75A1234", None, "75A-1234"),
        ("51LD12345", None, "51LD-123.45"),
        ("75B123456", None, "75-B1 234.56"),
        ("75B123456", True, "75-B1 234.56"),
        ("75B12345", True, "75-B1 2345"),
        ("NOTAPLATE", None, "NOTAPLATE"),
    ],
)
def test_vn_display(vn: VietnamFormat, norm: str, two_line: bool | None, shown: str) -> None:
    assert vn.display(norm, two_line=two_line) == shown


def test_vn_two_line_kind(vn: VietnamFormat) -> None:
    assert vn.is_two_line("75B123456") is True
    assert vn.is_two_line("51LD12345") is False
    assert vn.is_two_line("75A12345") is None  # car and motorbike layouts both fit


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("7SA12345", "75A12345"),  # S in a digit slot
        ("75A1Z3B5", "75A12385"),  # Z and B in digit slots
        ("758-12345".replace("-", ""), "75B12345"),  # 8 in the series slot
        ("75A-I2345".replace("-", ""), "75A12345"),  # I in a digit slot
        ("750I2345", "75D12345"),  # 0 in the series slot: O is not issued, D is
        ("G5A1234", "65A1234"),
        ("75AO1234", "75A01234"),  # O among digits of a motorbike/car tail
        ("75LQ12345", "75LD12345"),  # Q is never a series letter
    ],
)
def test_vn_repair(vn: VietnamFormat, read: str, fixed: str) -> None:
    assert vn.repair(read) == fixed
    assert vn.is_valid(fixed)


def test_vn_repair_leaves_valid_and_hopeless_alone(vn: VietnamFormat) -> None:
    assert vn.repair("75A12345") == "75A12345"
    assert vn.repair("HELLO") == "HELLO"


def test_vn_score_orders_candidates(vn: VietnamFormat) -> None:
    assert vn.score("75A12345") == 1.0
    assert vn.score("75A12345") > vn.score("7SA12345") > vn.score("HELLOWORLD") > vn.score("")


def test_generic_rules() -> None:
    gen = GenericFormat()
    assert gen.is_valid("ABC123")
    assert gen.is_valid("7") is False
    assert not gen.is_valid("ABCDEF")  # no digit
    assert not gen.is_valid("ABCDEFG12345")  # too long
    assert gen.display("ABC123") == "ABC123"
    assert gen.normalise("hk-oe 7c") == "HKOE7C"  # no O->0 fold: issuers use the letter O
    assert gen.normalise("abc-1o2") == "ABC1O2"
    assert GenericFormat(fold={"O": "0"}).normalise("hk-oe 7c") == "HK0E7C"  # opt-in only
    assert gen.repair("5I2ABC") == "512ABC"
    assert gen.repair("6XIU641") == "6XIU641"  # I between letters stays
    assert gen.score("ABC1234") > gen.score("12") > gen.score("CITY") > gen.score("")


def test_auto_profile_takes_vietnam_only_on_an_exact_fit() -> None:
    auto = get_profile("auto")
    assert auto.is_valid("75A12345") and auto.display("75A12345") == "75A-123.45"
    assert auto.display("75B123456") == "75-B1 234.56"
    # A Brazilian plate stays as read: no VN coercion into 48C1234.
    assert auto.repair("ABC1234") == "ABC1234" and auto.display("ABC1234") == "ABC1234"
    assert auto.is_valid("ABC1234")
    assert auto.score("75A12345") >= auto.score("ABC1234") > auto.score("CITY")


def test_get_profile() -> None:
    assert isinstance(get_profile("vn"), VietnamFormat)
    assert isinstance(get_profile("Generic"), GenericFormat)
    with pytest.raises(ValueError, match="unknown plate format profile 'us'"):
        get_profile("us")
