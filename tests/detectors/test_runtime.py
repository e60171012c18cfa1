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
    ENGINE_ENV,
    PROVIDERS_ENV,
    ProviderError,
    RuntimeOptions,
    choose_engine,
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
    runtime = RuntimeOptions(providers=("tensorrt", "cuda", "cpu"), threads=1, engine="auto")
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


def test_auto_takes_openvino_for_the_cpu_where_installed_and_onnxruntime_for_a_gpu() -> None:
    cpu, cuda = (CPU,), ("CUDAExecutionProvider", CPU)
    assert choose_engine("auto", cpu, openvino_installed=True) == "openvino"
    assert choose_engine("auto", cpu, openvino_installed=False) == "onnxruntime"
    assert choose_engine("auto", cuda, openvino_installed=True) == "onnxruntime"
    assert choose_engine("onnxruntime", cpu, openvino_installed=True) == "onnxruntime"
    with pytest.raises(ProviderError, match="CUDAExecutionProvider needs engine onnxruntime"):
        choose_engine("openvino", cuda, openvino_installed=True)
    with pytest.raises(ProviderError, match="openvino package is missing"):
        choose_engine("openvino", cpu, openvino_installed=False)
    with pytest.raises(ProviderError, match="unknown engine 'tvm'"):
        RuntimeOptions(providers=("cpu",), engine="tvm")


def test_the_engine_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV, "onnxruntime")
    assert RuntimeOptions(providers=("cpu",)).resolved_engine == "onnxruntime"


def test_an_openvino_session_runs_the_model_like_onnxruntime(tmp_path: Path) -> None:
    pytest.importorskip("openvino")
    path = _tiny_model(tmp_path / "tiny.onnx")
    session = RuntimeOptions(providers=("cpu",), threads=1, engine="openvino").open_session(path)
    assert session.get_providers()[0].startswith("OpenVINO-CPU")
    assert [p.name for p in session.get_outputs()] == ["y"]
    (y,) = session.run(None, {"x": np.array([1.0, 2.0], dtype=np.float32)})
    assert y.tolist() == [2.0, 3.0]
