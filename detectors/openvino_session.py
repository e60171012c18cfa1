"""An ONNX model compiled by OpenVINO's CPU runtime, behind the few ``InferenceSession`` methods
``detectors.onnx_yolo`` calls (``run``, ``get_inputs``, ``get_outputs``, ``get_modelmeta``,
``get_providers``).

Why it exists: on CPUs with AMX or AVX-512 BF16 (Intel Xeon since Sapphire Rapids) OpenVINO runs
the convolutions in bfloat16 by default, about three times faster than onnxruntime's fp32 on the
same core, at a measured accuracy cost near zero (docs/BENCHMARKS.md, bench/detector_runtimes.py).
Elsewhere it runs fp32, about as fast as onnxruntime.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from detectors.signal_stack import ensure_signal_stack

OPENVINO = "OpenVINO-CPU"


@dataclass(frozen=True)
class _Port:
    name: str
    shape: list[int | str]


def _shape(partial: Any) -> list[int | str]:
    return [d.get_length() if d.is_static else "?" for d in partial]


def import_openvino() -> Any:
    """``openvino``, imported without its usage telemetry.

    Importing ``openvino`` imports its model converter, which sends a usage event to Google
    Analytics unless the machine has opted out (``opt_in_out --opt_out``). A traffic-camera
    worker has no business calling out, so the telemetry package is made unimportable first:
    OpenVINO then falls back to its own no-op stub. Nothing else of OpenVINO uses it.
    """
    import sys

    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


class OpenVinoSession:
    """One compiled model; ``run`` may be called from several threads (one infer request each)."""

    def __init__(self, model_path: str, threads: int | None, precision: str | None) -> None:
        import onnx

        ov = import_openvino()

        core = ov.Core()
        model = core.read_model(model_path)
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            # Pinned threads of several slots and processes would pile onto the same cores.
            "ENABLE_CPU_PINNING": False,
        }
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        self._compiled = core.compile_model(model, "CPU", config)
        # Compiling leaves this thread a signal stack too small for AMX state (signal_stack.py).
        ensure_signal_stack()
        hint = self._compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type: bf16, f32
        self.precision = hint.to_string() if hasattr(hint, "to_string") else str(hint)
        self._inputs = [
            _Port(p.get_any_name(), _shape(p.get_partial_shape())) for p in model.inputs
        ]
        self._outputs = [
            _Port(p.get_any_name(), _shape(p.get_partial_shape())) for p in model.outputs
        ]
        # ultralytics' metadata (names, stride) and prepare's layout mark live in the ONNX file.
        proto = onnx.load(model_path, load_external_data=False)
        self._meta = {p.key: p.value for p in proto.metadata_props}
        self._local = threading.local()

    def get_inputs(self) -> list[_Port]:
        return self._inputs

    def get_outputs(self) -> list[_Port]:
        return self._outputs

    def get_modelmeta(self) -> Any:
        return SimpleNamespace(custom_metadata_map=self._meta)

    def get_providers(self) -> list[str]:
        return [f"{OPENVINO} ({self.precision})"]

    def run(self, names: list[str] | None, feeds: dict[str, Any]) -> list[Any]:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        values = request.infer(feeds).to_tuple()  # in the model's output order
        by_name = {port.name: value for port, value in zip(self._outputs, values, strict=True)}
        wanted = names or [p.name for p in self._outputs]
        # infer() hands back views of the request's own buffers: copy before the next call.
        return [by_name[n].copy() for n in wanted]
