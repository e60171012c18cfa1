"""Training smoke test: a few steps on a tiny rendered set lower the loss, and the ONNX export
runs on onnxruntime through the same ``PlateRecogniser`` the pipeline uses. Trains nothing
heavy (seconds on 2 cores)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

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


def _tiny(tmp_path: Path, out: str, steps: int, **more: Any) -> Any:
    """A tiny training configuration: 96 rendered plates, batch 32, cached in ``tmp_path``."""
    from plate_reader.training.train import Config

    settings: dict[str, Any] = {"lr": 1e-3, "eval_every": steps, **more}
    return Config(
        train_samples=96,
        val_samples=32,
        steps=steps,
        batch=32,
        workers=1,
        cache=str(tmp_path),
        out=str(tmp_path / out),
        **settings,
    )


def test_a_few_steps_lower_the_loss_and_the_export_loads(tmp_path: Path) -> None:
    from plate_reader.recogniser import PlateRecogniser
    from plate_reader.training.train import train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))  # the validation's
    out = tmp_path / "tiny.onnx"
    cfg = _tiny(tmp_path, "tiny.onnx", 40, lr=3e-3, checkpoint_every=20)
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
    # A fine-tuning stage starts from those weights (its first loss is the trained one, not a
    # fresh network's), adds a second rendered set and jitters batches; the card says so.
    tuned = train(
        _tiny(
            tmp_path,
            "tuned.onnx",
            6,
            init=str(tmp_path / "checkpoint-tiny-seed7.pt"),
            extra_seed=9,
            extra_samples=32,
            jitter=0.5,
        )
    )
    training = tuned["training"]
    assert isinstance(training, dict) and training["initial_weights"]["step"] == 40
    assert tuned["loss_start"] < card["loss_start"] / 1.3
    assert training["samples_seen"] == 6 * 32 + 40 * 32
    # A third stage from the second counts every stage's samples and names the whole chain.
    tuned_checkpoint = str(tmp_path / "checkpoint-tuned-seed7.pt")
    third = train(_tiny(tmp_path, "third.onnx", 4, init=tuned_checkpoint))
    chain = third["training"]
    assert isinstance(chain, dict) and chain["samples_seen"] == 4 * 32 + 6 * 32 + 40 * 32
    assert chain["initial_weights"]["checkpoint"] == "checkpoint-tuned-seed7.pt"
    assert chain["initial_weights"]["initial_weights"]["checkpoint"] == "checkpoint-tiny-seed7.pt"
    # With no checkpoint left, a stage starts from the exported model and its card: the trained
    # loss, not a fresh network's, and the chain read from the card.
    from_onnx = train(_tiny(tmp_path, "from-onnx.onnx", 4, init=str(tmp_path / "third.onnx")))
    stage = from_onnx["training"]
    assert isinstance(stage, dict) and stage["samples_seen"] == 4 * 32 + chain["samples_seen"]
    initial = stage["initial_weights"]
    assert initial["onnx"] == "third.onnx" and initial["frozen_batch_norms"] is True
    assert initial["initial_weights"]["checkpoint"] == "checkpoint-tuned-seed7.pt"
    assert from_onnx["loss_start"] < card["loss_start"] / 1.3
    # A stage may grow the network (residual extensions that start as the identity): it starts
    # from the exported model's loss too, its card names the grown architecture, it loads in
    # the runtime, and a later stage reads all of its weights back.
    grown = train(
        _tiny(tmp_path, "grown.onnx", 4, init=str(tmp_path / "third.onnx"), refine=1, context=1)
    )
    assert "residual" in str(grown["architecture"])
    assert grown["loss_start"] < card["loss_start"] / 1.3
    assert PlateRecogniser(tmp_path / "grown.onnx").predict_many(crops)[1] is None
    again_grown = train(
        _tiny(tmp_path, "regrown.onnx", 2, init=str(tmp_path / "grown.onnx"), refine=1, context=1)
    )
    assert again_grown["loss_start"] < card["loss_start"] / 1.3


def test_a_stage_replays_earlier_stages_sets_in_bfloat16(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``--replay-extra`` adds the extra set an earlier stage's card records (its recipe, seed
    and faces, from the cache) to a stage's data; ``--precision bf16`` still trains."""
    import logging

    from plate_reader.recogniser import PlateRecogniser
    from plate_reader.training.dataset import fonts_as_strings
    from plate_reader.training.train import extra_recipe, train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))
    first = _tiny(tmp_path, "first.onnx", 2, extra_seed=9, extra_samples=32, extra_max_char_px=14)
    train(first)
    caplog.set_level(logging.INFO, logger="plate_reader.training.train")
    card = train(
        _tiny(
            tmp_path,
            "replay.onnx",
            30,
            lr=3e-3,
            precision="bf16",
            replay_extra=str(tmp_path / "first.json"),
        )
    )
    assert "data: 128 train" in caplog.text  # 96 of its own, 32 replayed
    training = card["training"]
    assert isinstance(training, dict) and training["precision"] == "bf16"
    faces = fonts.TRAIN_FONTS
    assert training["replayed_sets"] == [
        {
            "card": str(tmp_path / "first.json"),
            "seed": 9,
            "samples": 32,
            "faces": len(faces),
            "key": extra_recipe(first, fonts_as_strings(plate_fonts(faces))).key(),
        }
    ]
    assert card["loss_start"] > card["loss_end"] * 1.3, card["history"]
    crops = [np.full((40, 160, 3), 200, np.uint8), np.zeros((0, 0, 3), np.uint8)]
    results = PlateRecogniser(tmp_path / "replay.onnx").predict_many(crops)
    assert len(results) == 2 and results[1] is None  # the export is float32 and loads


def test_a_card_that_cannot_be_replayed_and_an_unknown_precision_are_named(tmp_path: Path) -> None:
    from plate_reader.training.train import CardError, train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))
    with pytest.raises(FileNotFoundError, match=r"gone\.json"):
        train(_tiny(tmp_path, "m.onnx", 1, replay_extra=str(tmp_path / "gone.json")))
    (tmp_path / "notes.json").write_text('{"model": "x"}')
    with pytest.raises(CardError, match=r"notes\.json: not a training card"):
        train(_tiny(tmp_path, "m.onnx", 1, replay_extra=str(tmp_path / "notes.json")))
    (tmp_path / "base.json").write_text('{"training": {"seed": 7, "extra_samples": 0}}')
    with pytest.raises(CardError, match=r"base\.json: that stage drew no extra set"):
        train(_tiny(tmp_path, "m.onnx", 1, replay_extra=str(tmp_path / "base.json")))
    with pytest.raises(ValueError, match=r"precision 'fp16': one of fp32, bf16"):
        train(_tiny(tmp_path, "m.onnx", 1, precision="fp16"))


def test_a_missing_initial_checkpoint_is_named(tmp_path: Path) -> None:
    from plate_reader.training.train import train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))  # the validation's
    with pytest.raises(FileNotFoundError, match=r"nope\.pt"):
        train(_tiny(tmp_path, "m.onnx", 1, init=str(tmp_path / "nope.pt")))


def test_batch_jitter_moves_only_its_share_and_repeats_with_its_seed() -> None:
    import torch

    from plate_reader.training.jitter import jitter_batch

    x = torch.randn(64, 1, 64, 128)
    same = jitter_batch(x, torch.Generator().manual_seed(1), share=0.0)
    assert torch.equal(same, x)
    a = jitter_batch(x, torch.Generator().manual_seed(1), share=0.5)
    b = jitter_batch(x, torch.Generator().manual_seed(1), share=0.5)
    assert a.shape == x.shape and torch.equal(a, b)
    moved = [not torch.equal(a[i], x[i]) for i in range(64)]
    assert 16 <= sum(moved) <= 48  # about half, not all and not none


def test_character_sizes_are_the_glyphs_own_on_two_row_plates() -> None:
    from plate_reader.training.dataset import Recipe, fonts_as_strings, render_view

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    # Fields added later leave older recipes' cache keys (and so their data) as they were.
    assert Recipe(5, 40, faces).key() == Recipe(5, 40, faces, degraded_share=0.0).key()
    assert Recipe(5, 40, faces).key() != Recipe(5, 40, faces, true_glyph_px=True).key()
    old = Recipe(3, 12, faces, min_char_px=14, max_char_px=14, negatives=0.0, styles=("vn_moto",))
    new = Recipe(**{**old.__dict__, "true_glyph_px": True})
    old_h = np.median([render_view(old, i)[0].shape[0] for i in range(old.count)])
    new_h = np.median([render_view(new, i)[0].shape[0] for i in range(new.count)])
    # Sized as one row, a two-row plate's 14 px were its whole height's 0.6: ~0.35/0.6 smaller.
    assert new_h > 1.4 * old_h


def test_a_distance_stage_draws_its_set_as_a_distant_camera_sees_it() -> None:
    from plate_reader.training.dataset import Recipe, fonts_as_strings, render_view
    from plate_reader.training.train import Config, extra_recipe

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    usual = extra_recipe(Config(extra_seed=3, extra_samples=24), faces)
    far = extra_recipe(
        Config(extra_seed=3, extra_samples=24, extra_min_char_px=6, extra_max_char_px=12), faces
    )
    # The option's default is the recipe's own, so the earlier stages' sets keep their keys.
    assert usual.max_char_px == Recipe(3, 24, faces).max_char_px
    assert far.max_char_px == 12 and far.key() != usual.key()
    usual_h = np.median([render_view(usual, i)[0].shape[0] for i in range(usual.count)])
    far_h = np.median([render_view(far, i)[0].shape[0] for i in range(far.count)])
    assert far_h < 0.6 * usual_h


def test_marks_between_groups_only_where_real_plates_carry_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plate_reader.training import render
    from plate_reader.training.dataset import Recipe, fonts_as_strings
    from plate_reader.training.texts import PlateText

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    assert Recipe(5, 40, faces).key() == Recipe(5, 40, faces, gap_marks=0.0).key()
    assert Recipe(5, 40, faces).key() != Recipe(5, 40, faces, gap_marks=0.4).key()
    marks: list[tuple[float, float, float, float]] = []
    real_draw = render._draw_mark

    def spy(rng, canvas, box, colours, font):  # type: ignore[no-untyped-def]
        marks.append(box)
        real_draw(rng, canvas, box, colours, font)

    monkeypatch.setattr(render, "_draw_mark", spy)
    font = Path(faces[0])

    def draw(plate: PlateText, share: float, seed: int = 3) -> np.ndarray:
        return render.render_plate(plate, font, random.Random(seed), gap_marks=share)

    # Vietnamese plates carry a dash, not an emblem, and render exactly as without marks.
    for plate in (
        PlateText("75A12345", ("75A-123.45",), "vn_car"),
        PlateText("75B123456", ("75-B1", "234.56"), "vn_moto"),
    ):
        assert np.array_equal(draw(plate, 1.0), draw(plate, 0.0))
    assert marks == []
    # A US plate at share 1: one mark, inside the plate, and the label is untouched.
    us = PlateText("7ABC123", ("7ABC123",), "us")
    image = draw(us, 1.0)
    assert len(marks) == 1
    x1, y1, x2, y2 = marks[0]
    assert 0 < x1 < x2 < image.shape[1] and 0 <= y1 < y2 <= image.shape[0]
    # At share 0 nothing is drawn between the groups.
    draw(us, 0.0)
    assert len(marks) == 1


def test_backdrops_only_behind_us_and_generic_plates_and_emboss_on_any() -> None:
    from plate_reader.training import render
    from plate_reader.training.dataset import Recipe, fonts_as_strings
    from plate_reader.training.texts import PlateText

    faces = fonts_as_strings(plate_fonts(fonts.TRAIN_FONTS))
    plain = Recipe(5, 40, faces)
    assert plain.key() == Recipe(5, 40, faces, backdrops=0.0, emboss=0.0).key()
    assert len({plain.key(), Recipe(5, 40, faces, backdrops=0.5).key()}) == 2
    assert len({plain.key(), Recipe(5, 40, faces, emboss=0.5).key()}) == 2
    font = Path(faces[0])

    def draw(plate: PlateText, **shares: float) -> np.ndarray:
        return render.render_plate(plate, font, random.Random(11), **shares)

    vn = PlateText("75A12345", ("75A-123.45",), "vn_car")
    us = PlateText("7ABC123", ("7ABC123",), "us")
    assert np.array_equal(draw(vn, backdrops=1.0), draw(vn))  # VN plates are plain
    assert not np.array_equal(draw(us, backdrops=1.0), draw(us))
    embossed, flat = draw(vn, emboss=1.0), draw(vn)
    assert embossed.shape == flat.shape and not np.array_equal(embossed, flat)
    # The relief is an edge: most of the plate's pixels are unchanged.
    changed = np.any(embossed != flat, axis=-1).mean()
    assert 0.0 < changed < 0.5


def test_validation_without_every_held_out_font_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn in training fonts instead, the rendered validation reads several points too well:
    the training run and the accuracy bench both refuse, naming the packages to install."""
    from bench.plate_accuracy import run_set
    from plate_reader.training.train import train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    real = fonts.available

    def without_held_out(names: tuple[str, ...], root: Path = fonts._ROOT) -> list[Path]:
        return [] if names == fonts.HELD_OUT_FONTS else real(names, root)

    monkeypatch.setattr(fonts, "available", without_held_out)
    with pytest.raises(FileNotFoundError, match="fonts-noto-core"):
        run_set("rendered", "crnn", tmp_path, None, 4)
    with pytest.raises(FileNotFoundError, match="only 0 of the 4 plate fonts"):
        train(_tiny(tmp_path, "m.onnx", 1))  # never the shipped model, should the check regress


def test_training_without_every_training_font_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run on a machine missing a font package would train on fewer faces and say nothing."""
    from plate_reader.training.train import train

    plate_fonts(fonts.TRAIN_FONTS, minimum=len(fonts.TRAIN_FONTS))
    plate_fonts(fonts.HELD_OUT_FONTS, minimum=len(fonts.HELD_OUT_FONTS))
    real = fonts.available

    def one_missing(names: tuple[str, ...], root: Path = fonts._ROOT) -> list[Path]:
        found = real(names, root)
        return found[:-1] if names == fonts.TRAIN_FONTS else found

    monkeypatch.setattr(fonts, "available", one_missing)
    wanted = len(fonts.TRAIN_FONTS)
    with pytest.raises(FileNotFoundError, match=f"only {wanted - 1} of the {wanted} plate fonts"):
        train(_tiny(tmp_path, "m.onnx", 1))
    # The first stages' recipes need only their own faces.
    card = train(_tiny(tmp_path, "first.onnx", 1, train_fonts=fonts.FIRST_STAGES_FONTS))
    assert len(card["training"]["fonts"]) == fonts.FIRST_STAGES_FONTS  # type: ignore[index]


def test_training_faces_are_only_ever_appended() -> None:
    """``--train-fonts N`` reproduces a stage's faces only while faces are appended, never
    reordered: the shipped model's card lists the first N training faces for a stage's N."""
    import json

    from plate_reader.recogniser import DEFAULT_MODEL

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    used = card["training"]["fonts"]
    stages = (
        fonts.FIRST_STAGES_FONTS,
        fonts.GLYPH_STAGE_FONTS,
        fonts.FACES_STAGE_FONTS,
        fonts.MORE_FACES_STAGE_FONTS,
        fonts.WIDE_FACES_STAGE_FONTS,
    )
    assert len(used) in stages
    assert used == [Path(name).name for name in fonts.TRAIN_FONTS[: len(used)]]
    assert len(set(fonts.TRAIN_FONTS)) == len(fonts.TRAIN_FONTS)
    assert not set(fonts.TRAIN_FONTS) & set(fonts.HELD_OUT_FONTS)


def test_a_font_name_may_ask_for_other_glyph_forms() -> None:
    """``face#features`` draws the same face with OpenType alternates: Inter's flat-topped 3."""
    from plate_reader.training.render import text_image

    flat = fonts.TRAIN_FONTS.index("opentype/inter/Inter-Bold.otf#cv09")
    (face,) = plate_fonts(fonts.TRAIN_FONTS[flat : flat + 1], minimum=1)
    assert fonts.font_features(str(face)) == ("cv09",)
    assert fonts.font_file(str(face)).endswith("Inter-Bold.otf")
    plain = np.asarray(text_image("3", Path(fonts.font_file(str(face)))))
    flat_top = np.asarray(text_image("3", face))
    assert plain.shape != flat_top.shape or (plain != flat_top).mean() > 0.02
    # Other characters keep their form.
    assert np.array_equal(
        np.asarray(text_image("8", face)),
        np.asarray(text_image("8", Path(fonts.font_file(str(face))))),
    )
