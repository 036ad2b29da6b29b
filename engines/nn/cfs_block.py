"""The CFS paper's Comprehensive Feature Selection block, eq. (3)-(8):

g = sigmoid(W_g x + b_g)                 a gate on the input features (same size as x)
G = sigmoid(W_G x + b_G)                 a gate on the convolved features
f = G . LeakyReLU_0.2(W_f (g . x) + b_f)
o = f . sigmoid(W_2 ReLU(W_1 avgpool(f)))  squeeze-and-excitation, reduction r = 16
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch
from engines.nn.gated import maybe_spectral


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1, self.fc2 = nn.Linear(channels, hidden), nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3))))))
        return x * weights[:, :, None, None]


class CFSBlock(nn.Module):
    """N x C_in x H x W -> N x C_out x H / stride x W / stride ('same' padding for odd kernels)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1,
                 spectral: bool = True, reduction: int = 16) -> None:
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.input_gate = maybe_spectral(nn.Conv2d(in_channels, in_channels, 3, 1, 1), spectral)
        # W_f and W_G read different inputs (g.x and x), so they stay two convolutions
        self.feature = maybe_spectral(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation), spectral)
        self.output_gate = maybe_spectral(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation), spectral)
        self.excitation = SqueezeExcitation(out_channels, reduction)
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "CFSBlock input", self.in_channels)
        g = torch.sigmoid(self.input_gate(x))
        f = torch.sigmoid(self.output_gate(x)) * nn.functional.leaky_relu(self.feature(g * x), 0.2)
        return self.excitation(f)
