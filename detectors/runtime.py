"""How a detector's ONNX model runs: the engine, execution providers, threads, graph optimisation.

Two engines run the same ``.onnx`` files: onnxruntime (every provider: CPU, CUDA, TensorRT) and
OpenVINO's CPU runtime (``detectors.openvino_session``: bfloat16 on CPUs with AMX, about three
times onnxruntime's fp32 there). ``engine="auto"`` (the default) takes OpenVINO when only the CPU
is asked for and the package is installed, onnxruntime otherwise; ``$ENTRYWATCH_ENGINE`` sets it
for a process.

One ``RuntimeOptions`` per process (the worker's model pool, replay, ``read``). Providers are
named short (``cpu``, ``cuda``, ``tensorrt``, ``openvino``) or in ONNX Runtime's own spelling
(``CUDAExecutionProvider``). A provider this onnxruntime build does not have is skipped with a
warning naming it and what is available, and the CPU always comes last, so a config written for
a GPU machine still runs (slowly) on a CPU one. A name that is no provider at all is an error.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Engine = Literal["auto", "onnxruntime", "openvino"]
ENGINES: tuple[str, ...] = ("auto", "onnxruntime", "openvino")
ENGINE_ENV = "ENTRYWATCH_ENGINE"

log = logging.getLogger(__name__)

# Short names -> ONNX Runtime's. TensorRT before CUDA where both are asked: ONNX Runtime gives
# each node to the first provider in the list that takes it.
PROVIDER_NAMES: dict[str, str] = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}
CPU = PROVIDER_NAMES["cpu"]
# Where a process that names none takes its providers from (comma separated short names).
PROVIDERS_ENV = "ENTRYWATCH_PROVIDERS"


class ProviderError(ValueError):
    """A provider name that is not one ONNX Runtime knows."""


def parse_providers(names: Iterable[str]) -> tuple[str, ...]:
    """ONNX Runtime's names for ``names`` (short or full), in order, without repeats."""
    known_full = set(PROVIDER_NAMES.values())
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        full = PROVIDER_NAMES.get(name.lower(), name if name in known_full else None)
        if full is None:
            raise ProviderError(
                f"unknown execution provider {raw!r}: use one of {', '.join(PROVIDER_NAMES)} "
                f"(or {', '.join(sorted(known_full))})"
            )
        if full not in out:
            out.append(full)
    return tuple(out)


def providers_from_env() -> tuple[str, ...]:
    """``$ENTRYWATCH_PROVIDERS`` parsed (``cuda,cpu``); the CPU alone when unset."""
    value = os.environ.get(PROVIDERS_ENV, "")
    return parse_providers(value.split(",")) if value.strip() else (CPU,)


def choose_providers(requested: Sequence[str], available: Sequence[str]) -> list[str]:
    """The requested providers this build has, in the requested order, the CPU last.

    Missing ones are skipped with one warning that names them and what this build offers (a GPU
    config on a CPU machine degrades, it does not stop the worker).
    """
    chosen = [p for p in requested if p in available and p != CPU]
    missing = [p for p in requested if p not in available]
    if missing:
        log.warning(
            "execution provider(s) %s not in this onnxruntime build (it has %s); using %s",
            ", ".join(missing),
            ", ".join(available),
            ", ".join([*chosen, CPU]),
        )
    return [*chosen, CPU]


def engine_from_env() -> str:
    """``$ENTRYWATCH_ENGINE`` (``auto``, ``onnxruntime``, ``openvino``); ``auto`` when unset."""
    return os.environ.get(ENGINE_ENV, "").strip().lower() or "auto"


def choose_engine(engine: str, providers: Sequence[str], openvino_installed: bool) -> str:
    """The engine that runs a model: OpenVINO for a CPU-only ``auto`` where it is installed; an
    explicit ``openvino`` without the package, or with a GPU provider asked, is an error."""
    gpu = [p for p in providers if p != CPU]
    if engine == "onnxruntime":
        return engine
    if engine == "openvino":
        if not openvino_installed:
            raise ProviderError("engine openvino asked for, but the openvino package is missing")
        if gpu:
            raise ProviderError(
                f"engine openvino runs on the CPU only; {', '.join(gpu)} needs engine onnxruntime"
            )
        return engine
    if engine != "auto":
        raise ProviderError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    return "openvino" if openvino_installed and not gpu else "onnxruntime"


@dataclass(frozen=True)
class RuntimeOptions:
    """How every detector session of a process runs.

    ``threads``: intra-op threads per session (None: ONNX Runtime's default, one per core).
    The worker runs one 1-thread session per pool slot (``pipeline/worker/models.py`` says why).
    ``spin``: let idle pool threads spin; faster alone on a machine, but a spinning thread
    steals the core from the other cameras and processes, so it is off unless asked.
    ``precision``: OpenVINO's inference precision (None: its default, bf16 where the CPU has
    AMX or AVX-512 BF16, else f32; ``f32`` to force full precision).
    """

    providers: tuple[str, ...] = field(default_factory=providers_from_env)
    threads: int | None = None
    spin: bool = False
    engine: str = field(default_factory=engine_from_env)
    precision: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "providers", parse_providers(self.providers) or (CPU,))
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}")
        if self.engine not in ENGINES:
            raise ProviderError(f"unknown engine {self.engine!r}: use one of {', '.join(ENGINES)}")

    @property
    def resolved_engine(self) -> str:
        installed = importlib.util.find_spec("openvino") is not None
        return choose_engine(self.engine, self.providers, installed)

    def session_options(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if self.spin else "0"
        )
        return options

    def open_session(self, model_path: str) -> Any:
        """A session for ``model_path``: OpenVINO's (``detectors.openvino_session``) or an
        ``onnxruntime.InferenceSession`` on the chosen providers."""
        if self.resolved_engine == "openvino":
            from detectors.openvino_session import OpenVinoSession

            return OpenVinoSession(model_path, self.threads, self.precision)
        import onnxruntime as ort

        providers = choose_providers(self.providers, ort.get_available_providers())
        session = ort.InferenceSession(model_path, self.session_options(), providers=providers)
        used = session.get_providers()
        if used[0] != providers[0]:  # e.g. CUDA listed but its libraries failed to load
            log.warning("%s: asked for %s, running on %s", model_path, providers[0], used[0])
        return session
