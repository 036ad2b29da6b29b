"""Region-wise convolution (region-wise GAN paper, eq. 1): separate filters for the missing and the existing
regions. As the paper suggests, both are computed and selected per pixel by the mask, resized (nearest) to the
output's size, so the mask follows the feature maps down and up the network."""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch


def mask_like(mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The hole mask N x 1 x H x W resized (nearest) to ``features``' spatial size."""
    if mask.shape[2:] == features.shape[2:]:
        return mask
    return nn.functional.interpolate(mask, size=features.shape[2:], mode="nearest")


class RegionConv2d(nn.Module):
    """(N x C_in x H x W, hole mask N x 1 x H0 x W0 with 1 = missing) -> N x C_out x H' x W'.

    Hole pixels get W_hole * x + b_hole, known pixels W_known * x + b_known; one convolution with both filter
    sets computes them together."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.conv = nn.Conv2d(in_channels, 2 * out_channels, kernel_size, stride, padding, dilation)
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "RegionConv2d input", self.in_channels)
        known, missing = self.conv(x).chunk(2, dim=1)
        selector = mask_like(hole, known)
        return missing * selector + known * (1 - selector)
