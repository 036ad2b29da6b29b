"""CRG's encoder E, generator G, the GAN discriminator that trains G, and the U-Net refiner.

The paper used a progressive GAN (and a separately trained encoder) at 128 px. Ours must train in minutes on
one GPU, so G is a DCGAN-style generator with spectral norm, trained with the hinge loss: z (128) -> 4 x 4 ->
five nearest-neighbour 2x upsamplings with 3x3 convolutions, batch norm and ReLU -> RGB in [0, 1] at 128 px.
E mirrors it (five stride-2 convolutions, batch norm, Leaky ReLU 0.2, a linear layer to z). E is trained for
reconstruction (G(E(x)) ~ x) and latent cycle consistency (E(G(z)) ~ z): see engines/crg/trainer.py.

The refiner follows the paper's Table 3 (appendix A) at half its widths so that its fp16 file stays under
16 MiB: six stride-2 convolutions (7x7, 5x5, 5x5, 3x3, 3x3, 3x3) with batch norm and ReLU, then six steps of
2x upsampling, concatenation with the encoder feature of that scale (the last with the input) and a 3x3
convolution with batch norm and Leaky ReLU 0.2; a final 3x3 convolution to RGB. Table 3 lists seven
upsampling steps for six encoder convolutions; with stride-2 encoder convolutions (as in PConv, which the paper
adapts) six steps bring the image back to its size. The input is the coarse composite and the hole mask (the
paper gives the U-Net "a mask and coarse CRG result").
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from engines.nn.checks import check_image_batch, check_mask_for

Z_DIM = 128
SIZE = 128


def _widths(base: int) -> tuple[int, ...]:
    """Channels at 4, 8, 16, 32, 64 and 128 px."""
    return (base * 8, base * 8, base * 4, base * 2, base, base)


class Generator(nn.Module):
    """z: N x 128 -> N x 3 x 128 x 128 in [0, 1]."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        widths = _widths(base)
        self.project = spectral_norm(nn.Linear(Z_DIM, widths[0] * 16))
        blocks = []
        for cin, cout in zip(widths, widths[1:]):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"), spectral_norm(nn.Conv2d(cin, cout, 3, padding=1)),
                       nn.BatchNorm2d(cout), nn.ReLU()]
        self.blocks = nn.Sequential(nn.BatchNorm2d(widths[0]), nn.ReLU(), *blocks)
        self.to_rgb = spectral_norm(nn.Conv2d(widths[-1], 3, 3, padding=1))
        self.first = widths[0]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != Z_DIM:
            raise ValueError(f"z must be N x {Z_DIM}; got {tuple(z.shape)}")
        x = self.project(z).view(-1, self.first, 4, 4)
        return (torch.tanh(self.to_rgb(self.blocks(x))) + 1) / 2


class Encoder(nn.Module):
    """N x 3 x 128 x 128 in [0, 1] -> z: N x 128."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        widths = _widths(base)[::-1]  # 128 px first
        layers = [nn.Conv2d(3, widths[0], 3, padding=1), nn.LeakyReLU(0.2)]
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.to_z = nn.Linear(widths[-1] * 16, Z_DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "Encoder input", 3)
        if x.shape[2:] != (SIZE, SIZE):
            raise ValueError(f"the encoder takes {SIZE} x {SIZE} faces; got {tuple(x.shape[2:])}")
        return self.to_z(self.features(x * 2 - 1).flatten(1))


class Discriminator(nn.Module):
    """The GAN critic for G: N x 3 x 128 x 128 -> N logits; spectral norm, Leaky ReLU 0.2."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        widths = _widths(base)[::-1]
        layers = [spectral_norm(nn.Conv2d(3, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for cin, cout in zip(widths, widths[1:]):
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = spectral_norm(nn.Linear(widths[-1] * 16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "Discriminator input", 3)
        return self.head(self.features(x * 2 - 1).flatten(1)).squeeze(1)


REFINER_ENCODER = ((7, 1), (5, 2), (5, 4), (3, 8), (3, 8), (3, 8))  # (kernel, width / base) of Conv1-Conv6
REFINER_MAX_BASE = 32  # Table 3 at half width: 8.9 MiB in fp16


class Refiner(nn.Module):
    """coarse composite N x 3 x H x W in [0, 1] and hole mask N x 1 x H x W (H, W multiples of 64) -> RGB in [0, 1]."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        base = min(base, REFINER_MAX_BASE)  # the run's base (G/E width) may be larger; the refiner stays < 16 MiB
        self.down = nn.ModuleList()
        previous, skips = 4, [4]
        for kernel, factor in REFINER_ENCODER:
            width = base * factor
            self.down.append(nn.Sequential(nn.Conv2d(previous, width, kernel, 2, kernel // 2, bias=False), nn.BatchNorm2d(width), nn.ReLU()))
            skips.append(width)
            previous = width
        self.up = nn.ModuleList()
        for skip in reversed(skips[:-1]):
            width = base if skip == 4 else skip  # the last step (with the input) keeps the first width
            self.up.append(nn.Sequential(nn.Conv2d(previous + skip, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.LeakyReLU(0.2)))
            previous = width
        self.to_rgb = nn.Conv2d(previous, 3, 3, 1, 1)

    def forward(self, coarse: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_image_batch(coarse, "Refiner input", 3)
        check_mask_for(mask, coarse)
        if coarse.shape[2] % 64 or coarse.shape[3] % 64:
            raise ValueError(f"the refiner needs sides that are multiples of 64; got {tuple(coarse.shape[2:])}")
        x = torch.cat([coarse * 2 - 1, mask], dim=1)
        features = [x]
        for layer in self.down:
            x = layer(x)
            features.append(x)
        features.pop()
        for layer in self.up:
            x = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
            x = layer(torch.cat([x, features.pop()], dim=1))
        return (torch.tanh(self.to_rgb(x)) + 1) / 2
