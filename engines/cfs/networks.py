"""CFS sketch-guided inpainting networks (../shared/papers/cfs_sketch_guided_inpainting.txt, section 3.1).

- SketchGenerator G_s: partial convolutions with the mask update of eq. (1)-(2) everywhere: 4 stride-2 layers
  down, 4 dilated residual blocks, 4 x (2x upsampling + partial convolution) up, then a partial convolution to
  one channel. In: damaged grey (1) + damaged sketch (1), and the valid mask. Out: sketch in [0, 1].
- ImageGenerator G_i: CFS blocks (engines/nn/cfs_block.py) in the same layout with 8 dilated residual blocks.
  In: damaged image (3) + composited sketch (1) + mask (1). Out: RGB in [0, 1].
- Discriminator: 3 stride-2 convolutions, then two 'same' convolutions that widen and then reduce to 1 channel;
  spectral norm, Leaky ReLU 0.2, no batch norm (the paper: it hurts colour coherence). Returns logits and every
  layer's output for feature matching.
Spectral norm in every generator and discriminator convolution, no batch norm anywhere, Leaky ReLU 0.2.
Paper against code: docs/papers/cfs.md.
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.cfs_block import CFSBlock
from engines.nn.checks import check_image_batch, check_mask_for
from engines.nn.gated import maybe_spectral
from engines.nn.partial import PartialConv2d

def _act(x: torch.Tensor) -> torch.Tensor:
    return nn.functional.leaky_relu(x, 0.2)


def _widths(base: int) -> tuple[int, ...]:
    return (base, base * 2, base * 3, base * 3)  # 32-64-96-96: the image generator's fp16 file stays under 16 MiB


class _PartialResBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = PartialConv2d(channels, channels, 3, dilation=dilation, spectral=True)
        self.conv2 = PartialConv2d(channels, channels, 3, spectral=True)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y, m = self.conv1(x, valid)
        y, m = self.conv2(_act(y), m)
        return x + y, m


class SketchGenerator(nn.Module):
    """grey, sketch: N x 1 x H x W; hole: N x 1 x H x W (1 = missing) -> sketch N x 1 x H x W in [0, 1]."""

    def __init__(self, base: int = 32, blocks: int = 4) -> None:
        super().__init__()
        widths = _widths(base)
        self.down = nn.ModuleList(PartialConv2d(cin, cout, 4 if i else 7, stride=2, spectral=True)
                                  for i, (cin, cout) in enumerate(zip((2,) + widths, widths)))
        self.middle = nn.ModuleList(_PartialResBlock(widths[-1], 2) for _ in range(blocks))
        ups = widths[::-1][1:] + (base // 2,)
        self.up = nn.ModuleList(PartialConv2d(cin, cout, 3, spectral=True) for cin, cout in zip(widths[::-1], ups))
        self.out = PartialConv2d(ups[-1], 1, 3, spectral=True)  # the paper: spectral norm throughout the generators

    def forward(self, grey: torch.Tensor, sketch: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(grey, "grey", 1)
        check_mask_for(hole, grey)
        valid = 1 - hole
        x, m = torch.cat([grey * valid, sketch * valid], dim=1), valid
        for layer in self.down:
            x, m = layer(x, m)
            x = _act(x)
        for block in self.middle:
            x, m = block(x, m)
        up = nn.functional.interpolate
        for layer in self.up:
            x, m = layer(up(x, scale_factor=2, mode="nearest"), up(m, scale_factor=2, mode="nearest"))
            x = _act(x)
        x, _ = self.out(x, m)
        return torch.sigmoid(x)


class _CFSResBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.block1 = CFSBlock(channels, channels, 3, dilation=dilation)
        self.block2 = CFSBlock(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block2(self.block1(x))


class ImageGenerator(nn.Module):
    """image: N x 3 x H x W in [0, 1]; sketch: N x 1 x H x W (composited); hole: N x 1 x H x W -> RGB in [0, 1]."""

    def __init__(self, base: int = 32, blocks: int = 8) -> None:
        super().__init__()
        widths = _widths(base)
        self.down = nn.Sequential(*(CFSBlock(cin, cout, 4 if i else 7, stride=2)
                                    for i, (cin, cout) in enumerate(zip((5,) + widths, widths))))
        self.middle = nn.Sequential(*(_CFSResBlock(widths[-1], 2) for _ in range(blocks)))
        ups = widths[::-1][1:] + (base // 2,)
        layers = []
        for cin, cout in zip(widths[::-1], ups):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), CFSBlock(cin, cout, 3)]
        self.up = nn.Sequential(*layers)
        self.out = maybe_spectral(nn.Conv2d(ups[-1], 3, 3, padding=1), True)

    def forward(self, image: torch.Tensor, sketch: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(image, "image", 3)
        check_mask_for(hole, image)
        x = torch.cat([image * (1 - hole), sketch, hole], dim=1)
        return (torch.tanh(self.out(self.up(self.middle(self.down(x))))) + 1) / 2


class Discriminator(nn.Module):
    """N x C x H x W -> (N x 1 x H/8 x W/8 logits, every layer's output with the logits last: eq. 13 sums its
    feature matching over all L layers)."""

    def __init__(self, in_channels: int, base: int = 64) -> None:
        super().__init__()
        widths = (base, base * 2, base * 4)
        layers, previous = [], in_channels
        for width in widths:
            layers.append(maybe_spectral(nn.Conv2d(previous, width, 4, 2, 1), True))
            previous = width
        layers.append(maybe_spectral(nn.Conv2d(previous, base * 8, 3, 1, 1), True))
        self.layers = nn.ModuleList(layers)
        self.head = maybe_spectral(nn.Conv2d(base * 8, 1, 3, 1, 1), True)
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        check_image_batch(x, "Discriminator input", self.in_channels)
        features = []
        for layer in self.layers:
            x = _act(layer(x))
            features.append(x)
        logits = self.head(x)
        return logits, features + [logits]
