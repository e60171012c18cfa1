"""Weight averaging of recognisers (``plate_reader.training.soup``) on the shipped model's file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from plate_reader.recogniser import DEFAULT_MODEL
from plate_reader.training import soup


def _weights(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def _perturbed(path: Path, seed: int) -> Path:
    """The shipped network with every weight moved: another model of the same architecture."""
    model = onnx.load(str(DEFAULT_MODEL))
    rng = np.random.default_rng(seed)
    weights = []
    for tensor in model.graph.initializer:
        x = numpy_helper.to_array(tensor)
        weights.append(
            numpy_helper.from_array(x + rng.normal(0, 0.05, x.shape).astype(x.dtype), tensor.name)
        )
    del model.graph.initializer[:]
    model.graph.initializer.extend(weights)
    onnx.save(model, str(path))
    return path


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def test_the_average_is_the_mean_of_both_weights_and_runs(tmp_path: Path) -> None:
    other = _perturbed(tmp_path / "other.onnx", 1)
    out = tmp_path / "soup.onnx"
    card = soup.soup_files(DEFAULT_MODEL, other, out, validated=False)
    a, b, mean = (_weights(onnx.load(str(p))) for p in (DEFAULT_MODEL, other, out))
    assert set(mean) == set(a)
    for name, value in mean.items():
        np.testing.assert_allclose(value, (a[name] + b[name]) / 2, rtol=1e-6, atol=1e-7)
    assert card["soup"]["weight_b"] == 0.5
    assert card["soup"]["a"]["onnx"] == DEFAULT_MODEL.name and out.with_suffix(".json").is_file()
    probs = _run(out, np.zeros((2, 1, 64, 128), np.float32))
    assert probs.shape[0] == 2 and np.allclose(probs.sum(axis=-1), 1.0, atol=1e-4)


def test_the_ends_of_the_interpolation_are_the_two_models(tmp_path: Path) -> None:
    other = _perturbed(tmp_path / "other.onnx", 2)
    x = np.random.default_rng(0).normal(size=(1, 1, 64, 128)).astype(np.float32)
    for weight, expected in ((0.0, DEFAULT_MODEL), (1.0, other)):
        out = tmp_path / f"w{weight}.onnx"
        soup.soup_files(DEFAULT_MODEL, other, out, weight_b=weight, validated=False)
        np.testing.assert_allclose(_run(out, x), _run(expected, x), atol=1e-5)


def test_other_networks_and_other_files_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = onnx.load(str(DEFAULT_MODEL))
    first = model.graph.initializer[1]
    grown = numpy_helper.from_array(np.zeros((17, *first.dims[1:]), np.float32), first.name)
    model.graph.initializer[1].CopyFrom(grown)
    wider = tmp_path / "wider.onnx"
    onnx.save(model, str(wider))
    with pytest.raises(soup.NotTheSameNetwork, match=first.name):
        soup.average(onnx.load(str(DEFAULT_MODEL)), onnx.load(str(wider)))

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(SystemExit) as stop:
        soup.main([str(DEFAULT_MODEL), str(junk), "--out", str(tmp_path / "x.onnx")])
    assert stop.value.code == 2 and "junk.onnx: not an ONNX model" in capsys.readouterr().err
    with pytest.raises(soup.NotTheSameNetwork, match=r"missing\.onnx: no such file"):
        soup.soup_files(DEFAULT_MODEL, tmp_path / "missing.onnx", tmp_path / "y.onnx")
    with pytest.raises(ValueError, match="weight"):
        soup.average(onnx.load(str(DEFAULT_MODEL)), onnx.load(str(DEFAULT_MODEL)), 1.5)
