import pytest

from store.plates import (
    confusion_distance,
    confusion_key,
    is_probable_match,
    normalise_plate,
    one_apart_in_group,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75A-123.45", "75A12345"),
        (" 75a 123 45 ", "75A12345"),
        ("75-B1\n123.45", "75B112345"),
        ("", ""),
        ("--..", ""),
        ("Đ75A", "75A"),  # non-ASCII letters are not plate characters
    ],
)
def test_normalise_plate(text: str, expected: str) -> None:
    assert normalise_plate(text) == expected


def test_confusable_plates_share_a_key() -> None:
    assert confusion_key("75A12345") == confusion_key("7SA1Z34S") == confusion_key("T5AIZ345")
    assert confusion_key("75A12345") != confusion_key("75A12346")
    assert confusion_key("08") == confusion_key("DB") == confusion_key("QB")


def test_confusion_distance() -> None:
    assert confusion_distance("75A12345", "75A12345") == 0
    assert confusion_distance("75A1Z345", "75A12345") == 1
    assert confusion_distance("75A1Z34S", "75A12345") == 2
    assert confusion_distance("75A12346", "75A12345") is None  # 6 vs 5: not confusable
    assert confusion_distance("75A1234", "75A12345") is None  # length differs


def test_probable_match_is_one_confusable_substitution() -> None:
    assert is_probable_match("75A1Z345", "75A12345")
    assert is_probable_match("75A82340", "75AB2340")
    assert not is_probable_match("75A12345", "75A12345")  # exact is not "probable"
    assert not is_probable_match("75A1Z34S", "75A12345")
    assert is_probable_match("75A1Z34S", "75A12345", max_substitutions=2)


@pytest.mark.parametrize(
    "declared",
    ["75A12345", "75A1Z345", "T5A12345", "75A1234S", "75A1Z34S", "T5A1234S", "7SAIZ34S"],
)
def test_one_apart_in_group_agrees_with_the_general_rule(declared: str) -> None:
    # The lookups' shortcut for plates sharing a confusion key: exact or one substitution.
    read = "75A12345"
    assert confusion_key(read) == confusion_key(declared)
    expected = read == declared or is_probable_match(read, declared)
    assert one_apart_in_group(read, declared) is expected
    assert one_apart_in_group(declared, read) is expected
