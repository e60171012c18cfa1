"""End-to-end plate accuracy on the openalpr US photos (skips when the data folder is absent).

Floors sit a few points under what was measured (RapidOCR, generic profile, 222 photos:
85.6% exact, 97.3% detection recall) so CPU noise does not matter but a regression does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared/data/openalpr-us"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"no benchmark data at {DATA}"),
]

ACCURACY_FLOOR = 0.82
RECALL_FLOOR = 0.95


def test_openalpr_us_accuracy_and_recall() -> None:
    from bench.plate_accuracy import run

    result = run(DATA, ocr="rapidocr")
    assert result["photos"] == 222
    summary = {k: v for k, v in result.items() if k != "outcomes"}
    assert result["detection_recall"] >= RECALL_FLOOR, summary
    assert result["accuracy"] >= ACCURACY_FLOOR, summary
