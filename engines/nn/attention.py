"""Attention blocks: spatial attention (CBAM style: channel max and mean, 7x7 conv, sigmoid) and efficient
channel attention (ECA-Net: global average pool, 1-D conv across channels, sigmoid)."""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch


class SpatialAttention(nn.Module):
    """N x C x H x W -> N x C x H x W, each position weighted by a learned map in (0, 1)."""

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "SpatialAttention input")
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(pooled))


class ChannelAttention(nn.Module):
    """N x C x H x W -> N x C x H x W, each channel weighted from the global average of all channels (ECA)."""

    def __init__(self, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "ChannelAttention input")
        weights = self.conv(x.mean(dim=(2, 3)).unsqueeze(1))  # N x 1 x C
        return x * torch.sigmoid(weights).transpose(1, 2).unsqueeze(-1)
