"""An exported recogniser read back into torch computes what the ONNX file does, in training
mode too (batch norms on their stored statistics), so a shipped model can be fine-tuned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.models


def test_weights_read_back_from_onnx_compute_what_it_does(tmp_path: Path) -> None:
    import onnxruntime as ort
    import torch

    from plate_reader.training.model import PlateCRNN
    from plate_reader.training.onnx_weights import freeze_batch_norms, state_dict_from_onnx
    from plate_reader.training.train import export_onnx

    torch.manual_seed(3)
    trained = PlateCRNN()
    trained.train()
    with torch.no_grad():  # batch norms with statistics of their own, not the identity
        for _ in range(3):
            trained(torch.randn(8, 1, 64, 128) * 3 + 1)
    path = tmp_path / "m.onnx"
    export_onnx(trained, path)

    back = PlateCRNN()
    back.load_state_dict(state_dict_from_onnx(path, back))
    freeze_batch_norms(back)
    back.train()
    back.features[-1].eval()  # the dropout, to compare like with like
    x = np.random.default_rng(0).normal(size=(4, 1, 64, 128)).astype(np.float32)
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"image": x}
    )[0]
    with torch.no_grad():
        got = torch.softmax(back(torch.from_numpy(x)), -1).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    # Training still moves the batch norms' scale and shift, but not their statistics.
    norm = back.features[0][1]
    assert not norm.training and norm.weight.requires_grad
    before = norm.running_mean.clone()
    back(torch.randn(2, 1, 64, 128) * 5)
    assert torch.equal(norm.running_mean, before)


def test_a_file_of_another_network_is_refused(tmp_path: Path) -> None:
    from plate_reader.training.model import PlateCRNN
    from plate_reader.training.onnx_weights import state_dict_from_onnx
    from plate_reader.training.train import export_onnx

    path = tmp_path / "small.onnx"
    export_onnx(PlateCRNN(channels=(8, 16, 24, 32, 48)), path)
    with pytest.raises(ValueError, match=r"small\.onnx: features\.0 has shape"):
        state_dict_from_onnx(path, PlateCRNN())
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"broken\.onnx: not a readable ONNX model"):
        state_dict_from_onnx(broken, PlateCRNN())


def _onnx_probs(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": x})[0]


def test_a_grown_network_computes_what_the_smaller_file_does(tmp_path: Path) -> None:
    """Residual extensions added to an exported model start as the identity; once trained and
    exported, all of the grown model's weights read back."""
    import torch

    from plate_reader.training.model import PlateCRNN
    from plate_reader.training.onnx_weights import state_dict_from_onnx
    from plate_reader.training.train import export_onnx

    torch.manual_seed(4)
    small = tmp_path / "small.onnx"
    export_onnx(PlateCRNN(), small)
    x = np.random.default_rng(1).normal(size=(3, 1, 64, 128)).astype(np.float32)
    grown = PlateCRNN(refine=2, context=1)
    grown.load_state_dict(state_dict_from_onnx(small, grown))
    grown.eval()
    with torch.no_grad():
        got = torch.softmax(grown(torch.from_numpy(x)), -1).numpy()
    np.testing.assert_allclose(got, _onnx_probs(small, x), atol=1e-5)

    with torch.no_grad():  # as if trained: the extensions no longer the identity
        for name, p in grown.named_parameters():
            if name.startswith(("refine.", "context.")):
                p.add_(0.05 * torch.randn_like(p))
    big = tmp_path / "grown.onnx"
    export_onnx(grown, big)
    back = PlateCRNN(refine=2, context=1)
    back.load_state_dict(state_dict_from_onnx(big, back))
    back.eval()
    with torch.no_grad():
        got = torch.softmax(back(torch.from_numpy(x)), -1).numpy()
    want = _onnx_probs(big, x)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.abs(want - _onnx_probs(small, x)).max() > 1e-3  # the extensions did change it
    # A grown file does not fit a network without those extensions.
    with pytest.raises(ValueError, match=r"grown\.onnx: not an export of this recogniser"):
        state_dict_from_onnx(big, PlateCRNN())


def test_a_widened_network_computes_what_the_narrower_file_does(tmp_path: Path) -> None:
    """Wider feature stages (``--channels``) start unused: the widened model reads as the file
    does, in training mode too, and its new channels learn once trained."""
    import torch

    from plate_reader.training.model import PlateCRNN
    from plate_reader.training.onnx_weights import feature_channels
    from plate_reader.training.train import (
        _initial_weights_from_onnx,
        export_onnx,
        parse_channels,
    )

    torch.manual_seed(5)
    narrow = PlateCRNN(channels=(8, 16, 24, 32, 48), refine=1)
    with torch.no_grad():  # a trained residual pair, so its widened input must start at zero
        for p in narrow.refine.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = tmp_path / "narrow.onnx"
    export_onnx(narrow, path)
    assert feature_channels(path) == (8, 16, 24, 32, 48)

    wide = PlateCRNN(channels=(8, 24, 32, 48, 64), refine=1)
    _initial_weights_from_onnx(wide, path)
    wide.train()
    wide.features[-1].eval()  # the dropout
    x = np.random.default_rng(2).normal(size=(3, 1, 64, 128)).astype(np.float32)
    with torch.no_grad():
        got = torch.softmax(wide(torch.from_numpy(x)), -1).numpy()
    np.testing.assert_allclose(got, _onnx_probs(path, x), atol=1e-5)

    # One step of training reaches the new channels: the zero weights that read them move.
    conv = wide.features[4][0].weight  # the third stage reads the second's 24 channels, 16 old
    assert conv[:, 16:].abs().sum() == 0
    wide(torch.from_numpy(x)).logsumexp(-1).mean().backward()
    assert conv.grad is not None and conv.grad[:, 16:].abs().sum() > 0

    with pytest.raises(ValueError, match="wider only"):
        _initial_weights_from_onnx(PlateCRNN(channels=(8, 8, 24, 32, 48), refine=1), path)
    with pytest.raises(ValueError, match="five positive widths"):
        parse_channels("16,32")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"broken\.onnx: not a readable ONNX model"):
        _initial_weights_from_onnx(PlateCRNN(), broken)
