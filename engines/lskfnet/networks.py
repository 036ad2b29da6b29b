"""LSK-FNet (edge-guided face inpainting with gated convolution and region normalization).

Paper: ../shared/papers/lskfnet_edge_guided_face_inpainting.txt. Two generators in the EdgeConnect layout
(encoder down-sampling twice, 8 residual blocks, decoder up-sampling twice), every convolution gated:
- G1, edges: in grey(1) + masked edges(1) + mask(1) -> edge probability(1); spectral norm, instance norm.
- G2, image: in masked image(3) + composited edges(1) -> RGB(3) in [0, 1]; RN-B (with the mask) in the
  encoder, RN-L in the residual blocks and decoder.
D1 and D2 are 70x70 PatchGANs with spectral norm (engines/nn/blocks.py), conditioned as in eqs. (2) and (6).
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.blocks import GatedResBlock
from engines.nn.checks import check_image_batch, check_mask_for
from engines.nn.gated import GatedConv2d, GatedUpConv2d
from engines.nn.region_norm import RegionNormB, RegionNormL


class EdgeGenerator(nn.Module):
    """G1: grey, edges, mask (each N x 1 x H x W, H and W multiples of 4) -> edge map N x 1 x H x W in [0, 1]."""

    def __init__(self, base: int = 32, blocks: int = 8) -> None:
        super().__init__()
        relu = lambda: nn.ReLU()  # noqa: E731  (not in place: gated outputs are views)
        norm = nn.InstanceNorm2d
        self.encoder = nn.Sequential(
            GatedConv2d(3, base, 7, activation=relu(), spectral=True), norm(base),
            GatedConv2d(base, base * 2, 3, stride=2, activation=relu(), spectral=True), norm(base * 2),
            GatedConv2d(base * 2, base * 4, 3, stride=2, activation=relu(), spectral=True), norm(base * 4),
        )
        self.middle = nn.Sequential(*[GatedResBlock(base * 4, dilation=2, spectral=True) for _ in range(blocks)])
        self.decoder = nn.Sequential(
            GatedUpConv2d(base * 4, base * 2, activation=relu(), spectral=True), norm(base * 2),
            GatedUpConv2d(base * 2, base, activation=relu(), spectral=True), norm(base),
            nn.Conv2d(base, 1, 7, padding=3),
        )

    def forward(self, grey: torch.Tensor, edges: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_image_batch(grey, "grey", 1)
        check_mask_for(mask, grey)
        x = torch.cat([grey * (1 - mask), edges * (1 - mask), mask], dim=1)  # in: grey(1) + edge(1) + mask(1)
        return torch.sigmoid(self.decoder(self.middle(self.encoder(x))))


class ImageGenerator(nn.Module):
    """G2: image N x 3 x H x W in [0, 1], edges N x 1 x H x W, mask N x 1 x H x W -> RGB N x 3 x H x W in [0, 1]."""

    def __init__(self, base: int = 32, blocks: int = 8) -> None:
        super().__init__()
        relu = lambda: nn.ReLU()  # noqa: E731  (not in place: gated outputs are views)
        self.enc1 = GatedConv2d(4, base, 7, activation=relu())
        self.rn1 = RegionNormB(base)
        self.enc2 = GatedConv2d(base, base * 2, 3, stride=2, activation=relu())
        self.rn2 = RegionNormB(base * 2)
        self.enc3 = GatedConv2d(base * 2, base * 4, 3, stride=2, activation=relu())
        self.rn3 = RegionNormB(base * 4)
        self.middle = nn.Sequential(*[GatedResBlock(base * 4, dilation=2, region_norm=True) for _ in range(blocks)])
        self.decoder = nn.Sequential(
            GatedUpConv2d(base * 4, base * 2, activation=relu()), RegionNormL(base * 2),
            GatedUpConv2d(base * 2, base, activation=relu()), RegionNormL(base),
            nn.Conv2d(base, 3, 7, padding=3),
        )

    def forward(self, image: torch.Tensor, edges: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_image_batch(image, "image", 3)
        check_mask_for(mask, image)
        x = torch.cat([image * (1 - mask), edges], dim=1)  # in: masked image(3) + composited edge(1)
        x = self.rn1(self.enc1(x), mask)
        x = self.rn2(self.enc2(x), mask)
        x = self.rn3(self.enc3(x), mask)
        return (torch.tanh(self.decoder(self.middle(x))) + 1) / 2
