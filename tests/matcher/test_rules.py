from datetime import timedelta

import pytest

from matcher.rules import Decision, Outcome, Priority, decide, window_covers
from tests.matcher.factories import T0, make_declaration, make_event

GRACE = timedelta(minutes=30)
NOW = T0 + timedelta(minutes=1)


def run(event, candidates=(), watchlisted=False, **kw) -> Decision:
    decision = decide(event, list(candidates), watchlisted, GRACE, NOW, **kw)
    assert decision is not None
    return decision


def test_declared_for_any_checkpoint() -> None:
    d = make_declaration()
    decision = run(make_event(), [d])
    assert decision.outcome is Outcome.DECLARED
    assert not decision.flagged
    assert decision.declaration_id == d.id
    assert decision.priority is Priority.NONE


def test_declared_for_this_checkpoint_ignoring_case() -> None:
    d = make_declaration(checkpoints=frozenset({"cp-phong-dien", "CP-HAI-VAN"}))
    assert run(make_event(checkpoint="CP-PHONG-DIEN"), [d]).outcome is Outcome.DECLARED


def test_wrong_checkpoint() -> None:
    d = make_declaration(checkpoints=frozenset({"CP-HAI-VAN"}))
    decision = run(make_event(checkpoint="CP-PHONG-DIEN"), [d])
    assert decision.outcome is Outcome.WRONG_CHECKPOINT
    assert decision.flagged and decision.declaration_id == d.id
    assert "CP-HAI-VAN" in decision.reason


def test_current_declaration_elsewhere_beats_expired_one_here() -> None:
    old_here = make_declaration(
        valid_from=T0 - timedelta(days=3), valid_until=T0 - timedelta(days=2)
    )
    now_elsewhere = make_declaration(checkpoints=frozenset({"CP-HAI-VAN"}))
    decision = run(make_event(), [old_here, now_elsewhere])
    assert decision.outcome is Outcome.WRONG_CHECKPOINT
    assert decision.declaration_id == now_elsewhere.id


def test_declared_wins_over_other_declarations_of_the_same_plate() -> None:
    expired = make_declaration(
        valid_from=T0 - timedelta(days=3), valid_until=T0 - timedelta(days=2)
    )
    elsewhere = make_declaration(checkpoints=frozenset({"CP-HAI-VAN"}))
    good = make_declaration()
    decision = run(make_event(), [expired, elsewhere, good])
    assert (decision.outcome, decision.declaration_id) == (Outcome.DECLARED, good.id)


def test_latest_filed_declaration_is_cited() -> None:
    older = make_declaration(filed_at=T0 - timedelta(days=2))
    newer = make_declaration(filed_at=T0 - timedelta(days=1))
    assert run(make_event(), [newer, older]).declaration_id == newer.id


@pytest.mark.parametrize(
    ("offset", "outcome"),
    [
        (timedelta(0), Outcome.DECLARED),  # exactly at grace limit: inclusive
        (timedelta(microseconds=1), Outcome.EXPIRED),
        (timedelta(minutes=-1), Outcome.DECLARED),
    ],
)
def test_grace_after_valid_until(offset: timedelta, outcome: Outcome) -> None:
    d = make_declaration(valid_from=T0 - timedelta(hours=5), valid_until=T0 - GRACE - offset)
    assert run(make_event(), [d]).outcome is outcome


@pytest.mark.parametrize(
    ("offset", "outcome"),
    [(timedelta(0), Outcome.DECLARED), (timedelta(microseconds=1), Outcome.EXPIRED)],
)
def test_grace_before_valid_from(offset: timedelta, outcome: Outcome) -> None:
    d = make_declaration(valid_from=T0 + GRACE + offset, valid_until=T0 + timedelta(hours=5))
    decision = run(make_event(), [d])
    assert decision.outcome is outcome
    if outcome is Outcome.EXPIRED:
        assert "not valid until" in decision.reason


def test_expired_is_flagged_with_the_nearest_declaration() -> None:
    far = make_declaration(valid_from=T0 - timedelta(days=9), valid_until=T0 - timedelta(days=8))
    near = make_declaration(valid_from=T0 - timedelta(days=2), valid_until=T0 - timedelta(hours=2))
    decision = run(make_event(), [far, near])
    assert decision.outcome is Outcome.EXPIRED
    assert decision.flagged and decision.priority is Priority.MEDIUM
    assert decision.declaration_id == near.id
    assert "expired" in decision.reason


def test_zero_grace_is_strict() -> None:
    d = make_declaration(valid_from=T0 - timedelta(hours=1), valid_until=T0 - timedelta(seconds=1))
    decision = decide(make_event(), [d], False, timedelta(0), NOW)
    assert decision is not None and decision.outcome is Outcome.EXPIRED


def test_undeclared() -> None:
    decision = run(make_event(), [])
    assert decision.outcome is Outcome.UNDECLARED
    assert decision.flagged and decision.priority is Priority.HIGH
    assert decision.declaration_id is None
    assert "resolves it" in decision.reason  # still inside the grace period at NOW


def test_undeclared_on_a_doubtful_read_says_the_read_is_doubtful() -> None:
    doubtful = run(make_event(confidence=0.42), [])
    assert doubtful.outcome is Outcome.UNDECLARED and doubtful.priority is Priority.HIGH
    assert "read confidence 0.42 < 0.80" in doubtful.reason
    assert "confidence" not in run(make_event(confidence=0.95), []).reason


def test_undeclared_ignores_other_plates_in_the_candidates() -> None:
    other = make_declaration("43A99999")
    assert run(make_event(), [other]).outcome is Outcome.UNDECLARED


def test_unreadable() -> None:
    decision = run(make_event(None), [make_declaration()])
    assert decision.outcome is Outcome.UNREADABLE
    assert decision.flagged and decision.declaration_id is None


def test_readable_false_wins_over_plate_text() -> None:
    event = make_event("75A12345", readable=False)
    assert run(event, [make_declaration()]).outcome is Outcome.UNREADABLE


def test_watchlisted_is_highest_priority_even_when_declared() -> None:
    d = make_declaration()
    decision = run(make_event(), [d], watchlisted=True)
    assert decision.outcome is Outcome.WATCHLISTED
    assert decision.flagged and decision.priority is Priority.CRITICAL
    assert decision.declaration_id == d.id
    assert max(Priority) is decision.priority


@pytest.mark.parametrize("read", ["75A1Z345", "7SA12345", "75A1234S", "T5A12345", "75AI2345"])
def test_probable_confident_read_is_not_flagged(read: str) -> None:
    d = make_declaration("75A12345")
    decision = run(make_event(read, confidence=0.95), [d])
    assert decision.outcome is Outcome.PROBABLE
    assert not decision.flagged and decision.declaration_id == d.id


def test_probable_low_confidence_is_flagged() -> None:
    d = make_declaration("75A12345")
    decision = run(make_event("75A1Z345", confidence=0.5), [d])
    assert decision.outcome is Outcome.PROBABLE
    assert decision.flagged and decision.priority is Priority.LOW
    assert "confidence" in decision.reason


def test_probable_threshold_is_configurable() -> None:
    d = make_declaration("75A12345")
    event = make_event("75A1Z345", confidence=0.9)
    assert not run(event, [d]).flagged
    assert run(event, [d], min_confidence=0.95).flagged


def test_probable_with_two_near_plates_is_flagged_as_ambiguous() -> None:
    a, b = make_declaration("75A12345"), make_declaration("75A1Z34S")
    decision = run(make_event("75A1Z345"), [a, b])
    assert decision.outcome is Outcome.PROBABLE
    assert decision.flagged


def test_two_confusions_or_non_confusable_edit_is_undeclared() -> None:
    d = make_declaration("75A12345")
    assert run(make_event("75A1Z34S"), [d]).outcome is Outcome.UNDECLARED
    assert run(make_event("75A12346"), [d]).outcome is Outcome.UNDECLARED
    assert run(make_event("75A1234"), [d]).outcome is Outcome.UNDECLARED


def test_exact_match_wins_over_near_match() -> None:
    exact = make_declaration("75A1Z345", checkpoints=frozenset({"CP-HAI-VAN"}))
    near = make_declaration("75A12345")
    decision = run(make_event("75A1Z345"), [exact, near])
    assert decision.outcome is Outcome.WRONG_CHECKPOINT


def test_near_match_out_of_window_is_undeclared() -> None:
    near = make_declaration(
        "75A12345", valid_until=T0 - timedelta(days=1), valid_from=T0 - timedelta(days=2)
    )
    decision = run(make_event("75A1Z345"), [near])
    assert decision.outcome is Outcome.UNDECLARED
    assert "near misses" in decision.reason


def test_outbound_is_not_decided() -> None:
    event = make_event(direction="outbound")
    assert decide(event, [], True, GRACE, NOW) is None
    assert decide(event, [make_declaration()], False, GRACE, NOW) is None


def test_window_covers_inclusive_bounds() -> None:
    d = make_declaration(valid_from=T0, valid_until=T0 + timedelta(hours=1))
    assert window_covers(d, T0 - GRACE, GRACE)
    assert window_covers(d, T0 + timedelta(hours=1) + GRACE, GRACE)
    assert not window_covers(d, T0 - GRACE - timedelta(microseconds=1), GRACE)


def test_decision_is_frozen() -> None:
    decision = run(make_event(), [])
    with pytest.raises(AttributeError):
        decision.flagged = False  # type: ignore[misc]


def test_rules_are_fast() -> None:
    import time

    event = make_event()
    candidates = [make_declaration() for _ in range(5)]
    start = time.perf_counter()
    for _ in range(10_000):
        decide(event, candidates, False, GRACE, NOW)
    assert time.perf_counter() - start < 2.0  # ~20 µs per decision on the shared 2-core box
