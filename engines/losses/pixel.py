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


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels (N x C x H x W), horizontally and vertically."""
    if x.dim() != 4:
        raise ValueError(f"total_variation needs N x C x H x W; got {tuple(x.shape)}")
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()
