"""Average the weights of recognisers fine-tuned from one another (a weight-space ensemble).

Why: a stage fine-tuned from the shipped model gains where its new data looks like the test and
loses elsewhere (the roads stage read US plates better and Vietnamese plates worse). Averaging
the weights of the model it started from and the fine-tuned one is WiSE-FT (Wortsman et al.
2022, "Robust fine-tuning of zero-shot models"; "Model soups", the same year): models of one
lineage lie in one basin, so their mean is a model too, and it held up better than either end
on distribution shifts. It costs nothing at run time: one network, the same size and speed.

The files must be the same network: the same graph, node for node, and initialisers of the same
names, shapes and types. Export folded batch norms into the convolutions, so the mean is taken
in that (exported) parameterisation; the batch norms of a fine-tuned stage stay frozen on their
stored statistics (``onnx_weights.freeze_batch_norms``), which keeps both ends comparable.

    python -m plate_reader.training.soup A.onnx B.onnx --out C.onnx [--weight 0.5]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper


class NotTheSameNetwork(ValueError):
    """The two files cannot be averaged: their graphs or weights differ in kind, not value."""


def _structure(model: onnx.ModelProto) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(n.op_type, tuple(n.input), tuple(n.output)) for n in model.graph.node]


def _load(path: Path) -> onnx.ModelProto:
    if not path.is_file():
        raise NotTheSameNetwork(f"{path}: no such file")
    try:
        return onnx.load(str(path))
    except Exception as exc:  # protobuf's DecodeError and OSError alike
        raise NotTheSameNetwork(f"{path}: not an ONNX model ({exc.__class__.__name__})") from exc


def average(a: onnx.ModelProto, b: onnx.ModelProto, weight_b: float = 0.5) -> onnx.ModelProto:
    """``(1 - weight_b) * a + weight_b * b``, initialiser by initialiser; ``a``'s graph."""
    if not 0.0 <= weight_b <= 1.0:
        raise ValueError(f"weight must lie in [0, 1], got {weight_b}")
    if _structure(a) != _structure(b):
        raise NotTheSameNetwork("the graphs differ (other layers or another export)")
    # Constant nodes hold shapes and axes: they must match exactly, not be averaged.
    consts_a = [n.SerializeToString() for n in a.graph.node if n.op_type == "Constant"]
    consts_b = [n.SerializeToString() for n in b.graph.node if n.op_type == "Constant"]
    if consts_a != consts_b:
        raise NotTheSameNetwork("the graphs' constants differ")
    weights_b = {t.name: t for t in b.graph.initializer}
    if sorted(weights_b) != sorted(t.name for t in a.graph.initializer):
        raise NotTheSameNetwork("the initialisers have different names")
    out = onnx.ModelProto()
    out.CopyFrom(a)
    del out.graph.initializer[:]
    for tensor in a.graph.initializer:
        x, y = numpy_helper.to_array(tensor), numpy_helper.to_array(weights_b[tensor.name])
        if x.shape != y.shape or x.dtype != y.dtype:
            theirs = f"{y.dtype}{list(y.shape)}"
            raise NotTheSameNetwork(
                f"initialiser {tensor.name}: {x.dtype}{list(x.shape)} against {theirs}"
            )
        if np.issubdtype(x.dtype, np.floating):
            mean = ((1.0 - weight_b) * x.astype(np.float64) + weight_b * y).astype(x.dtype)
        elif not np.array_equal(x, y):
            raise NotTheSameNetwork(f"initialiser {tensor.name} is not a weight and differs")
        else:
            mean = x
        out.graph.initializer.append(numpy_helper.from_array(mean, tensor.name))
    onnx.checker.check_model(out)
    return out


def validate(path: Path, workers: int = 2) -> dict[str, float]:
    """Exact match and CER of ``path`` on the training's validation set (its seed, held-out
    faces and size; rendered once and cached under ``out/train``), as a stage's card reports."""
    import onnxruntime as ort

    from plate_reader.recogniser import ctc_decode, standardise
    from plate_reader.training import fonts as font_sets
    from plate_reader.training.dataset import fonts_as_strings, render_set
    from plate_reader.training.train import Config, exact_and_cer, validation_recipe

    cfg = Config()
    recipe = validation_recipe(cfg, fonts_as_strings(font_sets.require_held_out()))
    images, labels = render_set(recipe, Path(cfg.cache), workers)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    texts: list[str] = []
    for start in range(0, len(images), 256):
        batch = standardise(images[start : start + 256])[:, None]
        texts += [ctc_decode(probs).text for probs in session.run(None, {name: batch})[0]]
    return exact_and_cer(texts, labels)


def _card(path: Path) -> dict[str, Any] | None:
    card = path.with_suffix(".json")
    return json.loads(card.read_text()) if card.exists() else None


def soup_files(
    a: Path, b: Path, out: Path, weight_b: float = 0.5, validated: bool = True
) -> dict[str, Any]:
    """Write the average of ``a`` and ``b`` to ``out`` with a card naming both ends (and, when
    ``validated``, the average's own figures on the training's validation set)."""
    model = average(_load(a), _load(b), weight_b)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    card_b = _card(b) or {}
    card: dict[str, Any] = {
        **{k: v for k, v in card_b.items() if k not in ("model", "training", "validation")},
        "model": out.stem,
        "soup": {
            "method": "weight average (WiSE-FT): (1 - w) * a + w * b, exported parameters",
            "weight_b": weight_b,
            "a": {"onnx": a.name, "card": _card(a)},
            "b": {"onnx": b.name, "card": card_b or None},
        },
    }
    if validated:
        card["validation"] = {**(card_b.get("validation") or {}), **validate(out)}
        card["validation"].pop("step", None)
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path, help="the model fine-tuning started from")
    parser.add_argument("b", type=Path, help="the fine-tuned model")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weight", type=float, default=0.5, help="b's share (default 0.5)")
    parser.add_argument(
        "--no-validate", action="store_true", help="skip the validation set (it renders fonts)"
    )
    args = parser.parse_args(argv)
    try:
        card = soup_files(args.a, args.b, args.out, args.weight, not args.no_validate)
    except (NotTheSameNetwork, ValueError, OSError) as exc:
        parser.exit(2, f"soup: {exc}\n")
    figures = card.get("validation", {})
    if "exact" in figures:
        print(f"validation exact {figures['exact']:.3f} cer {figures['cer']:.4f}")
    print(f"wrote {args.out} and its card")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
