"""Train the plate recogniser on rendered plates and export it to ONNX with its card.

    make train-plates                                      # the shipped recipe: eleven stages
    python -m plate_reader.training.train --train-fonts 15 --steps 2000 \
        --out out/train/plate_crnn-base.onnx
    python -m plate_reader.training.train --init out/train/checkpoint-plate_crnn-base-seed7.pt \
        --extra-seed 8 --extra-samples 120000 --jitter 0.5 --lr 0.0015 --steps 1600 \
        --train-fonts 15 --out out/train/plate_crnn-tune.onnx
    python -m plate_reader.training.train --init plate_reader/models/plate_crnn.onnx \
        --refine 2 --context 1 ...                         # grow the network, then fine-tune
    python -m plate_reader.training.train --init plate_reader/models/plate_crnn.onnx \
        --channels 24,64,96,128,160 ...                    # widen it, then fine-tune
    python -m plate_reader.training.train --device cuda ...   # the same on a GPU
    python -m plate_reader.training.train --precision bf16 ... # bfloat16 autocast (AMX CPUs, GPUs)
    python -m plate_reader.training.train --replay-extra out/train/plate_crnn-wide.json ...
                                                           # add earlier stages' sets again
    python -m plate_reader.training.train --train-samples 512 --val-samples 128 --steps 20 \
        --out /tmp/smoke.onnx                              # a smoke run

The shipped model has eleven stages (``plate_reader/models/MODEL_CARD.md``, the Makefile's
``PLATE_*`` recipes): a base run on the first rendered set; a fine-tune from its weights
(``--init``) on that set plus a second one drawn with true glyph sizes and some distant-camera
degradation (``--extra-*``), each batch jittered (``--jitter``); a second fine-tune with a third
set carrying emblems between character groups and more degradation; a third, started from
that stage's ONNX export (``--init model.onnx``: any exported recogniser, the shipped one too),
with printed backdrops and embossed characters; and a fourth from that export with both sets
drawn in two more faces (other glyph forms, ``fonts.TRAIN_FONTS``; the first four stages keep
their fifteen with ``--train-fonts 15``); then two from those exports drawing every set in 60
and 94 faces (Fontsource's, ``training.fontsource``); then two in a wider network
(``--channels``: the new channels start unused, ``onnx_weights.widen_state``), one with a set
drawn as a distant camera sees plates (``--extra-max-char-px``), one in 124 faces; a third
distance stage in 124 faces; and a long one in bfloat16 (``--precision bf16``) on a fresh set
with the three wide stages' sets drawn again (``--replay-extra``). The card records the chain of
stages and every sample seen. ``--refine`` and ``--context`` grow the
network by residual layers that start as the identity (``model.PlateCRNN``); measured, not
shipped (docs/BENCHMARKS.md).

Resumable: a checkpoint (model, optimiser, schedule, step) is written every ``--checkpoint-every``
steps next to the rendered data; running the same command again continues from it. The seed
fixes the rendered data, the initial weights and the batch order.

Validation is rendered with another seed and fonts the training never saw
(``fonts.HELD_OUT_FONTS``); the real photos of ``../shared/data`` are never used here.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from plate_reader.recogniser import ALPHABET, DEFAULT_MODEL, INPUT_HEIGHT, INPUT_WIDTH, standardise
from plate_reader.training import fonts as font_sets
from plate_reader.training.dataset import Recipe, fonts_as_strings, render_set
from plate_reader.training.jitter import jitter_batch

log = logging.getLogger(__name__)

CHAR_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}


@dataclass
class Config:
    seed: int = 7
    val_seed: int = 1001
    train_samples: int = 120_000
    val_samples: int = 3_000
    steps: int = 1_400
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    device: str = "cpu"
    threads: int = 2
    workers: int = 2
    cache: str = "out/train"
    out: str = str(DEFAULT_MODEL)
    checkpoint_every: int = 200
    eval_every: int = 500
    # Fine-tuning: start from another run's checkpoint (its weights only), add a second rendered
    # set (drawn with ``extra_seed`` by today's generator) and jitter each batch.
    init: str = ""
    extra_seed: int = 0
    extra_samples: int = 0
    extra_min_char_px: float = 7.0
    # The largest character height drawn (most are drawn between the two, the rest at this);
    # a distance stage keeps it small, so its set is what a distant camera sees.
    extra_max_char_px: float = 40.0
    extra_degraded_share: float = 0.25
    extra_gap_marks: float = 0.0  # share of one-row plates with an emblem between the groups
    extra_backdrops: float = 0.0  # share of US and generic plates with a printed picture behind
    extra_emboss: float = 0.0  # share of plates with embossed characters
    jitter: float = 0.0  # share of each batch moved and noised (``jitter.jitter_batch``)
    # Growing the network (``model.PlateCRNN``): residual conv pairs on the feature grid and
    # residual BiGRU context layers, both the identity when added to ``init``'s weights.
    refine: int = 0
    context: int = 0
    # The five feature stages' widths ("24,48,64,64,96"); empty: the shipped network's. Wider
    # than ``init``'s, the new channels start unused (``onnx_weights.widen_state``).
    channels: str = ""
    # The first N of ``fonts.TRAIN_FONTS`` (0: all), so an earlier stage's recipe renders what
    # it did before faces were added.
    train_fonts: int = 0
    # Rehearsal: earlier stages' cards (comma-separated ``.json`` paths) whose extra sets are
    # drawn again (same recipe, seed and faces; from the cache when there) and added to this
    # stage's data, so a long stage keeps what the earlier ones taught.
    replay_extra: str = ""
    # "bf16": the forward pass under bfloat16 autocast (CTC loss and the weights stay float32).
    # About 2.8x faster on CPUs with AMX (measured: 140 -> 390 samples/s on a 2-core Xeon) and on
    # GPUs; slower on CPUs without bf16 units. Validation and the export are always float32.
    precision: str = "fp32"


PRECISIONS = ("fp32", "bf16")


class CardError(ValueError):
    """A ``--replay-extra`` card that cannot be replayed: not a card, or no extra set in it."""


# Settings that change how a run executes, not what it computes: a checkpoint made with other
# values still resumes (``steps`` too: the schedule is re-laid over the new length).
_RUNTIME = frozenset(
    {"steps", "device", "threads", "workers", "checkpoint_every", "eval_every", "out", "precision"}
)


def encode(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """CTC targets: concatenated class indices and per-sample lengths."""
    flat = [CHAR_INDEX[ch] for label in labels for ch in label]
    return np.array(flat, np.int64), np.array([len(label) for label in labels], np.int64)


def evaluate(model: object, images: np.ndarray, labels: list[str], device: str) -> dict[str, float]:
    """Exact match and character error rate of greedy decoding on a rendered set."""
    import torch

    from plate_reader.recogniser import ctc_decode

    model.eval()  # type: ignore[attr-defined]
    texts: list[str] = []
    with torch.no_grad():
        for start in range(0, len(images), 256):
            x = torch.from_numpy(standardise(images[start : start + 256])[:, None]).to(device)
            probs = torch.softmax(model(x), dim=-1).cpu().numpy()  # type: ignore[operator]
            texts += [ctc_decode(p).text for p in probs]
    model.train()  # type: ignore[attr-defined]
    return exact_and_cer(texts, labels)


def exact_and_cer(texts: list[str], labels: list[str]) -> dict[str, float]:
    """Exact match and character error rate of decoded ``texts`` against ``labels``."""
    exact = sum(text == truth for text, truth in zip(texts, labels, strict=True))
    edits = sum(levenshtein(text, truth) for text, truth in zip(texts, labels, strict=True))
    chars = sum(max(1, len(truth)) for truth in labels)
    return {"exact": exact / max(1, len(labels)), "cer": edits / max(1, chars)}


def validation_recipe(cfg: Config, fonts: tuple[str, ...]) -> Recipe:
    """The set a stage's card reports on: its seed and size, the held-out ``fonts``, set A's
    character sizes (at least 12 px)."""
    return Recipe(cfg.val_seed, cfg.val_samples, fonts, min_char_px=12.0)


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def history_loss(history: list[dict[str, float]], at: int) -> float:
    return float(history[at]["loss"]) if history else float("nan")


def export_onnx(model: object, path: Path) -> None:
    model.eval()  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated but exports the GRU cleanly (the dynamo one
        # needs onnxscript); the GRU batch warning does not apply: no initial state is passed,
        # and the tests run the export at batch sizes other than 1.
        warnings.simplefilter("ignore")
        _export(model, path)


def _export(model: object, path: Path) -> None:
    import torch

    from plate_reader.training.model import Exported, dummy_input

    torch.onnx.export(
        Exported(model).cpu(),  # type: ignore[arg-type]
        (dummy_input(1),),
        str(path),
        input_names=["image"],
        output_names=["probs"],
        dynamic_axes={"image": {0: "batch"}, "probs": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def extra_recipe(cfg: Config, fonts: tuple[str, ...]) -> Recipe:
    """A fine-tuning set: true glyph sizes, some distant-camera degradation, emblems, art."""
    return Recipe(
        cfg.extra_seed,
        cfg.extra_samples,
        fonts,
        min_char_px=cfg.extra_min_char_px,
        max_char_px=cfg.extra_max_char_px,
        degraded_share=cfg.extra_degraded_share,
        true_glyph_px=True,
        gap_marks=cfg.extra_gap_marks,
        backdrops=cfg.extra_backdrops,
        emboss=cfg.extra_emboss,
    )


def training_faces(cfg: Config) -> tuple[str, ...]:
    """The faces a stage draws its sets in: the first ``train_fonts`` of ``fonts.TRAIN_FONTS``,
    every one installed or a clear error (a run would otherwise train on a few faces and say
    nothing)."""
    names = font_sets.TRAIN_FONTS[: cfg.train_fonts or None]
    return fonts_as_strings(font_sets.require(names, minimum=len(names)))


def replayed_recipes(cfg: Config) -> list[tuple[str, Recipe]]:
    """The extra sets of the stages named by ``cfg.replay_extra``, each as its card recorded it
    (recipe, seed, and the faces that stage drew in), paired with the card's path."""
    replayed = []
    for spec in filter(None, (part.strip() for part in cfg.replay_extra.split(","))):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"--replay-extra {path}: no such card (train that stage first)")
        try:
            training = json.loads(path.read_text())["training"]
            known = {k: v for k, v in training.items() if k in Config.__dataclass_fields__}
            stage = Config(**known)
        except (ValueError, KeyError, TypeError) as error:
            raise CardError(f"--replay-extra {path}: not a training card ({error})") from None
        if not stage.extra_seed or not stage.extra_samples:
            raise CardError(f"--replay-extra {path}: that stage drew no extra set")
        replayed.append((_repo_relative(path), extra_recipe(stage, training_faces(stage))))
    return replayed


def _repo_relative(path: Path) -> str:
    """``path`` as the card records it: relative to the repository when inside it."""
    root = Path(__file__).resolve().parents[2]
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def load_initial_weights(model: object, cfg: Config, device: str) -> dict[str, Any] | None:
    """Start from ``cfg.init``'s weights (not its optimiser); what they came from, for the card.

    ``cfg.init`` is a checkpoint of an earlier stage, or an exported recogniser (``.onnx``, e.g.
    the shipped one) when no checkpoint is left: its batch norms then stay on their stored
    statistics (``onnx_weights``), as they do in any later stage started from this one."""
    if not cfg.init:
        return None
    import torch

    from plate_reader.training import onnx_weights

    path = Path(cfg.init)
    if not path.is_file():
        raise FileNotFoundError(f"--init {path}: no such checkpoint (train that stage first)")
    if path.suffix == ".onnx":
        return _initial_weights_from_onnx(model, path)
    state = torch.load(path, map_location=device, weights_only=False)
    if state.get("frozen_batch_norms"):
        onnx_weights.freeze_batch_norms(model)
    model.load_state_dict(state["model"])  # type: ignore[attr-defined]
    source = state.get("config", {})
    log.info("initial weights from %s (step %d)", path, state.get("step", 0))
    own_samples = int(state.get("step", 0)) * int(source.get("batch", cfg.batch))
    return {
        "checkpoint": path.name,
        "step": int(state.get("step", 0)),
        "seed": source.get("seed"),
        "train_samples": source.get("train_samples"),
        # Cumulative over the stages it came from; checkpoints written before this was saved
        # count only their own steps.
        "samples_seen": int(state.get("samples_seen", own_samples)),
        "validation": (state.get("history") or [{}])[-1],
        "initial_weights": state.get("initial_weights"),
        "frozen_batch_norms": bool(state.get("frozen_batch_norms")),
    }


def parse_channels(spec: str) -> tuple[int, int, int, int, int]:
    """``--channels`` ("16,32,48,64,96") as the network's five stage widths; empty: the
    default network's."""
    from plate_reader.training.model import DEFAULT_CHANNELS

    if not spec.strip():
        return DEFAULT_CHANNELS
    wrong = ValueError(f"--channels {spec!r}: five positive widths, e.g. 16,32,48,64,96")
    try:
        c1, c2, c3, c4, c5 = (int(part) for part in spec.split(","))
    except ValueError:  # not five, or not numbers
        raise wrong from None
    if min(c1, c2, c3, c4, c5) < 1:
        raise wrong
    return (c1, c2, c3, c4, c5)


def _initial_weights_from_onnx(model: Any, path: Path) -> dict[str, Any]:
    """An exported recogniser's weights, and what its card (the ``.json`` beside it) says. A
    model with wider feature stages than the file gets them widened (``widen_state``)."""
    from plate_reader.training import onnx_weights
    from plate_reader.training.model import PlateCRNN

    stored = onnx_weights.feature_channels(path)
    if stored == tuple(model.channels):
        model.load_state_dict(onnx_weights.state_dict_from_onnx(path, model))
    else:
        narrow = PlateCRNN(channels=stored, refine=len(model.refine), context=len(model.context))
        narrow.load_state_dict(onnx_weights.state_dict_from_onnx(path, narrow))
        model.load_state_dict(onnx_weights.widen_state(narrow.state_dict(), model))
        log.info("widened %s's feature stages from %s to %s", path, stored, model.channels)
    onnx_weights.freeze_batch_norms(model)
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    training = card.get("training", {})
    log.info("initial weights from the exported %s (batch norms on stored statistics)", path)
    return {
        "onnx": path.name,
        "seed": training.get("seed"),
        "samples_seen": int(training.get("samples_seen", 0)),
        "validation": {
            k: v for k, v in card.get("validation", {}).items() if k in ("step", "exact", "cer")
        },
        "initial_weights": training.get("initial_weights"),
        "frozen_batch_norms": True,
    }


def train(cfg: Config) -> dict[str, object]:
    import torch

    from plate_reader.training.model import PlateCRNN, describe

    if cfg.precision not in PRECISIONS:  # else autocast would quietly stay off
        raise ValueError(f"precision {cfg.precision!r}: one of {', '.join(PRECISIONS)}")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    cache = Path(cfg.cache)

    train_fonts = training_faces(cfg)
    val_fonts = fonts_as_strings(font_sets.require_held_out())
    val_recipe = validation_recipe(cfg, val_fonts)
    replayed = replayed_recipes(cfg)  # a wrong card is named before minutes of rendering
    t0 = time.time()
    recipes = [Recipe(cfg.seed, cfg.train_samples, train_fonts)]
    if cfg.extra_samples:
        recipes.append(extra_recipe(cfg, train_fonts))
    recipes += [recipe for _, recipe in replayed]
    # One concatenation at the end: joining set by set would copy the growing array (GBs) again
    # for every set added.
    parts, labels = [], []
    for recipe in recipes:
        more, more_labels = render_set(recipe, cache, cfg.workers)
        parts.append(more)
        labels += more_labels
    images = np.concatenate(parts)
    val_images, val_labels = render_set(val_recipe, cache, cfg.workers)
    log.info("data: %d train, %d val in %.0f s", len(images), len(val_images), time.time() - t0)
    targets = [encode([label]) for label in labels]

    model = PlateCRNN(
        channels=parse_channels(cfg.channels), refine=cfg.refine, context=cfg.context
    ).to(device)
    initial = load_initial_weights(model, cfg, device)
    seen_before = int(initial["samples_seen"]) if initial else 0
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.15
    )
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    # Named by the recipe (not the step count) so a run can be lengthened or shortened.
    checkpoint = cache / f"checkpoint-{Path(cfg.out).stem}-seed{cfg.seed}.pt"
    step = 0
    history: list[dict[str, float]] = []
    resumed_from: dict[str, int] | None = None
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        wanted = {k: v for k, v in asdict(cfg).items() if k not in _RUNTIME}
        # Fields added since the checkpoint was written count as their defaults.
        saved_config, fresh = state.get("config", {}), asdict(Config())
        saved = {k: saved_config.get(k, fresh[k]) for k in wanted}
        if saved == wanted and state["step"] <= cfg.steps:
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            step, history = state["step"], state["history"]
            if state["config"]["steps"] == cfg.steps:
                schedule.load_state_dict(state["schedule"])
            else:
                # A run lengthened or shortened: the same one-cycle shape over the new length,
                # continued from the saved step (the card records both lengths).
                resumed_from = {"step": step, "steps": state["config"]["steps"]}
                for _ in range(step):
                    schedule.step()
            log.info("resumed from %s at step %d", checkpoint, step)
        else:
            log.info("checkpoint %s is for another configuration: starting afresh", checkpoint)

    order_rng = np.random.default_rng(cfg.seed)
    order = np.concatenate(
        [
            order_rng.permutation(len(images))
            for _ in range(cfg.steps * cfg.batch // max(1, len(images)) + 1)
        ]
    )
    started, losses = time.time(), []
    autocast = torch.autocast(
        "cuda" if str(device).startswith("cuda") else "cpu",
        dtype=torch.bfloat16,
        enabled=cfg.precision == "bf16",
    )
    model.train()
    while step < cfg.steps:
        idx = order[step * cfg.batch : (step + 1) * cfg.batch]
        x = torch.from_numpy(standardise(images[idx])[:, None]).to(device)
        if cfg.jitter:
            # Seeded by the step, so a resumed run jitters exactly as an uninterrupted one.
            x = jitter_batch(
                x, torch.Generator().manual_seed(cfg.seed * 1_000_003 + step), cfg.jitter
            )
        flat = np.concatenate([targets[i][0] for i in idx])
        lengths = np.concatenate([targets[i][1] for i in idx])
        with autocast:
            logits = model(x)  # N, T, C
        log_probs = logits.float().log_softmax(-1).permute(1, 0, 2)
        loss = ctc(
            log_probs,
            torch.from_numpy(flat).to(device),
            torch.full((len(idx),), logits.shape[1], dtype=torch.long),
            torch.from_numpy(lengths),
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            rate = 50 * cfg.batch / max(1e-6, time.time() - started)
            log.info(
                "step %d/%d loss %.3f lr %.5f %.0f samples/s",
                step,
                cfg.steps,
                float(np.mean(losses[-50:])),
                schedule.get_last_lr()[0],
                rate,
            )
            started = time.time()
        if step % cfg.eval_every == 0 or step == cfg.steps:
            figures = evaluate(model, val_images, val_labels, device)
            history.append({"step": step, "loss": float(np.mean(losses[-50:])), **figures})
            log.info(
                "step %d validation exact %.3f cer %.4f", step, figures["exact"], figures["cer"]
            )
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step,
                    "history": history,
                    "config": asdict(cfg),
                    "samples_seen": step * cfg.batch + seen_before,
                    "initial_weights": initial,
                    "frozen_batch_norms": bool(initial and initial["frozen_batch_norms"]),
                },
                checkpoint,
            )

    out = Path(cfg.out)
    export_onnx(model.cpu(), out)
    card: dict[str, object] = {
        "model": out.stem,
        "architecture": describe(model),
        "input": {
            "height": INPUT_HEIGHT,
            "width": INPUT_WIDTH,
            "channels": "grey",
            "normalisation": "per-image zero mean, spread max(std, 8)",
        },
        "alphabet": ALPHABET,
        "training": {
            **asdict(cfg),
            "resumed_with_other_length": resumed_from,
            "initial_weights": initial,
            "fonts": [Path(f).name for f in train_fonts],
            "out": _repo_relative(out),
            "samples_seen": cfg.steps * cfg.batch + seen_before,
            "replayed_sets": [
                {
                    "card": card_path,
                    "seed": recipe.seed,
                    "samples": recipe.count,
                    "faces": len(recipe.fonts),
                    "key": recipe.key(),
                }
                for card_path, recipe in replayed
            ],
        },
        "validation": {
            "seed": cfg.val_seed,
            "samples": cfg.val_samples,
            "fonts": [Path(f).name for f in val_recipe.fonts],
            "min_char_px": val_recipe.min_char_px,
            **(history[-1] if history else {}),
        },
        "history": history,
        "loss_start": float(np.mean(losses[:5])) if losses else history_loss(history, 0),
        "loss_end": float(np.mean(losses[-5:])) if losses else history_loss(history, -1),
        "real_data": "none: trained on rendered plates only; ../shared/data is never used",
        "licence": "AGPL-3.0-only (the project's licence); fonts used only to render training data",
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    log.info("wrote %s and its card", out)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = Config()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = Config(**{k: getattr(args, k) for k in asdict(defaults)})
    try:
        parse_channels(cfg.channels)
    except ValueError as error:  # before minutes of rendering, not after
        parser.error(str(error))
    if cfg.precision not in PRECISIONS:
        parser.error(f"--precision {cfg.precision!r}: one of {', '.join(PRECISIONS)}")
    try:
        train(cfg)
    except (FileNotFoundError, CardError) as error:  # fonts or a stage missing, a bad card
        parser.exit(2, f"error: {error}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
