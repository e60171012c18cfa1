"""Training smoke test: a few steps on a tiny rendered set lower the loss, and the ONNX export
runs on onnxruntime through the same ``PlateRecogniser`` the pipeline uses. Trains nothing
heavy (seconds on 2 cores)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from plate_reader.training import fonts
from tests.plate_reader.fonts import plate_fonts

pytestmark = pytest.mark.models


def test_rendered_texts_follow_the_real_layouts() -> None:
    from plate_reader.formats import get_profile
    from plate_reader.training.texts import vn_car, vn_moto

    vn = get_profile("vn")
    rng = random.Random(0)
    for _ in range(300):
        for plate in (vn_car(rng), vn_moto(rng)):
            assert plate.label == "".join(c for c in "".join(plate.rows) if c.isalnum())
            assert plate.label.isascii() and plate.label.isalnum()
    cars = [vn_car(rng) for _ in range(300)]
    assert all(vn.is_valid(p.label) for p in cars)
    assert {len(p.rows) for p in cars} == {1, 2}
    # Motorbikes: two rows; the usual DD-LD series over DDD.DD / DDDD is a valid VN plate.
    bikes = [vn_moto(rng) for _ in range(300)]
    assert all(len(p.rows) == 2 for p in bikes)
    assert all(vn.is_valid(p.label) for p in bikes if p.label[3].isdigit())


def test_rendered_sets_are_deterministic(tmp_path: Path) -> None:
    from plate_reader.training.dataset import Recipe, fonts_as_strings, render_set

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    recipe = Recipe(seed=5, count=40, fonts=faces)
    a_images, a_labels = render_set(recipe, None, workers=1)
    b_images, b_labels = render_set(recipe, tmp_path, workers=2)  # other process count, cached
    assert a_labels == b_labels and np.array_equal(a_images, b_images)
    c_images, c_labels = render_set(recipe, tmp_path, workers=1)  # from the cache
    assert c_labels == a_labels and np.array_equal(c_images, a_images)
    assert a_images.shape == (40, 64, 128) and a_images.dtype == np.uint8
    assert any(label == "" for label in render_set(Recipe(6, 200, faces), None, 1)[1])


def test_a_few_steps_lower_the_loss_and_the_export_loads(tmp_path: Path) -> None:
    from plate_reader.recogniser import PlateRecogniser
    from plate_reader.training.train import Config, train

    plate_fonts(fonts.TRAIN_FONTS)
    out = tmp_path / "tiny.onnx"
    cfg = Config(
        train_samples=96,
        val_samples=32,
        steps=40,
        batch=32,
        lr=3e-3,
        workers=1,
        cache=str(tmp_path),
        out=str(out),
        eval_every=40,
        checkpoint_every=20,
    )
    card = train(cfg)
    assert card["loss_start"] > card["loss_end"] * 1.3, card["history"]
    assert out.is_file() and out.with_suffix(".json").is_file()
    recogniser = PlateRecogniser(out)
    crops = [np.full((40, 160, 3), 200, np.uint8), np.zeros((0, 0, 3), np.uint8)]
    results = recogniser.predict_many(crops)
    assert len(results) == 2 and results[1] is None
    # Resuming with the same configuration starts from the saved step, not afresh.
    again = train(cfg)
    assert again["history"] == card["history"]
