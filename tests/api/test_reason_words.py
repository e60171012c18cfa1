"""The dashboard says the matcher's reasons in the page's language by matching their English
wording (app.js ``DETAIL_WORDS``); a reason no pattern matches is shown untranslated. Every
wording the rules can produce must match one pattern, and with every clause captured."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from matcher.rules import decide
from tests.matcher.factories import T0, make_declaration, make_event

APP_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "app.js"
GRACE = timedelta(minutes=30)


def _patterns() -> list[re.Pattern[str]]:
    block = APP_JS.read_text().split("const DETAIL_WORDS = [", 1)[1].split("\n];", 1)[0]
    # JavaScript regex literals of these simple forms read the same in Python.
    return [re.compile(p) for p in re.findall(r"^\s*\[/(\^.*?\$)/,", block, re.M)]


REASONS = {
    "undeclared": (make_event(), [], False),
    "undeclared, doubtful read": (make_event(confidence=0.42), [], False),
    "undeclared, near misses": (
        make_event("75A12345"),
        [make_declaration("75A1Z345", valid_until=T0 - timedelta(days=1))],
        False,
    ),
    "expired": (make_event(), [make_declaration(valid_until=T0 - timedelta(hours=1))], False),
    "not yet valid": (make_event(), [make_declaration(valid_from=T0 + timedelta(hours=1))], False),
    "wrong checkpoint": (
        make_event(),
        [make_declaration(checkpoints=frozenset({"CP-OTHER"}))],
        False,
    ),
    "probable, doubtful": (make_event("75A1Z345", confidence=0.5), [make_declaration()], False),
    "unreadable": (make_event(None), [], False),
    "watchlisted": (make_event(), [make_declaration()], True),
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_every_reason_the_rules_give_is_said_in_the_dashboards_words(case: str) -> None:
    event, declarations, watchlisted = REASONS[case]
    now = T0 + timedelta(minutes=1)
    decision = decide(event, declarations, watchlisted, GRACE, now)
    assert decision is not None
    matched = [m for p in _patterns() if (m := p.match(decision.reason))]
    assert matched, f"no DETAIL_WORDS pattern in app.js matches {decision.reason!r}"
    # Every number of the reason is captured by the pattern, not lost in its wording.
    captured = " ".join(g for g in matched[0].groups() if g)
    for number in re.findall(r"\d+\.\d+", decision.reason):
        assert number in captured, f"{number} of {decision.reason!r} is not captured"
