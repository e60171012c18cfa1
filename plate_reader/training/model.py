"""The recogniser's network (torch): CNN to a 2 x 32 feature grid, a BiGRU over the grid read
top row then bottom row, CTC classes out. See ``plate_reader.recogniser`` for why this shape.

Two optional residual extensions add capacity to a trained network without changing what it
computes when they are added (their last layer starts at zero), so a shipped model can grow and
be fine-tuned instead of trained again from scratch:

- ``refine``: residual 3 x 3 convolution pairs on the 2 x 32 grid (more visual capacity where it
  is cheap: the grid is 64 cells);
- ``context``: a second BiGRU over the first one's outputs, added back through a projection
  (more room to learn which characters go together, the plate-text prior greedy CTC lacks).

It can grow in width too: ``channels`` wider than a trained file's take its weights through
``onnx_weights.widen_state``, the new channels read through zero weights at the start.
"""

from __future__ import annotations

import torch
from torch import nn

from plate_reader.recogniser import ALPHABET, INPUT_HEIGHT, INPUT_WIDTH

CLASSES = len(ALPHABET) + 1  # + CTC blank at 0
DEFAULT_CHANNELS = (16, 32, 48, 64, 96)  # the five feature stages' widths


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class ResidualConv(nn.Module):
    """x + conv(relu(conv(x))), the second convolution zero at the start: the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        for p in self.conv2.parameters():
            nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.conv1(x)))


class ResidualContext(nn.Module):
    """seq + proj(BiGRU(seq)), the projection zero at the start: the identity."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(width, hidden, bidirectional=True, batch_first=True)
        self.proj = nn.Linear(2 * hidden, width)
        for p in self.proj.parameters():
            nn.init.zeros_(p)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(seq)
        return seq + self.proj(out)


class PlateCRNN(nn.Module):
    def __init__(
        self,
        channels: tuple[int, int, int, int, int] = DEFAULT_CHANNELS,
        hidden: int = 64,
        refine: int = 0,
        context: int = 0,
    ) -> None:
        super().__init__()
        self.channels = tuple(channels)
        c1, c2, c3, c4, c5 = channels
        self.features = nn.Sequential(
            _block(1, c1),
            nn.MaxPool2d(2),  # 32 x 64
            _block(c1, c2),
            nn.MaxPool2d(2),  # 16 x 32
            _block(c2, c3),
            _block(c3, c3),
            nn.MaxPool2d((2, 1)),  # 8 x 32
            _block(c3, c4),
            _block(c4, c4),
            nn.MaxPool2d((2, 1)),  # 4 x 32
            _block(c4, c5),
            nn.MaxPool2d((2, 1)),  # 2 x 32
            nn.Dropout2d(0.1),
        )
        # Registered in the order they run: the ONNX graph lists their operators so too, which
        # is how ``onnx_weights`` finds each module's weights again.
        self.refine = nn.Sequential(*(ResidualConv(c5) for _ in range(refine)))
        self.rnn = nn.GRU(c5, hidden, bidirectional=True, batch_first=True)
        self.context = nn.Sequential(*(ResidualContext(2 * hidden, hidden) for _ in range(context)))
        self.head = nn.Linear(2 * hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 64, 128) -> per-frame logits (N, T=64, CLASSES)."""
        f = self.refine(self.features(x))  # N, C, 2, 32
        n, c, h, w = f.shape
        seq = f.permute(0, 2, 3, 1).reshape(n, h * w, c)  # row 0 left to right, then row 1
        seq, _ = self.rnn(seq)
        return self.head(self.context(seq))


def describe(model: PlateCRNN) -> str:
    """The architecture in one line, for the model card."""
    convs = [m for m in model.features.modules() if isinstance(m, nn.Conv2d)]
    parts = [f"CNN ({'-'.join(str(c.out_channels) for c in convs)} channels, 5 pooling stages)"]
    if len(model.refine):
        parts.append(f"{len(model.refine)} residual conv pair(s)")
    parts.append(f"2x32 grid read row by row -> BiGRU({model.rnn.hidden_size})")
    if len(model.context):
        parts.append(f"{len(model.context)} residual BiGRU context layer(s)")
    return " -> ".join([*parts, "CTC"])


class Exported(nn.Module):
    """What the ONNX file holds: probabilities, so the runtime needs no softmax of its own."""

    def __init__(self, model: PlateCRNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=-1)


def dummy_input(batch: int = 1) -> torch.Tensor:
    return torch.zeros(batch, 1, INPUT_HEIGHT, INPUT_WIDTH)
