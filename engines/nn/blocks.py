"""Residual blocks and the 70x70 PatchGAN discriminator shared by the learned engines."""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch
from engines.nn.gated import GatedConv2d, maybe_spectral
from engines.nn.region_norm import RegionNormL


class GatedResBlock(nn.Module):
    """x + norm(gated(relu(norm(gated(x))))): N x C x H x W -> N x C x H x W; the first conv may be dilated.

    ``norm`` is RN-L (``region_norm=True``) or instance norm.
    """

    def __init__(self, channels: int, dilation: int = 1, region_norm: bool = False, spectral: bool = False) -> None:
        super().__init__()
        norm = (lambda: RegionNormL(channels)) if region_norm else (lambda: nn.InstanceNorm2d(channels, affine=False))
        self.body = nn.Sequential(
            GatedConv2d(channels, channels, 3, dilation=dilation, spectral=spectral), norm(), nn.ReLU(True),
            GatedConv2d(channels, channels, 3, spectral=spectral), norm(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class PatchDiscriminator(nn.Module):
    """70x70 PatchGAN (pix2pix) with spectral norm: N x C x H x W -> (N x 1 x H/8-ish x W/8-ish logits, features).

    The features for the feature-matching loss are every layer's output, the logits last (LSK-FNet eq. 3 sums
    i = 1..L, "L the final convolution layer", as EdgeConnect's code does).
    """

    def __init__(self, in_channels: int, base: int = 64, spectral: bool = True) -> None:
        super().__init__()
        widths = (base, base * 2, base * 4, base * 8)
        layers = []
        previous = in_channels
        for i, width in enumerate(widths):
            stride = 2 if i < 3 else 1
            layers.append(nn.Sequential(maybe_spectral(nn.Conv2d(previous, width, 4, stride, 1, bias=not spectral), spectral),
                                        nn.LeakyReLU(0.2, True)))
            previous = width
        self.layers = nn.ModuleList(layers)
        self.head = maybe_spectral(nn.Conv2d(previous, 1, 4, 1, 1, bias=not spectral), spectral)
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        check_image_batch(x, "PatchDiscriminator input", self.in_channels)
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        logits = self.head(x)
        return logits, features + [logits]
