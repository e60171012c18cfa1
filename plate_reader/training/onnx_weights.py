"""Torch weights back from an exported recogniser, so a shipped ONNX model can be fine-tuned.

The ONNX file is the artefact that lives on (checkpoints stay under ``out/train/`` and are lost
with it). Export folded each batch norm into its convolution and rewrote the GRU in ONNX's gate
order; this undoes both: every convolution gets the folded weight and bias, its batch norm
becomes the identity (mean 0, variance 1 - eps, scale 1, shift 0), and the GRU's gates go back
from ONNX's (update, reset, hidden) to torch's (reset, update, new). In eval mode the result
computes what the ONNX file does. Fine-tuning it must keep those batch norms on their stored
statistics (``freeze_batch_norms``): batch statistics would renormalise activations the folded
weights already scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch


def _gates_onnx_to_torch(array: np.ndarray, hidden: int) -> np.ndarray:
    """Rows in ONNX's z, r, h order to torch's r, z, n (the first axis holds the gates)."""
    z, r, h = (array[i * hidden : (i + 1) * hidden] for i in range(3))
    return np.concatenate([r, z, h])


def state_dict_from_onnx(path: Path, model: Any) -> dict[str, Any]:
    """``model``'s state dict (a ``PlateCRNN``) filled from the exported recogniser at ``path``;
    a clear error when the file is not one of this architecture's exports."""
    import onnx
    from onnx import numpy_helper
    from torch.nn import Conv2d

    try:
        graph = onnx.load(str(path)).graph
    except Exception as e:  # protobuf's DecodeError and friends: say which file and why
        raise ValueError(f"{path}: not a readable ONNX model ({e})") from e
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    grus = [node for node in graph.node if node.op_type == "GRU"]
    matmuls = [node for node in graph.node if node.op_type == "MatMul"]
    state = model.state_dict()
    # Each block is Sequential(conv, batch norm, ReLU): "features.N.0" and "features.N.1".
    blocks = [name[: -len(".0")] for name, m in model.named_modules() if isinstance(m, Conv2d)]
    if len(convs) != len(blocks) or len(grus) != 1 or len(matmuls) != 1:
        raise ValueError(
            f"{path}: not an export of this recogniser ({len(convs)} convolutions, "
            f"{len(grus)} GRU, {len(matmuls)} matmul; expected {len(blocks)}, 1, 1)"
        )
    out: dict[str, Any] = {}
    for block, node in zip(blocks, convs, strict=True):
        weight = weights[node.input[1]]
        if tuple(weight.shape) != tuple(state[f"{block}.0.weight"].shape):
            raise ValueError(f"{path}: {block} has shape {weight.shape}, this model another")
        channels = weight.shape[0]
        bias = weights[node.input[2]] if len(node.input) > 2 else np.zeros(channels, np.float32)
        eps = model.get_submodule(f"{block}.1").eps
        out[f"{block}.0.weight"] = torch.from_numpy(weight.copy())
        out[f"{block}.1.weight"] = torch.ones(channels)
        out[f"{block}.1.bias"] = torch.from_numpy(bias.copy())
        out[f"{block}.1.running_mean"] = torch.zeros(channels)
        out[f"{block}.1.running_var"] = torch.full((channels,), 1.0 - eps)
        out[f"{block}.1.num_batches_tracked"] = state[f"{block}.1.num_batches_tracked"].clone()

    gru = grus[0]
    reset = next((a.i for a in gru.attribute if a.name == "linear_before_reset"), 0)
    if reset != 1:
        raise ValueError(f"{path}: its GRU is not torch's (linear_before_reset={reset})")
    # Inputs X, W (dirs, 3h, in), R (dirs, 3h, h), B (dirs, 6h: W's biases then R's).
    w, r, b = (weights[name] for name in gru.input[1:4])
    hidden = r.shape[-1]
    for direction, suffix in enumerate(("", "_reverse")):
        parts = {
            "weight_ih": w[direction],
            "weight_hh": r[direction],
            "bias_ih": b[direction][: 3 * hidden],
            "bias_hh": b[direction][3 * hidden :],
        }
        for name, array in parts.items():
            key = f"rnn.{name}_l0{suffix}"
            out[key] = torch.from_numpy(_gates_onnx_to_torch(array, hidden).copy())
    head = matmuls[0]
    out["head.weight"] = torch.from_numpy(weights[head.input[1]].T.copy())
    bias_name = next(name for name in weights if name.endswith("head.bias"))
    out["head.bias"] = torch.from_numpy(weights[bias_name].copy())

    missing = set(state) - set(out)
    if missing:
        raise ValueError(f"{path}: no weights found for {sorted(missing)}")
    return {k: v.to(state[k].dtype) for k, v in out.items()}


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
