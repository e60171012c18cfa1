"""The recogniser's network (torch): CNN to a 2 x 32 feature grid, a BiGRU over the grid read
top row then bottom row, CTC classes out. See ``plate_reader.recogniser`` for why this shape."""

from __future__ import annotations

import torch
from torch import nn

from plate_reader.recogniser import ALPHABET, INPUT_HEIGHT, INPUT_WIDTH

CLASSES = len(ALPHABET) + 1  # + CTC blank at 0


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlateCRNN(nn.Module):
    def __init__(
        self, channels: tuple[int, int, int, int, int] = (16, 32, 48, 64, 96), hidden: int = 64
    ) -> None:
        super().__init__()
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
        self.rnn = nn.GRU(c5, hidden, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 64, 128) -> per-frame logits (N, T=64, CLASSES)."""
        f = self.features(x)  # N, C, 2, 32
        n, c, h, w = f.shape
        seq = f.permute(0, 2, 3, 1).reshape(n, h * w, c)  # row 0 left to right, then row 1
        seq, _ = self.rnn(seq)
        return self.head(seq)


class Exported(nn.Module):
    """What the ONNX file holds: probabilities, so the runtime needs no softmax of its own."""

    def __init__(self, model: PlateCRNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=-1)


def dummy_input(batch: int = 1) -> torch.Tensor:
    return torch.zeros(batch, 1, INPUT_HEIGHT, INPUT_WIDTH)
