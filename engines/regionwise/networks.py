"""Region-wise GAN networks (../shared/papers/regionwise_gan_large_holes.txt, section III).

Both generators follow the coarse network of Contextual Attention (which the paper builds on, without its
attention module) with skip links: an encoder (5x5 conv, two stride-2 stages, dilated 3x3 convolutions at
rates 2, 4, 8, 16; ELU) and a decoder that upsamples twice, concatenating the encoder features of each scale.
- SemanticNet (E1/G1): the decoder is made of region-wise convolutions (engines/nn/region_conv.py): separate
  filters for the missing and the existing regions, the hole mask resized with each feature map.
- PerceivingNet (E2/G2): the same layout with ordinary convolutions, over the composite I_c1.
Input: image with the hole blanked (3) + hole mask (1, 1 = missing). Output: RGB in [0, 1].
- RegionDiscriminator: a PatchGAN with spectral norm and Leaky ReLU 0.2 over [inferred region, mask]
  (the image times the hole, eq. 6); logits per patch.
Sides must be multiples of 4.
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch, check_mask_for
from engines.nn.gated import maybe_spectral
from engines.nn.region_conv import RegionConv2d

DILATIONS = (2, 4, 8, 16)


class _Encoder(nn.Module):
    """N x 4 x H x W -> features at H (b), H/2 (2b) and H/4 (4b)."""

    def __init__(self, base: int) -> None:
        super().__init__()
        conv = lambda cin, cout, k=3, s=1, d=1: nn.Sequential(nn.Conv2d(cin, cout, k, s, d * (k - 1) // 2, d), nn.ELU())  # noqa: E731
        self.at_full = conv(4, base, 5)
        self.at_half = nn.Sequential(conv(base, 2 * base, 3, 2), conv(2 * base, 2 * base))
        self.at_quarter = nn.Sequential(conv(2 * base, 4 * base, 3, 2), conv(4 * base, 4 * base),
                                     *(conv(4 * base, 4 * base, 3, 1, d) for d in DILATIONS))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        full = self.at_full(x)
        half = self.at_half(full)
        return full, half, self.at_quarter(half)


def _inputs(image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    check_image_batch(image, "image", 3)
    check_mask_for(hole, image)
    if image.shape[2] % 4 or image.shape[3] % 4:
        raise ValueError(f"sides must be multiples of 4; got {tuple(image.shape[2:])}")
    return torch.cat([image * (1 - hole), hole], dim=1)


def _up(x: torch.Tensor) -> torch.Tensor:
    return nn.functional.interpolate(x, scale_factor=2, mode="nearest")


class SemanticNet(nn.Module):
    """E1/G1: (image N x 3 x H x W, hole N x 1 x H x W) -> I_p1, RGB in [0, 1]."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        self.encoder = _Encoder(base)
        self.dec_half = nn.ModuleList([RegionConv2d(6 * base, 2 * base), RegionConv2d(2 * base, 2 * base)])
        self.dec_full = nn.ModuleList([RegionConv2d(3 * base, base), RegionConv2d(base, base // 2)])
        self.to_rgb = RegionConv2d(base // 2, 3)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        full, half, x = self.encoder(_inputs(image, hole))
        x = torch.cat([_up(x), half], dim=1)
        for layer in self.dec_half:
            x = nn.functional.elu(layer(x, hole))
        x = torch.cat([_up(x), full], dim=1)
        for layer in self.dec_full:
            x = nn.functional.elu(layer(x, hole))
        return (torch.tanh(self.to_rgb(x, hole)) + 1) / 2


class PerceivingNet(nn.Module):
    """E2/G2: (composite I_c1 N x 3 x H x W, hole N x 1 x H x W) -> I_p2, RGB in [0, 1]."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        self.encoder = _Encoder(base)
        conv = lambda cin, cout: nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.ELU())  # noqa: E731
        self.dec_half = nn.Sequential(conv(6 * base, 2 * base), conv(2 * base, 2 * base))
        self.dec_full = nn.Sequential(conv(3 * base, base), conv(base, base // 2))
        self.to_rgb = nn.Conv2d(base // 2, 3, 3, 1, 1)

    def forward(self, composite: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(composite, "composite", 3)
        check_mask_for(hole, composite)
        full, half, x = self.encoder(torch.cat([composite, hole], dim=1))
        x = self.dec_half(torch.cat([_up(x), half], dim=1))
        x = self.dec_full(torch.cat([_up(x), full], dim=1))
        return (torch.tanh(self.to_rgb(x)) + 1) / 2


class RegionDiscriminator(nn.Module):
    """[image x hole (3), hole (1)] N x 4 x H x W -> per-patch logits N x 1 x H/8 x W/8."""

    def __init__(self, base: int = 64) -> None:
        super().__init__()
        layers, previous = [], 4
        for width, stride in ((base, 2), (base * 2, 2), (base * 4, 2), (base * 8, 1)):
            layers += [maybe_spectral(nn.Conv2d(previous, width, 5 if stride == 2 else 3, stride, 2 if stride == 2 else 1), True),
                       nn.LeakyReLU(0.2)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.head = maybe_spectral(nn.Conv2d(previous, 1, 3, 1, 1), True)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(image, "RegionDiscriminator input", 3)
        check_mask_for(hole, image)
        return self.head(self.features(torch.cat([image * hole, hole], dim=1)))
