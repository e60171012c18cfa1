"""Execution providers chosen from config, and the CPU fallback (real onnxruntime sessions)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from detectors.runtime import (
    CPU,
    PROVIDERS_ENV,
    ProviderError,
    RuntimeOptions,
    choose_providers,
    parse_providers,
    providers_from_env,
)


def test_short_and_full_names_map_to_onnxruntime_names_in_order_without_repeats() -> None:
    assert parse_providers(["tensorrt", "CUDA", "CUDAExecutionProvider", " cpu "]) == (
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        CPU,
    )


def test_an_unknown_provider_is_an_error_naming_it_and_the_known_ones() -> None:
    with pytest.raises(ProviderError, match=r"'cuda11'.*cpu, cuda, tensorrt, openvino"):
        parse_providers(["cuda11"])


def test_missing_providers_are_skipped_with_a_warning_and_the_cpu_comes_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wanted = parse_providers(["tensorrt", "cuda", "cpu"])
    with caplog.at_level(logging.WARNING, logger="detectors.runtime"):
        chosen = choose_providers(wanted, ["CUDAExecutionProvider", CPU])
    assert chosen == ["CUDAExecutionProvider", CPU]
    assert "TensorrtExecutionProvider" in caplog.text
    assert "using CUDAExecutionProvider" in caplog.text


def test_the_cpu_is_added_even_when_not_asked() -> None:
    assert choose_providers(("CUDAExecutionProvider",), ["CUDAExecutionProvider", CPU]) == [
        "CUDAExecutionProvider",
        CPU,
    ]


def test_providers_come_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PROVIDERS_ENV, raising=False)
    assert providers_from_env() == (CPU,)
    monkeypatch.setenv(PROVIDERS_ENV, "cuda,cpu")
    assert RuntimeOptions().providers == ("CUDAExecutionProvider", CPU)
    monkeypatch.setenv(PROVIDERS_ENV, "gpu")
    with pytest.raises(ProviderError, match="'gpu'"):
        RuntimeOptions()


def test_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        RuntimeOptions(providers=("cpu",), threads=0)


def _tiny_model(path: Path) -> str:
    """y = x + 1, opset 17: enough for a real session."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "one"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])],
        [one],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return str(path)


def test_a_gpu_config_runs_on_the_cpu_of_a_machine_without_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: the fallback is not exercised")
    runtime = RuntimeOptions(providers=("tensorrt", "cuda", "cpu"), threads=1)
    with caplog.at_level(logging.WARNING, logger="detectors.runtime"):
        session = runtime.open_session(_tiny_model(tmp_path / "tiny.onnx"))
    assert session.get_providers() == [CPU]
    assert "CUDAExecutionProvider" in caplog.text
    (y,) = session.run(None, {"x": np.array([1.0, 2.0], dtype=np.float32)})
    assert y.tolist() == [2.0, 3.0]


def test_session_options_carry_threads_and_full_graph_optimisation() -> None:
    import onnxruntime as ort

    options = RuntimeOptions(providers=("cpu",), threads=3).session_options()
    assert options.intra_op_num_threads == 3
    assert options.inter_op_num_threads == 1
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
