"""Pixel-space losses: L1 (optionally weighted by region) and total variation."""
from __future__ import annotations

import torch


def l1_loss(prediction: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error; ``weight`` (broadcastable, e.g. the hole mask) averages over weighted pixels only."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ")
    difference = (prediction - target).abs()
    if weight is None:
        return difference.mean()
    weight = weight.expand_as(difference)
    return (difference * weight).sum() / weight.sum().clamp_min(1.0)


def total_variation(x: torch.Tensor, isotropic: bool = False) -> torch.Tensor:
    """Neighbouring-pixel differences of N x C x H x W: the mean of |dy| + |dx| (anisotropic), or of
    sqrt(dy^2 + dx^2) over the pixels that have both neighbours (isotropic, the masked-face paper's eq. 3)."""
    if x.dim() != 4:
        raise ValueError(f"total_variation needs N x C x H x W; got {tuple(x.shape)}")
    dy, dx = x[:, :, 1:, :] - x[:, :, :-1, :], x[:, :, :, 1:] - x[:, :, :, :-1]
    if isotropic:
        return torch.sqrt(dy[:, :, :, :-1] ** 2 + dx[:, :, :-1, :] ** 2 + 1e-8).mean()
    return dy.abs().mean() + dx.abs().mean()
