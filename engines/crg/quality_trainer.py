"""Training the quality discriminator as the CRG paper's appendix A does: binary cross-entropy on softened labels
(0.9 real, 0.1 with artifacts), RMSProp (lr 1e-4, rho 0.9, eps 1e-8), batch 128, and the learning rate halved
when the validation loss has not improved for 15 epochs. Artifacts go into regular (rectangular) and irregular
masks alike (section 3.2). Paper against code: docs/papers/crg.md.

Validation: VAL_SHARE of the faces (at most VAL_MAX) never enter training; their artifact versions are made once,
and the plateau check runs on them at the end of every epoch (an epoch = the training faces over the batch).
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from engines.crg.quality import QualityDiscriminator, artifact_batch
from engines.data.bank import Bank, batch_generator, draw_batch, face_bank
from engines.data.masks import rectangle_masks
from engines.training.config import TrainConfig
from engines.training.gpu import rmsprop
from engines.training.schedule import Phase

PAPER_BATCH = 128
PLATEAU_PATIENCE, PLATEAU_FACTOR, PLATEAU_MIN_DELTA = 15, 0.5, 1e-4  # epochs; Keras' ReduceLROnPlateau min_delta
RECTANGLE_SHARE = 0.5  # of the artifact masks; the rest are the bank's irregular masks
VAL_SHARE, VAL_MAX = 0.05, 1024
VAL_CHUNK = 256


@dataclass
class QualityBank:
    """The training faces and, held out from them, a fixed validation set (images with artifacts, labels)."""

    train: Bank
    val_images: torch.Tensor
    val_labels: torch.Tensor

    @property
    def nbytes(self) -> int:
        return self.train.nbytes + self.val_images.numel() * self.val_images.element_size()

    def to(self, device: torch.device | str) -> QualityBank:
        return QualityBank(self.train.to(device), self.val_images.to(device), self.val_labels.to(device))

    def steps_per_epoch(self, batch: int) -> int:
        return max(1, math.ceil(len(self.train.images) / batch))


def artifact_masks(bank_masks: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The bank's irregular masks (N x 1 x S x S) with RECTANGLE_SHARE of them replaced by random rectangles."""
    n, size = len(bank_masks), bank_masks.shape[-1]
    rectangles = rectangle_masks(n, size, generator).to(bank_masks.device)
    use = (torch.rand(n, generator=generator, device=generator.device) < RECTANGLE_SHARE).to(bank_masks.device)
    return torch.where(use.view(-1, 1, 1, 1), rectangles, bank_masks)


def split_bank(bank: Bank, seed: int) -> QualityBank:
    """Hold out the last VAL_SHARE of the faces (at least one, at most VAL_MAX) with fixed artifacts."""
    count = len(bank.images)
    if count < 2:
        raise ValueError("crg-quality needs at least 2 images: some are held out to watch the validation loss")
    held = min(VAL_MAX, max(1, round(VAL_SHARE * count)))
    train = replace(bank, images=bank.images[:-held], edges=bank.edges[:-held] if bank.edges is not None else None)
    generator = torch.Generator().manual_seed(seed + 4)
    faces = bank.images[-held:].float() / 255
    picks = torch.randint(len(bank.masks), (held,), generator=generator)
    masks = artifact_masks(bank.masks[picks].float(), generator)
    images, labels = artifact_batch(faces, masks, generator)
    return QualityBank(train, (images * 255).round().to(torch.uint8), labels)


class PlateauHalving:
    """Keras' ReduceLROnPlateau as the paper used it (factor 0.5, patience 15 epochs): each check that does not
    improve the best validation loss by PLATEAU_MIN_DELTA counts; at ``patience`` such checks the learning rate
    halves and the count restarts. torch's ReduceLROnPlateau keeps its counters outside the optimizer, which the
    checkpoint would lose; these live in the optimizer's param groups, so a resumed run continues them exactly."""

    def __init__(self, optimizer: torch.optim.Optimizer, patience: int = PLATEAU_PATIENCE, factor: float = PLATEAU_FACTOR,
                 min_delta: float = PLATEAU_MIN_DELTA) -> None:
        self.optimizer, self.patience, self.factor, self.min_delta = optimizer, patience, factor, min_delta

    def step(self, loss: float) -> None:
        for group in self.optimizer.param_groups:
            if loss < group.get("plateau_best", math.inf) - self.min_delta:
                group["plateau_best"], group["plateau_waited"] = loss, 0
                continue
            group["plateau_waited"] = group.get("plateau_waited", 0) + 1
            if group["plateau_waited"] >= self.patience:
                group["lr"] *= self.factor
                group["plateau_waited"] = 0


class QualityTrainer:
    EXPORTS = {"quality": "quality.safetensors"}
    USES_VGG = False
    DEFAULTS = {"batch": PAPER_BATCH}  # the paper's hyper-parameters that differ from the generic defaults
    PHASES = (Phase("quality", 1.0, ("quality",)),)
    FIXED_SIZE = 128  # it scores aligned 128 px faces (engines/crg/scorer.py), its last layer sized for them

    def __init__(self, config: TrainConfig, device: torch.device, vgg: None) -> None:
        self.config = config
        self.models = {"quality": QualityDiscriminator(config.size).to(device)}
        self.optimizers = {"quality": rmsprop(self.models["quality"].parameters(), device, config.lr, alpha=0.9, eps=1e-8)}
        self.plateau = PlateauHalving(self.optimizers["quality"])
        self.validation_bce: float | None = None
        self.autocast = contextlib.nullcontext

    @staticmethod
    def load_data(config: TrainConfig) -> QualityBank:
        return split_bank(face_bank(config), config.seed)

    @staticmethod
    def draw(bank: QualityBank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
        """A training batch with artifacts; at the end of every epoch also the validation set."""
        drawn = draw_batch(bank.train, batch, seed, step, rank)
        generator = batch_generator(seed + 1, step, rank, drawn["image"].device)
        images, labels = artifact_batch(drawn["image"], artifact_masks(drawn["mask"], generator), generator)
        out = {"image": images, "label": labels}
        if (step + 1) % bank.steps_per_epoch(batch) == 0:
            out.update(val_image=bank.val_images, val_label=bank.val_labels)
        return out

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor | float]:
        model = self.models["quality"]
        model.train()
        with self.autocast():
            scores = model(batch["image"]).float()
        loss = nn.functional.binary_cross_entropy(scores, batch["label"])
        self.optimizers["quality"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["quality"].step()
        if "val_image" in batch:
            self.validation_bce = self.validate(batch["val_image"], batch["val_label"])
            self.plateau.step(self.validation_bce)
        real = (batch["label"] > 0.5).float()
        mean_where = lambda rows: (scores.detach() * rows).sum() / rows.sum().clamp_min(1)  # noqa: E731  (no host sync)
        metrics = {"dis_bce": loss, "dis_real_score": mean_where(real), "dis_artifact_score": mean_where(1 - real),
                   "dis_lr": self.optimizers["quality"].param_groups[0]["lr"]}
        if self.validation_bce is not None:
            metrics["dis_val_bce"] = self.validation_bce
        return metrics

    @torch.no_grad()
    def validate(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        """Mean BCE over the held-out set (uint8 images), dropout off."""
        model = self.models["quality"]
        model.eval()
        total = 0.0
        for start in range(0, len(images), VAL_CHUNK):
            chunk = images[start:start + VAL_CHUNK].float() / 255
            with self.autocast():
                scores = model(chunk).float()
            total += nn.functional.binary_cross_entropy(scores, labels[start:start + VAL_CHUNK], reduction="sum").item()
        return total / len(images)

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 8) -> np.ndarray:
        """The first images of the batch in a row (real and with artifacts alternate)."""
        images = batch["image"][:rows].float()
        return (torch.cat(list(images), dim=2).clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
