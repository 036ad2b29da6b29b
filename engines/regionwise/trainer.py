"""Region-wise GAN training (paper section III, Algorithm 1, eq. 2-7).

L = L_r + lambda1 L_c + lambda2 L_s - lambda3 L_a with lambda1 = 1e-5, lambda2 = 1e-3, lambda3 = 0 for the
first 70 % of the run's budget ("pretrain"; the paper: 20 of 29 epochs) and 1 after ("adversarial"):
- L_r: L1 of I_p1 and of I_p2 against the truth (eq. 2);
- L_c: the correlation loss on the pool2 features of I_c1 (eq. 3-4; engines/losses/vgg.py);
- L_s: the style loss on pool1-3-level features of I_c2 (eq. 5);
- L_a (eq. 6), our reading: a PatchGAN on [image x hole, hole] with the hinge loss, each patch weighted by the
  hole mask at the logits' size (M'), alpha = 0.01 on the real term; the generators raise D on I_p1 and I_p2.
Adam, lr 1e-4 (the config's). Data: faces (aligned 128 px, --domain faces) or scenes (random 256 px crops,
--domain scenes --size 256). Paper against code: docs/papers/regionwise.md.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from engines.data.bank import Bank, Crop, draw_batch, face_bank, load_bank
from engines.losses.pixel import l1_loss
from engines.losses.vgg import VggFeatures, correlation_loss, style_sum_loss
from engines.nn.images import composite
from engines.nn.region_conv import mask_like
from engines.regionwise import SPEC
from engines.regionwise.networks import PerceivingNet, RegionDiscriminator, SemanticNet
from engines.training.config import TrainConfig
from engines.training.gpu import adam
from engines.training.schedule import Phase
from engines.training.steps import step_optimizer

LAMBDA_CORRELATION, LAMBDA_STYLE, LAMBDA_ADV, ALPHA = 1e-5, 1e-3, 1.0, 0.01


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (values * weights).sum() / weights.sum().clamp_min(1)


class RegionwiseTrainer:
    EXPORTS = {"semantic": "semantic.safetensors", "perceiving": "perceiving.safetensors"}
    USES_VGG = True
    DEFAULTS: dict = {}  # the paper's lr 1e-4 is the generic default; the size follows the domain (scenes 256)
    PHASES = (Phase("pretrain", 0.7, ("semantic", "perceiving")), Phase("adversarial", 0.3, ("semantic", "perceiving", "critic")))

    def __init__(self, config: TrainConfig, device: torch.device, vgg: VggFeatures) -> None:
        self.config = config
        self.vgg = vgg
        self.models = {"semantic": SemanticNet(config.base).to(device), "perceiving": PerceivingNet(config.base).to(device),
                       "critic": RegionDiscriminator().to(device)}
        generators = list(self.models["semantic"].parameters()) + list(self.models["perceiving"].parameters())
        self.optimizers = {"generators": adam(generators, device, config.lr),
                           "critic": adam(self.models["critic"].parameters(), device, config.lr)}
        self.autocast = contextlib.nullcontext

    @staticmethod
    def load_data(config: TrainConfig) -> Bank:
        domain = SPEC.domain(config.domain) if config.domain else None
        if domain is None:
            raise ValueError(f"regionwise trains one domain at a time: add --domain {' or '.join(d.name for d in SPEC.domains)}")
        if domain.faces:
            return face_bank(config)
        masks = Path(config.masks) if config.masks else None
        return load_bank(Path(config.data), masks, config.size, Crop.RANDOM, config.limit, config.generated_masks, seed=config.seed)

    draw = staticmethod(draw_batch)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """I_p1, I_c1, I_p2, I_c2 (Algorithm 1, lines 5-8)."""
        predicted1 = self.models["semantic"](image, hole)
        composite1 = composite(predicted1, image, hole)
        predicted2 = self.models["perceiving"](composite1, hole)
        return predicted1, composite1, predicted2, composite(predicted2, image, hole)

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor]:
        for model in self.models.values():
            model.train()
        image, hole = batch["image"], batch["mask"]
        adversarial = phase == "adversarial"
        metrics: dict[str, torch.Tensor] = {}
        with self.autocast():
            predicted1, composite1, predicted2, composite2 = (t.float() for t in self.forward(image, hole))
        critic = self.models["critic"]
        if adversarial:
            with self.autocast():
                real = critic(image, hole).float()
                weights = mask_like(hole, real)
                fakes = [critic(p.detach(), hole).float() for p in (predicted1, predicted2)]
                d_loss = ALPHA * _weighted_mean(torch.relu(1 - real), weights) + sum(_weighted_mean(torch.relu(1 + f), weights) for f in fakes)
            step_optimizer(self.optimizers["critic"], d_loss)
            metrics.update({"dis_adv": d_loss, "dis_real": real.mean()})
        with self.autocast():
            reconstruction = l1_loss(predicted1, image) + l1_loss(predicted2, image)
            target = self.vgg.pooled(image)
            correlation = correlation_loss(self.vgg.pooled(composite1)[1], target[1])
            style = style_sum_loss(self.vgg.pooled(composite2), target)
            loss = reconstruction + LAMBDA_CORRELATION * correlation + LAMBDA_STYLE * style
            if adversarial:
                adv = -sum(_weighted_mean(critic(p, hole).float(), weights) for p in (predicted1, predicted2))
                loss = loss + LAMBDA_ADV * adv
                metrics["gen_adv"] = adv
        step_optimizer(self.optimizers["generators"], loss)
        metrics.update({"gen_reconstruction": reconstruction, "gen_correlation": correlation, "gen_style": style,
                        "gen_hole_l1": l1_loss(composite2.detach(), image, hole)})
        return metrics

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 4) -> np.ndarray:
        """masked input | I_c1 | I_c2 | truth, one row per image."""
        for name in ("semantic", "perceiving"):
            self.models[name].eval()
        image, hole = batch["image"][:rows].float(), batch["mask"][:rows].float()
        _, first, _, result = self.forward(image, hole)
        grid = torch.cat([torch.cat(list(column), dim=1) for column in (image * (1 - hole) + hole, first, result, image)], dim=2)
        return (grid.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
