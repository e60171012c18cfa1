"""Torch weights back from an exported recogniser, so a shipped ONNX model can be fine-tuned.

The ONNX file is the artefact that lives on (checkpoints stay under ``out/train/`` and are lost
with it). Export folded each batch norm into its convolution and rewrote the GRUs in ONNX's gate
order; this undoes both: every convolution gets the folded weight and bias, its batch norm
becomes the identity (mean 0, variance 1 - eps, scale 1, shift 0), and the GRU's gates go back
from ONNX's (update, reset, hidden) to torch's (reset, update, new). In eval mode the result
computes what the ONNX file does. Fine-tuning it must keep those batch norms on their stored
statistics (``freeze_batch_norms``): batch statistics would renormalise activations the folded
weights already scale.

A model with more residual extensions than the file (``model.PlateCRNN``'s ``refine`` and
``context``) takes the file's weights for the rest and keeps its extensions as they start: the
identity, so the grown model still computes what the file does. A model with wider feature
stages takes them through ``widen_state``: the same, in width.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

_EXTENSIONS = ("refine.", "context.")


def _gates_onnx_to_torch(array: np.ndarray, hidden: int) -> np.ndarray:
    """Rows in ONNX's z, r, h order to torch's r, z, n (the first axis holds the gates)."""
    z, r, h = (array[i * hidden : (i + 1) * hidden] for i in range(3))
    return np.concatenate([r, z, h])


def _modules(model: Any, kind: type, grown: bool) -> list[str]:
    """Names of ``model``'s modules of ``kind`` in the order they run (and are registered);
    without the residual extensions when the file predates them (``grown``)."""
    names = [name for name, m in model.named_modules() if isinstance(m, kind)]
    return [n for n in names if not n.startswith(_EXTENSIONS)] if grown else names


def _graph(path: Path) -> Any:
    """The ONNX graph at ``path``, or a ValueError naming the file."""
    import onnx

    try:
        return onnx.load(str(path)).graph
    except Exception as e:  # protobuf's DecodeError and friends: say which file and why
        raise ValueError(f"{path}: not a readable ONNX model ({e})") from e


def state_dict_from_onnx(path: Path, model: Any) -> dict[str, Any]:
    """``model``'s state dict (a ``PlateCRNN``) filled from the exported recogniser at ``path``;
    a clear error when the file is not one of this architecture's exports."""
    from onnx import numpy_helper
    from torch.nn import GRU, Conv2d, Linear

    graph = _graph(path)
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    # The exporter shares repeated values (a fresh network's zero biases) through Identity
    # nodes, and may write a weight as a Constant node.
    for node in graph.node:
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None:
                weights[node.output[0]] = numpy_helper.to_array(value)
        elif node.op_type == "Identity" and node.input[0] in weights:
            weights[node.output[0]] = weights[node.input[0]]
    nodes = {op: [n for n in graph.node if n.op_type == op] for op in ("Conv", "GRU", "MatMul")}
    counts = {op: len(found) for op, found in nodes.items()}
    kinds = {"Conv": Conv2d, "GRU": GRU, "MatMul": Linear}
    full = {op: len(_modules(model, kind, False)) for op, kind in kinds.items()}
    base = {op: len(_modules(model, kind, True)) for op, kind in kinds.items()}
    if counts != full and counts != base:
        raise ValueError(
            f"{path}: not an export of this recogniser ({counts['Conv']} convolutions, "
            f"{counts['GRU']} GRU, {counts['MatMul']} matmul; expected "
            f"{full['Conv']}, {full['GRU']}, {full['MatMul']})"
        )
    grown = counts != full
    state = model.state_dict()
    out: dict[str, Any] = {}
    for name, node in zip(_modules(model, Conv2d, grown), nodes["Conv"], strict=True):
        out.update(_conv(path, model, state, name, node, weights))
    for name, node in zip(_modules(model, GRU, grown), nodes["GRU"], strict=True):
        out.update(_gru(path, name, node, weights))
    for name, node in zip(_modules(model, Linear, grown), nodes["MatMul"], strict=True):
        out[f"{name}.weight"] = torch.from_numpy(weights[node.input[1]].T.copy())
        bias = next((w for k, w in weights.items() if k.endswith(f"{name}.bias")), None)
        if bias is None:
            raise ValueError(f"{path}: no bias found for {name}")
        out[f"{name}.bias"] = torch.from_numpy(bias.copy())
    if grown:  # the extensions the file lacks start as the identity
        out.update({k: v.clone() for k, v in state.items() if k.startswith(_EXTENSIONS)})

    missing = set(state) - set(out)
    if missing:
        raise ValueError(f"{path}: no weights found for {sorted(missing)}")
    for key, value in out.items():
        if tuple(value.shape) != tuple(state[key].shape):
            raise ValueError(f"{path}: {key} has shape {tuple(value.shape)}, this model another")
    return {k: v.to(state[k].dtype) for k, v in out.items()}


def _conv(
    path: Path, model: Any, state: dict[str, Any], name: str, node: Any, weights: dict[str, Any]
) -> dict[str, Any]:
    """One convolution's weights; a feature block's batch norm (``name`` ``features.N.0``)
    unfolded as the identity."""
    weight = weights[node.input[1]]
    if tuple(weight.shape) != tuple(state[f"{name}.weight"].shape):
        block = name.removesuffix(".0")
        raise ValueError(f"{path}: {block} has shape {weight.shape}, this model another")
    channels = weight.shape[0]
    bias = weights[node.input[2]] if len(node.input) > 2 else np.zeros(channels, np.float32)
    if not name.startswith("features."):  # a residual convolution: weight and bias as stored
        return {
            f"{name}.weight": torch.from_numpy(weight.copy()),
            f"{name}.bias": torch.from_numpy(bias.copy()),
        }
    block = name.removesuffix(".0")
    eps = model.get_submodule(f"{block}.1").eps
    return {
        f"{block}.0.weight": torch.from_numpy(weight.copy()),
        f"{block}.1.weight": torch.ones(channels),
        f"{block}.1.bias": torch.from_numpy(bias.copy()),
        f"{block}.1.running_mean": torch.zeros(channels),
        f"{block}.1.running_var": torch.full((channels,), 1.0 - eps),
        f"{block}.1.num_batches_tracked": state[f"{block}.1.num_batches_tracked"].clone(),
    }


def _gru(path: Path, name: str, node: Any, weights: dict[str, Any]) -> dict[str, Any]:
    reset = next((a.i for a in node.attribute if a.name == "linear_before_reset"), 0)
    if reset != 1:
        raise ValueError(f"{path}: its GRU is not torch's (linear_before_reset={reset})")
    # Inputs X, W (dirs, 3h, in), R (dirs, 3h, h), B (dirs, 6h: W's biases then R's).
    w, r, b = (weights[input_name] for input_name in node.input[1:4])
    hidden = r.shape[-1]
    out: dict[str, Any] = {}
    for direction, suffix in enumerate(("", "_reverse")):
        parts = {
            "weight_ih": w[direction],
            "weight_hh": r[direction],
            "bias_ih": b[direction][: 3 * hidden],
            "bias_hh": b[direction][3 * hidden :],
        }
        for part, array in parts.items():
            key = f"{name}.{part}_l0{suffix}"
            out[key] = torch.from_numpy(_gates_onnx_to_torch(array, hidden).copy())
    return out


class _StoredStatsBatchNorm(torch.nn.BatchNorm2d):
    """A batch norm that stays on its stored statistics in training too; its scale and shift
    still learn."""

    def train(self, mode: bool = True) -> _StoredStatsBatchNorm:
        return super().train(False)


def freeze_batch_norms(model: Any) -> None:
    """Keep every batch norm of ``model`` on its stored statistics from now on, ``model.train()``
    or not: the folded weights expect them, not a batch's. (The class swap keeps the modules,
    their parameters and the state-dict keys as they are.)"""
    for module in model.modules():
        if type(module) is torch.nn.BatchNorm2d:
            module.__class__ = _StoredStatsBatchNorm
            module.eval()


# Weights whose second axis is the channels of the layer before: a convolution's input channels,
# the GRU's input features. When that layer is widened, their new columns start at zero.
def _reads_previous_channels(key: str) -> bool:
    convolution = key.startswith("features.") and key.endswith(".0.weight")
    residual = key.startswith("refine.") and key.endswith(".weight")
    return convolution or residual or key.startswith("rnn.weight_ih_l0")


def feature_channels(path: Path) -> tuple[int, int, int, int, int]:
    """The five feature stages' widths of the exported recogniser at ``path`` (its first seven
    convolutions: one per stage, two in the third and fourth)."""
    graph = _graph(path)
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"][:7]
    if len(convs) < 7 or any(n.input[1] not in shapes for n in convs):
        raise ValueError(f"{path}: not an export of this recogniser (feature stages unreadable)")
    widths = [shapes[n.input[1]][0] for n in convs]
    return (widths[0], widths[1], widths[2], widths[4], widths[6])


def widen_state(narrow: dict[str, Any], wide: Any) -> dict[str, Any]:
    """``wide``'s state dict (a ``PlateCRNN`` with more feature channels per stage) holding
    ``narrow``'s weights (the same network, fewer channels), so it computes what ``narrow`` does.

    Function-preserving growth in width, like Net2Net's (Chen et al. 2016), which copies units
    and splits their outgoing weights; here the new units' outgoing weights start at zero
    instead, so no copies need their symmetry broken: each stage's old channels keep their
    weights, its new channels start as ``wide`` drew them, and the next layer reads them through
    zeros, so they change nothing until training makes them useful. Their batch norms start as
    the identity, like the unfolded ones (``state_dict_from_onnx``)."""
    state = wide.state_dict()
    out: dict[str, Any] = {}
    for key, big in state.items():
        small = narrow.get(key)
        if small is None:
            raise ValueError(f"{key}: the narrow network has no such weight")
        if small.dim() != big.dim() or any(
            s > b for s, b in zip(small.shape, big.shape, strict=True)
        ):
            raise ValueError(
                f"{key}: {tuple(small.shape)} does not fit in {tuple(big.shape)} (wider only)"
            )
        grown = big.clone()
        if key.endswith(".running_var"):
            grown.fill_(1.0 - wide.get_submodule(key.rsplit(".", 1)[0]).eps)
        if _reads_previous_channels(key):
            grown[:, small.shape[1] :] = 0
        grown[tuple(slice(0, n) for n in small.shape)] = small
        out[key] = grown
    return out
