"""Fusion of recognisers' reads (pure unit tests, no models)."""

from __future__ import annotations

from plate_reader.formats import get_profile
from plate_reader.fusion import Candidate, fuse

VN = get_profile("vn")
GENERIC = get_profile("generic")


def cand(text: str, conf: float, source: str, chars: tuple[float, ...] = ()) -> Candidate:
    return Candidate(text, text, conf, chars, None, source)


def test_nothing_to_fuse_gives_none() -> None:
    assert fuse([], VN) is None
    assert fuse([cand("", 0.9, "a")], VN) is None


def test_a_valid_read_beats_a_more_confident_invalid_one() -> None:
    fused = fuse([cand("75A12345", 0.80, "crnn"), cand("75A1234S", 0.95, "rapid")], VN)
    assert fused is not None and fused.text == "75A12345"


def test_agreeing_backends_combine_and_crop_variants_vote_once() -> None:
    reads = [
        cand("ABC1234", 0.6, "crnn"),
        cand("ABC1234", 0.6, "rapid"),
        cand("A8C1234", 0.7, "rapid"),
        cand("A8C1234", 0.7, "rapid"),  # the same back-end on another crop: no second vote
    ]
    fused = fuse(reads, GENERIC)
    assert fused is not None
    assert fused.text == "ABC1234"
    assert fused.sources == ("crnn", "rapid")
    assert abs(fused.confidence - (1 - 0.4 * 0.4)) < 1e-9


def test_character_merge_only_wins_when_it_fits_the_format() -> None:
    # Each back-end got one slot wrong; the per-character best of the two is a valid VN plate.
    a = cand("75A1234S", 0.9, "crnn", (0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.40))
    b = cand("7SA12345", 0.9, "rapid", (0.99, 0.30, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99))
    fused = fuse([a, b], VN)
    assert fused is not None and fused.text == "75A12345"
    # Too different (more than a third of the positions): no merge is tried.
    far = fuse([cand("11111111", 0.9, "crnn"), cand("22222222", 0.8, "rapid")], GENERIC)
    assert far is not None and far.text == "11111111"
