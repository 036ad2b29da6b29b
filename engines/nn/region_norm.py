"""Region normalization (Yu et al., AAAI 2020), used by LSK-FNet's image generator.

RN-B normalizes the hole and the known region separately, each with its own mean and variance, then applies
a learned affine per region. RN-L learns the region mask from the features (spatial max/avg pooling, 7x7
conv, sigmoid; >= threshold counts as hole) and scales the result by that spatial response.

Statistics are per sample and channel (instance-level) rather than over the batch as in the RN paper, so a
single photo at inference is normalized exactly as in training; no running statistics are kept.
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch, check_mask_for


def region_normalize(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalize ``x`` (N x C x H x W) inside and outside ``mask`` (N x 1 x H x W, 1 = hole) separately.

    Returns (normalized hole part, normalized known part), each zero outside its region.
    """
    check_mask_for(mask, x)
    parts = []
    for region in (mask, 1.0 - mask):
        count = region.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)
        mean = (x * region).sum(dim=(2, 3), keepdim=True) / count
        var = (((x - mean) * region) ** 2).sum(dim=(2, 3), keepdim=True) / count
        parts.append((x - mean) / torch.sqrt(var + eps) * region)
    return parts[0], parts[1]


class RegionNormB(nn.Module):
    """RN-B: N x C x H x W features + N x 1 x H x W mask (resized to the features) -> N x C x H x W."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.hole_affine = nn.Parameter(torch.stack([torch.ones(channels), torch.zeros(channels)]))
        self.known_affine = nn.Parameter(torch.stack([torch.ones(channels), torch.zeros(channels)]))
        self.channels = channels

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "RegionNormB input", self.channels)
        mask = nn.functional.interpolate(mask, size=x.shape[2:], mode="nearest")
        hole, known = region_normalize(x, mask)
        g_h, b_h = (p.view(1, -1, 1, 1) for p in self.hole_affine)
        g_k, b_k = (p.view(1, -1, 1, 1) for p in self.known_affine)
        return (hole * g_h + b_h) * mask + (known * g_k + b_k) * (1.0 - mask)


class RegionNormL(nn.Module):
    """RN-L: N x C x H x W -> N x C x H x W, the region mask learned from the features themselves."""

    def __init__(self, channels: int, threshold: float = 0.8) -> None:
        super().__init__()
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)
        self.gamma = nn.Conv2d(1, channels, 1)
        self.beta = nn.Conv2d(1, channels, 1)
        self.threshold = threshold
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "RegionNormL input", self.channels)
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        response = torch.sigmoid(self.spatial(pooled))
        mask = (response.detach() >= self.threshold).to(x.dtype)
        hole, known = region_normalize(x, mask)
        return (hole + known) * (1.0 + self.gamma(response)) + self.beta(response)
