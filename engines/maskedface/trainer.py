"""Masked-face GAN training (paper section II.C and Table I): generator loss 0.01 adversarial (-D(G(z))) +
0.95 L1 + 0.04 TV (isotropic, eq. 3); the discriminator has only its adversarial loss (hinge, the pair of the
generator's -D term); Adam, learning rate 2e-4. Data: Algorithm-1 masked faces (engines/maskedface/data.py).
Paper against code: docs/papers/maskedface.md."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from engines.errors import InputError
from engines.losses.adversarial import GanKind, discriminator_loss, generator_loss
from engines.losses.pixel import l1_loss, total_variation
from engines.maskedface.data import MaskedBank, draw_masked_batch, load_masked_bank
from engines.maskedface.networks import MaskedFaceDiscriminator, MaskedFaceGenerator
from engines.nn.images import composite
from engines.training.config import TrainConfig
from engines.training.gpu import adam, unwrap
from engines.training.schedule import Phase
from engines.training.steps import step_optimizer

ADV, L1, TV = 0.01, 0.95, 0.04
VARIANTS = 3  # Algorithm-1 masked versions of each face


class MaskedFaceTrainer:
    EXPORTS = {"g": "generator.safetensors"}
    USES_VGG = False  # adversarial + L1 + TV only
    DEFAULTS = {"lr": 2e-4}  # Table I (its batch, 1500, was sized to the authors' GPU memory: the generic 16 is kept)
    PHASES = (Phase("gan", 1.0, ("g", "d")),)

    def __init__(self, config: TrainConfig, device: torch.device, vgg: None) -> None:
        self.config = config
        self.models = {"g": MaskedFaceGenerator().to(device), "d": MaskedFaceDiscriminator().to(device)}
        self.optimizers = {name: adam(m.parameters(), device, config.lr, (0.5, 0.999)) for name, m in self.models.items()}
        self.autocast = contextlib.nullcontext

    @staticmethod
    def load_data(config: TrainConfig) -> MaskedBank:
        if not config.landmarks:
            raise InputError("maskedface needs --landmarks FILE (made by `main.py landmarks` on the training folder)")
        return load_masked_bank(Path(config.data), Path(config.landmarks), config.size, config.limit, VARIANTS, config.seed)

    draw = staticmethod(draw_masked_batch)

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor]:
        g, d = self.models["g"], self.models["d"]
        g.train()
        d.train()
        masked, image, hole = batch["masked"], batch["image"], batch["mask"]
        with self.autocast():
            output = g(masked, hole)
            result = composite(output, masked, hole)
            d_loss, d_metrics = discriminator_loss(GanKind.HINGE, d(image).float(), d(result.detach()).float())
        step_optimizer(self.optimizers["d"], d_loss)
        with self.autocast():
            adv = generator_loss(GanKind.HINGE, d(result).float())
            l1 = l1_loss(output.float(), image)
            tv = total_variation(result.float(), isotropic=True)
            loss = ADV * adv + L1 * l1 + TV * tv
        step_optimizer(self.optimizers["g"], loss)
        hole_l1 = l1_loss(output.detach().float(), image, hole)
        return {**d_metrics, "gen_adv": adv, "gen_l1": l1, "gen_tv": tv, "gen_hole_l1": hole_l1}

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 4) -> np.ndarray:
        """masked input | result | truth, one row per face."""
        g = unwrap(self.models["g"])
        g.eval()
        masked, image, hole = (batch[k][:rows].float() for k in ("masked", "image", "mask"))
        result = composite(g(masked, hole), masked, hole)
        grid = torch.cat([torch.cat(list(column), dim=1) for column in (masked, result, image)], dim=2)
        return (grid.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
