"""Partial convolution (Liu et al. 2018) as the CFS paper writes it, eq. (1)-(2):

x' = W^T (x . m) * (Kx Ky / sum(m)) + b  where sum(m) > 0, else 0;   m' = 1 where sum(m) > 0, else 0.

``m`` is one valid-pixel channel (1 = known) shared by all feature channels; sum(m) counts the valid pixels
under the kernel window. The layer returns the new features and the updated mask.
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch, check_mask_for
from engines.nn.gated import maybe_spectral


class PartialConv2d(nn.Module):
    """(N x C_in x H x W features, N x 1 x H x W valid mask) -> (N x C_out x H' x W', N x 1 x H' x W')."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1,
                 spectral: bool = False) -> None:
        super().__init__()
        self.padding = dilation * (kernel_size - 1) // 2
        self.conv = maybe_spectral(nn.Conv2d(in_channels, out_channels, kernel_size, stride, self.padding, dilation, bias=False), spectral)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("ones", torch.ones(1, 1, kernel_size, kernel_size), persistent=False)
        self.stride, self.dilation, self.window = stride, dilation, kernel_size * kernel_size
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_image_batch(x, "PartialConv2d input", self.in_channels)
        check_mask_for(valid, x)
        with torch.no_grad():
            count = nn.functional.conv2d(valid, self.ones.to(valid.dtype), None, self.stride, self.padding, self.dilation)
            updated = (count > 0).to(x.dtype)
            ratio = self.window / count.clamp_min(1) * updated
        out = self.conv(x * valid) * ratio + self.bias.view(1, -1, 1, 1)
        return out * updated, updated
