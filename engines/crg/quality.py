"""CRG's quality discriminator (paper section 3.2 and appendix A) and the visual artifacts it is trained on.

Network: 3 blocks of a 3x3 convolution (64, 128, 256 filters), Leaky ReLU, 2x2 max pooling and 50 % spatial
dropout, then one fully connected layer to a sigmoid score: about 437k parameters at 128 px, as in the paper.
Training pairs: real faces (label 0.9; some with very mild artifacts, still real) against faces whose masked
region got blur (sigma 1.0-2.5), brightness (x 0.4-0.8) or contrast (x 0.4-0.8) changes (label 0.1).
"""
from __future__ import annotations

import torch
from torch import nn

from engines.nn.checks import check_image_batch, check_mask_for

HEAVY = {"blur": (1.0, 2.5), "brightness": (0.4, 0.8), "contrast": (0.4, 0.8)}
MILD = {"blur": (0.3, 0.8), "brightness": (0.85, 0.95), "contrast": (0.85, 0.95)}
KINDS = tuple(HEAVY)


class QualityDiscriminator(nn.Module):
    """N x 3 x S x S in [0, 1] (S = 128 by default) -> N scores in (0, 1): higher = more plausible."""

    def __init__(self, size: int = 128) -> None:
        super().__init__()
        layers = []
        for cin, cout in ((3, 64), (64, 128), (128, 256)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.2, True), nn.MaxPool2d(2), nn.Dropout2d(0.5)]
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(256 * (size // 8) ** 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "QualityDiscriminator input", 3)
        return torch.sigmoid(self.score(self.features(x).flatten(1))).squeeze(1)


BLUR_RADIUS = max(1, int(3 * max(HEAVY["blur"][1], MILD["blur"][1]) + 0.5))  # covers every sigma drawn


def _gaussian_blur(images: torch.Tensor, sigmas: torch.Tensor, radius: int) -> torch.Tensor:
    """N x C x H x W, each image blurred with its own sigma (N); separable, reflect padding, one grouped conv."""
    n, c, h, w = images.shape
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernels = torch.exp(-(x[None] ** 2) / (2 * sigmas[:, None].to(images.dtype) ** 2))
    kernels = (kernels / kernels.sum(1, keepdim=True)).repeat_interleave(c, 0)  # N*C x taps
    flat = nn.functional.pad(images.reshape(1, n * c, h, w), (radius, radius, radius, radius), mode="reflect")
    flat = nn.functional.conv2d(flat, kernels.view(n * c, 1, 1, -1), groups=n * c)
    return nn.functional.conv2d(flat, kernels.view(n * c, 1, -1, 1), groups=n * c).view(n, c, h, w)


def apply_artifacts(images: torch.Tensor, masks: torch.Tensor, kinds: torch.Tensor, values: torch.Tensor,
                    radius: int = BLUR_RADIUS) -> torch.Tensor:
    """Artifact ``KINDS[kinds[i]]`` of strength ``values[i]`` inside ``masks`` (N x 1 x H x W) of ``images`` (N x 3 x H x W
    in [0, 1]); pixels outside are kept. Every kind is computed for the whole batch, then each image takes its own."""
    check_mask_for(masks, images)
    scale = values.view(-1, 1, 1, 1).to(images.dtype)
    mean = images.mean(dim=(2, 3), keepdim=True)
    blurred = _gaussian_blur(images, values.clamp_min(1e-3), radius)
    changed = {"blur": blurred, "brightness": images * scale, "contrast": mean + (images - mean) * scale}
    chosen = kinds.view(-1, 1, 1, 1)
    out = changed[KINDS[0]]
    for index, kind in enumerate(KINDS[1:], 1):
        out = torch.where(chosen == index, changed[kind], out)
    return images * (1 - masks) + out.clamp(0, 1) * masks


def apply_artifact(image: torch.Tensor, mask: torch.Tensor, kind: str, value: float) -> torch.Tensor:
    """One artifact inside ``mask`` (1 x H x W) of ``image`` (3 x H x W in [0, 1]); pixels outside are kept."""
    if kind not in KINDS:
        raise ValueError(f"unknown artifact {kind!r}; one of {', '.join(KINDS)}")
    radius = max(1, int(3 * value + 0.5)) if kind == "blur" else 1
    kinds = torch.tensor([KINDS.index(kind)], device=image.device)
    return apply_artifacts(image[None], mask[None], kinds, torch.tensor([value], device=image.device), radius)[0]


def artifact_batch(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Half real (a third of those mildly touched), half with heavy artifacts; returns (images, labels 0.9/0.1).
    Drawn with ``generator`` on its device, the whole batch at once."""
    n, device = len(images), generator.device
    fake = torch.arange(n, device=device) % 2 == 1
    mild = ~fake & (torch.rand(n, generator=generator, device=device) < 1 / 3)
    kinds = torch.randint(len(KINDS), (n,), generator=generator, device=device)
    low, high = (torch.zeros(n, device=device) for _ in range(2))
    for index, kind in enumerate(KINDS):
        for ranges, rows in ((HEAVY, fake), (MILD, ~fake)):
            pick = rows & (kinds == index)
            low = torch.where(pick, ranges[kind][0], low)
            high = torch.where(pick, ranges[kind][1], high)
    values = low + (high - low) * torch.rand(n, generator=generator, device=device)
    touched = (fake | mild).view(-1, 1, 1, 1).to(images.device)
    changed = apply_artifacts(images, masks, kinds.to(images.device), values.to(images.device))
    labels = 0.9 - 0.8 * fake.to(images.device, images.dtype)
    return torch.where(touched, changed, images), labels
