"""The candidate bench (``bench.plate_candidate``): pure, on made-up reports."""

from __future__ import annotations

from pathlib import Path

from bench.plate_candidate import commands, comparison, exact_counts, markdown


def report(name: str, ocr: str, correct: list[bool]) -> dict[str, object]:
    return {"results": [{"set": name, "ocr": ocr, "outcomes": [{"correct": c} for c in correct]}]}


def test_photo_and_rendered_sets_run_as_two_halves_each_with_its_report(tmp_path: Path) -> None:
    runs = commands(Path("m.onnx"), "candidate-m", ["degraded", "openalpr"], 400, tmp_path)
    assert [report for _, report in runs] == [
        tmp_path / "candidate-m-photos.json",
        tmp_path / "candidate-m-rendered.json",
    ]
    photos, rendered = (" ".join(command) for command, _ in runs)
    assert "--set openalpr" in photos and "--set degraded" not in photos
    assert "--set degraded" in rendered and "--model m.onnx" in rendered
    assert "--rendered 400" in rendered and "--ocr crnn --ocr fusion" in rendered
    assert len(commands(Path("m.onnx"), "t", ["br"], 400, tmp_path)) == 1  # no empty half


def test_the_comparison_counts_plates_on_the_sets_both_were_read_on() -> None:
    baseline = exact_counts(
        [report("degraded", "fusion", [True, False, False]), report("br", "crnn", [True])]
    )
    candidate = exact_counts(
        [report("degraded", "fusion", [True, True, False]), report("vn-two-line", "crnn", [True])]
    )
    rows = comparison(baseline, candidate)
    assert rows == [
        {"set": "degraded", "ocr": "fusion", "plates": 3, "baseline": 1, "candidate": 2}
    ]
    table = markdown(rows, "shipped", "new")
    assert "| degraded | fusion | 3 | 33.3% | 66.7% | +1 |" in table
    assert table.splitlines()[0] == "| set | recogniser | n | shipped | new | plates |"


def test_a_failed_half_is_named_with_the_end_of_its_log(tmp_path: Path) -> None:
    import sys

    import pytest

    from bench.plate_candidate import run_all

    fine = [sys.executable, "-c", "import sys; sys.stderr.write('x' * 100_000)"]
    broken = [sys.executable, "-c", "import sys; sys.exit('no such set: moon')"]
    run_all([(fine, tmp_path / "a.json")])  # more than a pipe holds: still finishes
    assert (tmp_path / "a.log").stat().st_size == 100_000
    with pytest.raises(RuntimeError, match="no such set: moon"):
        run_all([(fine, tmp_path / "b.json"), (broken, tmp_path / "c.json")])
