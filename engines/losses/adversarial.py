"""Adversarial losses: non-saturating GAN (nsgan), least squares (lsgan) and hinge."""
from __future__ import annotations

from enum import StrEnum

import torch
from torch import nn


class GanKind(StrEnum):
    NSGAN = "nsgan"
    LSGAN = "lsgan"
    HINGE = "hinge"


def discriminator_loss(kind: GanKind, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """How well D separates real from fake; fake_logits must come from detached generator outputs. The metrics are
    detached tensors (reading them as numbers waits for the GPU: the training loop does that every few steps)."""
    if kind is GanKind.NSGAN:
        bce = nn.functional.binary_cross_entropy_with_logits
        real = bce(real_logits, torch.ones_like(real_logits))
        fake = bce(fake_logits, torch.zeros_like(fake_logits))
    elif kind is GanKind.LSGAN:
        real = ((real_logits - 1) ** 2).mean()
        fake = (fake_logits ** 2).mean()
    else:
        real = torch.relu(1 - real_logits).mean()
        fake = torch.relu(1 + fake_logits).mean()
    loss = (real + fake) / 2
    return loss, {"dis_real": real.detach(), "dis_fake": fake.detach(), "dis_adv": loss.detach()}


def generator_loss(kind: GanKind, fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's adversarial term for logits of its own (non-detached) outputs."""
    if kind is GanKind.NSGAN:
        return nn.functional.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind is GanKind.LSGAN:
        return ((fake_logits - 1) ** 2).mean()
    return -fake_logits.mean()


def feature_matching_loss(real_features: list[torch.Tensor], fake_features: list[torch.Tensor]) -> torch.Tensor:
    """LSK-FNet eq. 3 and CFS eq. 13: sum over the discriminator's layers i = 1..L of 1/N_i ||D_i(real) - D_i(fake)||_1
    (the mean |.| per layer, summed over layers, as EdgeConnect's code does)."""
    if len(real_features) != len(fake_features) or not real_features:
        raise ValueError("feature lists must be non-empty and of equal length")
    return sum(nn.functional.l1_loss(f, r.detach()) for r, f in zip(real_features, fake_features))
