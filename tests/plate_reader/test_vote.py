"""Per-track vote: pure logic on hand-made reads."""

from __future__ import annotations

from plate_reader.formats import get_profile
from plate_reader.reader import PlateRead
from plate_reader.vote import PlateVote

VN = get_profile("vn")


def read(text: str, confidence: float, two_line: bool = False) -> PlateRead:
    return PlateRead(
        text=text,
        raw=text,
        confidence=confidence,
        box=(0.0, 0.0, 10.0, 5.0),
        valid=VN.is_valid(text),
        display=VN.display(text, two_line=two_line),
        two_line=two_line,
    )


def test_empty_vote_has_no_result() -> None:
    vote = PlateVote("vn")
    assert vote.result() is None
    assert not vote.settled


def test_confident_majority_wins() -> None:
    vote = PlateVote("vn")
    for r in [read("75A12345", 0.8), read("75A12845", 0.5), read("75A12345", 0.7)]:
        vote.add(r)
    result = vote.result()
    assert result is not None
    assert result.plate == "75A12345"
    assert result.display == "75A-123.45"
    assert result.valid
    assert result.reads == 3
    assert result.candidates[0][0] == "75A12345"
    assert [c for c, _ in result.candidates].index("75A12845") > 0
    assert 0.5 < result.confidence <= 1.0


def test_valid_read_outweighs_more_confident_invalid_one() -> None:
    vote = PlateVote("vn")
    vote.add(read("75A1234S", 0.9))  # invalid: S in a digit slot
    vote.add(read("75A12345", 0.6))
    result = vote.result()
    assert result is not None and result.plate == "75A12345"


def test_settles_on_two_agreeing_valid_reads() -> None:
    vote = PlateVote("vn", min_reads=2, settle_confidence=1.2)
    vote.add(read("75A12345", 0.7))
    assert not vote.settled  # one read, not confident enough alone
    vote.add(read("75A12345", 0.7))
    assert vote.settled


def test_settles_on_one_very_confident_read() -> None:
    vote = PlateVote("vn", single_confidence=0.95)
    vote.add(read("75A12345", 0.97))
    assert vote.settled


def test_weak_agreement_does_not_settle() -> None:
    vote = PlateVote("vn", min_reads=2, settle_confidence=1.2)
    vote.add(read("75A12345", 0.3))
    vote.add(read("75A12345", 0.3))
    assert not vote.settled


def test_all_invalid_reads_give_an_unsettled_invalid_result() -> None:
    vote = PlateVote("vn")
    for _ in range(4):
        vote.add(read("HELLO", 0.99))
    result = vote.result()
    assert result is not None
    assert result.plate == "HELLO"
    assert not result.valid
    assert not vote.settled


def test_tie_prefers_valid_then_is_deterministic() -> None:
    vote = PlateVote("vn", valid_weight=1.0)
    vote.add(read("75A1234X", 0.5))
    vote.add(read("75A12345", 0.5))
    result = vote.result()
    assert result is not None and result.plate == "75A12345"
    again = PlateVote("vn", valid_weight=1.0)
    again.add(read("75A12346", 0.5))
    again.add(read("75A12345", 0.5))
    result = again.result()
    assert result is not None and result.plate == "75A12345"  # alphabetical among equals


def test_character_wise_consensus_recovers_plate_no_read_got_right() -> None:
    vote = PlateVote("vn")
    vote.add(read("75A1234S", 0.6))
    vote.add(read("7SA12345", 0.6))
    vote.add(read("75A1Z345", 0.6))
    result = vote.result()
    assert result is not None
    assert result.plate == "75A12345"
    assert result.valid


def test_two_line_display_follows_the_reads() -> None:
    vote = PlateVote("vn")
    vote.add(read("75B12345", 0.9, two_line=True))
    vote.add(read("75B12345", 0.9, two_line=True))
    result = vote.result()
    assert result is not None and result.display == "75-B1 2345"


def test_empty_text_is_ignored() -> None:
    vote = PlateVote("vn")
    vote.add(read("", 0.9))
    assert vote.result() is None


def test_unanimous_but_blurry_reads_are_not_certain() -> None:
    sharp, blurry = PlateVote("vn"), PlateVote("vn")
    for _ in range(2):
        sharp.add(read("75A12345", 0.95))
        blurry.add(read("75A12345", 0.4))
    sharp_result, blurry_result = sharp.result(), blurry.result()
    assert sharp_result is not None and blurry_result is not None
    assert sharp_result.confidence == 0.95
    assert blurry_result.confidence == 0.4


def test_disagreement_lowers_confidence() -> None:
    vote = PlateVote("vn")
    vote.add(read("75A12345", 0.9))
    vote.add(read("75A12845", 0.9))
    vote.add(read("75A12345", 0.9))
    result = vote.result()
    assert result is not None and result.plate == "75A12345"
    assert 0.5 < result.confidence < 0.9
