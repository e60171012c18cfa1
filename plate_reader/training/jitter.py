"""Cheap augmentation of a training batch, in the network's input size, on every step.

The rendered sets are fixed (cached), so a long run sees each image many times; a small random
affine (scale, shift, a little rotation and shear) and sensor noise, drawn afresh each step,
keep those repeats from being the same picture. Kept mild: the box a detector draws never moves
a plate by more than a few pixels at this size, and the heavy camera effects are already in
the rendered views.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def jitter_batch(x: torch.Tensor, gen: torch.Generator, share: float = 0.6) -> torch.Tensor:
    """``x`` (N, 1, H, W, standardised) with ``share`` of its samples moved and noised."""
    n = x.shape[0]
    pick = torch.rand(n, generator=gen) < share
    if not bool(pick.any()):
        return x
    k = int(pick.sum())

    def draw(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(k, generator=gen)

    scale = draw(0.9, 1.1)
    aspect = draw(0.92, 1.08)
    angle = draw(-3.0, 3.0) * math.pi / 180
    shear = draw(-0.08, 0.08)
    tx, ty = draw(-0.06, 0.06), draw(-0.08, 0.08)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(k, 2, 3)
    # Sampling grid: output pixel -> input position (so 1/scale magnifies).
    theta[:, 0, 0] = cos / (scale * aspect)
    theta[:, 0, 1] = -sin / scale + shear
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos * aspect / scale
    theta[:, 0, 2], theta[:, 1, 2] = tx, ty
    chosen = x[pick]
    grid = F.affine_grid(theta.to(x.device), list(chosen.shape), align_corners=False)
    # Border padding repeats the crop's edge (a detector's loose box shows more of the car,
    # not a black frame).
    moved = F.grid_sample(chosen, grid, padding_mode="border", align_corners=False)
    sigma = draw(0.0, 0.25).to(x.device)[:, None, None, None]
    noise = torch.randn(moved.shape, generator=gen).to(x.device)
    out = x.clone()
    out[pick] = moved + sigma * noise
    return out
