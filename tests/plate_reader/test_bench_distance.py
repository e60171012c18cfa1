"""The distance bench (``bench.plate_distance``): its sets, its arithmetic and its arguments, and
one short run end to end with the trained recogniser."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.plate_distance import markdown, recipe, score, smallest_reliable
from plate_reader.training import fonts
from tests.plate_reader.fonts import plate_fonts


def test_every_height_draws_the_same_plates_only_smaller_and_cheap_adds_only_the_optics() -> None:
    from plate_reader.training.dataset import render_view, sample_plate

    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))
    near, far, cheap = recipe(24, 8, "plain"), recipe(8, 8, "plain"), recipe(24, 8, "cheap")
    for i in range(8):
        near_view, label = render_view(near, i)
        far_view, far_label = render_view(far, i)
        cheap_view, cheap_label = render_view(cheap, i)
        plate = sample_plate(near, i)
        assert plate is not None and label == far_label == cheap_label == plate.label
        assert far_view.shape[0] < 0.5 * near_view.shape[0]  # 8 px against 24: about a third
        assert cheap_view.shape == near_view.shape and not np.array_equal(cheap_view, near_view)


def test_sample_plate_names_what_render_view_draws_with_styles_and_negatives() -> None:
    from plate_reader.training.dataset import Recipe, fonts_as_strings, render_view, sample_plate

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    only_moto = Recipe(4, 12, faces, styles=("vn_moto",), negatives=0.0)
    assert all(
        (p := sample_plate(only_moto, i)) is not None
        and p.style == "vn_moto"
        and p.label == render_view(only_moto, i)[1]
        for i in range(only_moto.count)
    )
    clutter = Recipe(4, 30, faces, negatives=0.5)
    for i in range(clutter.count):
        plate = sample_plate(clutter, i)
        assert (plate.label if plate else "") == render_view(clutter, i)[1]
    assert any(sample_plate(clutter, i) is None for i in range(clutter.count))


def test_exact_share_split_by_rows() -> None:
    cell = score(["75A12345", "X", "29N955259"], ["75A12345", "AB123", "29N955259"], [1, 1, 2])
    assert cell["all"] == {"n": 3, "exact": 2 / 3}
    assert cell["one_row"] == {"n": 2, "exact": 0.5}
    assert cell["two_row"] == {"n": 1, "exact": 1.0}
    assert score(["A"], ["A"], [1])["two_row"] == {"n": 0, "exact": None}


def test_the_smallest_reliable_height_needs_every_larger_height_to_hold_too() -> None:
    # 12 px reads 96 % but 14 px only 90 %: a camera placed for 12 px is not reliable.
    cells = {8.0: 0.5, 12.0: 0.96, 14.0: 0.90, 20.0: 0.97, 32.0: 0.99}
    assert smallest_reliable(cells, 0.95) == 20.0
    assert smallest_reliable(cells, 0.80) == 12.0
    assert smallest_reliable({8.0: 0.5, 32.0: 0.7}, 0.8) is None


def test_the_table_has_a_row_per_height_and_a_line_per_target() -> None:
    def result(camera: str, px: float, exact: float) -> dict[str, object]:
        half = {"n": 1, "exact": exact}
        return {"camera": camera, "px": px, "ocr": "crnn", "all": half, "one_row": half,
                "two_row": {"n": 0, "exact": None}}  # fmt: skip

    table = markdown([result("cheap", 8, 0.5), result("plain", 8, 0.9), result("plain", 20, 1.0)])
    lines = table.splitlines()
    assert lines[0] == "| char px | plain, crnn (1-row / 2-row) | cheap, crnn (1-row / 2-row) |"
    assert lines[2] == "| 8 | **90%** (90% / –) | **50%** (50% / –) |"
    assert lines[3] == "| 20 | **100%** (100% / –) | – |"
    assert lines[4] == "| ≥ 95% from | ≥ 20 px | none measured |"
    assert lines[5] == "| ≥ 80% from | ≥ 8 px | none measured |"


@pytest.mark.models
def test_the_bench_runs_end_to_end_and_records_its_machine_and_model(tmp_path: Path) -> None:
    from bench.plate_distance import main

    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))
    out = tmp_path / "distance.json"
    assert main(["--px", "12,28", "--plates", "6", "--ocr", "crnn", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["machine"]["cores"] and report["recogniser"]["sha256"]
    cells = {(r["camera"], r["px"]) for r in report["results"]}
    assert cells == {("plain", 12.0), ("plain", 28.0), ("cheap", 12.0), ("cheap", 28.0)}
    assert all(r["all"]["n"] == 6 and r["ocr"] == "crnn" for r in report["results"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--px", "12,far"], "not a comma-separated list of numbers"),
        (["--px", "0"], "heights must be positive"),
        (["--plates", "0"], "--plates must be at least 1"),
        (["--model", "no/such.onnx"], "no/such.onnx: no such file"),
    ],
)
def test_bad_arguments_are_named(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.plate_distance import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
