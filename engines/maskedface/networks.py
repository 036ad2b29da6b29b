"""The masked-face U-Net GAN (paper: ../shared/papers/maskedface_unet_mmrm_gan.txt).

Generator: a U-Net whose down- and up-sampling modules are MMRMs (multi-scale mixed-attention residual modules:
1x1, 3x3 and 5x5 branches, spatial attention on the 3x3 and 5x5 ones, concatenation, channel attention, a 1x1
fusion and a residual connection); the decoder fuses each skip by concatenation followed by channel attention.
In: the photo with the worn mask still on it (3) + the hole to replace (1); out: RGB in [0, 1].
Discriminator: PatchGAN of 4 convolutions (3x3, stride 2) with spectral norm.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from engines.nn.attention import ChannelAttention, SpatialAttention
from engines.nn.checks import check_image_batch, check_mask_for

WIDTHS = (32, 64, 128, 192, 192)  # stem, then after each of the four down-sampling MMRMs (fp16 weights < 16 MiB)


def _conv_act(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))


class MMRM(nn.Module):
    """N x C_in x H x W -> N x C_out x H/stride x W/stride."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.branch1 = _conv_act(in_channels, out_channels, 1, stride)
        self.branch3 = nn.Sequential(_conv_act(in_channels, out_channels, 3, stride), SpatialAttention())
        self.branch5 = nn.Sequential(_conv_act(in_channels, out_channels, 5, stride), SpatialAttention())
        self.channel_attention = ChannelAttention()
        self.fuse = nn.Conv2d(3 * out_channels, out_channels, 1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride) if (in_channels, stride) != (out_channels, 1) else nn.Identity()
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "MMRM input", self.in_channels)
        branches = torch.cat([self.branch1(x), self.branch3(x), self.branch5(x)], dim=1)
        return torch.relu(self.shortcut(x) + self.fuse(self.channel_attention(branches)))


class UpBlock(nn.Module):
    """Upsample 2x, concatenate the skip, channel attention, then an MMRM: -> N x C_out x 2H x 2W."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int) -> None:
        super().__init__()
        self.attention = ChannelAttention()
        self.mmrm = MMRM(in_channels + skip_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = nn.functional.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
        return self.mmrm(self.attention(torch.cat([x, skip], dim=1)))


class MaskedFaceGenerator(nn.Module):
    """image N x 3 x H x W in [0, 1] (worn mask visible), hole N x 1 x H x W -> N x 3 x H x W in [0, 1]; H, W multiples of 16."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        self.stem = _conv_act(4, widths[0], 3)  # in: image(3) + hole(1)
        self.down = nn.ModuleList(MMRM(widths[i], widths[i + 1], stride=2) for i in range(len(widths) - 1))
        ups = []
        for i in range(len(widths) - 1, 0, -1):
            ups.append(UpBlock(widths[i], widths[i - 1], widths[i - 1]))
        self.up = nn.ModuleList(ups)
        self.head = nn.Conv2d(widths[0], 3, 3, padding=1)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        check_image_batch(image, "image", 3)
        check_mask_for(hole, image)
        x = self.stem(torch.cat([image, hole], dim=1))
        skips = [x]
        for down in self.down:
            x = down(x)
            skips.append(x)
        skips.pop()
        for up in self.up:
            x = up(x, skips.pop())
        return (torch.tanh(self.head(x)) + 1) / 2


class MaskedFaceDiscriminator(nn.Module):
    """PatchGAN: 4 spectral-norm 3x3 stride-2 convolutions, N x 3 x H x W -> N x 1 x H/16 x W/16 logits."""

    def __init__(self, base: int = 64) -> None:
        super().__init__()
        widths = (3, base, base * 2, base * 4)
        layers = []
        for cin, cout in zip(widths, widths[1:]):
            layers += [spectral_norm(nn.Conv2d(cin, cout, 3, 2, 1)), nn.LeakyReLU(0.2, True)]
        layers.append(spectral_norm(nn.Conv2d(widths[-1], 1, 3, 2, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "discriminator input", 3)
        return self.net(x)
