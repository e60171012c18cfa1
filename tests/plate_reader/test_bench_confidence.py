"""The accuracy bench's confidence figures (``bench.plate_accuracy``): pure, on made-up reads."""

from __future__ import annotations

from bench.plate_accuracy import Outcome, confidence_auroc, summarise
from matcher.rules import DEFAULT_MIN_CONFIDENCE


def read(correct: bool, confidence: float, predicted: str = "ABC1234") -> Outcome:
    truth = predicted if correct else "XYZ9876"
    return Outcome("x", truth, predicted, correct, True, "ok", 1.0, 0, confidence)


def test_auroc_is_how_often_a_right_read_outranks_a_wrong_one() -> None:
    assert confidence_auroc([read(True, 0.9), read(True, 0.8), read(False, 0.3)]) == 1.0
    assert confidence_auroc([read(True, 0.2), read(False, 0.9)]) == 0.0
    assert confidence_auroc([read(True, 0.5), read(False, 0.5)]) == 0.5
    assert confidence_auroc([read(True, 0.9), read(False, 0.5), read(True, 0.4)]) == 0.5
    assert confidence_auroc([read(True, 0.9)]) is None


def test_the_split_at_the_matchers_threshold() -> None:
    high, low = DEFAULT_MIN_CONFIDENCE + 0.05, DEFAULT_MIN_CONFIDENCE - 0.05
    outcomes = [read(True, high), read(False, high), read(True, low), read(False, 0.0, "")]
    figures = summarise(outcomes)
    assert figures["confident_share"] == 0.5  # two of four at or above the threshold
    assert figures["confident_exact"] == 0.5 and figures["confident_wrong"] == 1
    assert figures["confidence_auroc"] == 2.5 / 4  # right: high, low; wrong: high, 0
