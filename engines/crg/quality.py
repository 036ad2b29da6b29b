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


def _gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """3 x H x W, separable Gaussian with reflect padding."""
    radius = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    padded = nn.functional.pad(image[None], (radius, radius, radius, radius), mode="reflect")
    blurred = nn.functional.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    return nn.functional.conv2d(blurred, kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)[0]


def apply_artifact(image: torch.Tensor, mask: torch.Tensor, kind: str, value: float) -> torch.Tensor:
    """One artifact inside ``mask`` (1 x H x W) of ``image`` (3 x H x W in [0, 1]); pixels outside are kept."""
    check_mask_for(mask[None], image[None])
    if kind == "blur":
        changed = _gaussian_blur(image, value)
    elif kind == "brightness":
        changed = image * value
    elif kind == "contrast":
        mean = image.mean(dim=(1, 2), keepdim=True)
        changed = mean + (image - mean) * value
    else:
        raise ValueError(f"unknown artifact {kind!r}; one of {', '.join(KINDS)}")
    return (image * (1 - mask) + changed.clamp(0, 1) * mask)


def artifact_batch(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Half real (a third of those mildly touched), half with heavy artifacts; returns (images, labels 0.9/0.1)."""
    out, labels = [], []
    for i, (image, mask) in enumerate(zip(images, masks)):
        fake = i % 2 == 1
        mild = not fake and torch.rand(1, generator=generator).item() < 1 / 3
        if fake or mild:
            ranges = HEAVY if fake else MILD
            kind = KINDS[int(torch.randint(len(KINDS), (1,), generator=generator))]
            low, high = ranges[kind]
            value = low + (high - low) * torch.rand(1, generator=generator).item()
            image = apply_artifact(image, mask, kind, value)
        out.append(image)
        labels.append(0.1 if fake else 0.9)
    return torch.stack(out), torch.tensor(labels, device=images.device)
