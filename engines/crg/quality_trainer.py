"""Training the quality discriminator: binary cross-entropy on softened labels (0.9 real, 0.1 with artifacts),
RMSProp (lr 1e-4, rho 0.9, eps 1e-8), as in the CRG paper's appendix."""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from engines.crg.quality import QualityDiscriminator, artifact_batch
from engines.data.bank import Bank, batch_generator, draw_batch, face_bank
from engines.training.config import TrainConfig


class QualityTrainer:
    EXPORTS = {"quality": "quality.safetensors"}
    USES_VGG = False

    def __init__(self, config: TrainConfig, device: torch.device, vgg: None) -> None:
        self.config = config
        self.models = {"quality": QualityDiscriminator(config.size).to(device)}
        self.optimizers = {"quality": torch.optim.RMSprop(self.models["quality"].parameters(), lr=config.lr, alpha=0.9, eps=1e-8)}
        self.autocast = contextlib.nullcontext

    load_data = staticmethod(face_bank)

    @staticmethod
    def draw(bank: Bank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
        drawn = draw_batch(bank, batch, seed, step, rank)
        images, labels = artifact_batch(drawn["image"], drawn["mask"], batch_generator(seed + 1, step, rank))
        return {"image": images, "label": labels}

    def phase(self, step: int) -> str:
        return "quality"

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        model = self.models["quality"]
        model.train()
        with self.autocast():
            scores = model(batch["image"]).float()
        loss = nn.functional.binary_cross_entropy(scores, batch["label"])
        self.optimizers["quality"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["quality"].step()
        real = batch["label"] > 0.5
        return {"dis_bce": loss.item(), "dis_real_score": scores[real].mean().item(), "dis_artifact_score": scores[~real].mean().item()}

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 8) -> np.ndarray:
        """The first images of the batch in a row (real and with artifacts alternate)."""
        images = batch["image"][:rows].float()
        return (torch.cat(list(images), dim=2).clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
