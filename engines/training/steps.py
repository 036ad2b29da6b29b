"""Training steps shared by several engine families."""
from __future__ import annotations

import torch

from engines.losses.adversarial import GanKind, discriminator_loss, feature_matching_loss, generator_loss


def step_optimizer(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def line_map_step(trainer, generator: str, critic: str, batch: dict[str, torch.Tensor], gan: GanKind,
                  adv_weight: float, fm_weight: float, prefix: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """EdgeConnect's edge step, which CFS's sketch step repeats: the generator completes a line map
    (``batch["edge"]``) from the damaged grey image and map; the critic judges (map, grey) pairs; the generator
    minimises adv_weight * adversarial + fm_weight * feature matching. ``trainer`` has models, optimizers and
    autocast. Returns the predicted map and metrics named dis_<prefix>_* and gen_<prefix>_adv / _fm."""
    g, d = trainer.models[generator], trainer.models[critic]
    grey, truth, hole = batch["grey"], batch["edge"], batch["mask"]
    with trainer.autocast():
        predicted = g(grey, truth, hole)
        real_logits, real_features = d(torch.cat([truth, grey], 1))
        fake_logits, _ = d(torch.cat([predicted.detach(), grey], 1))
        d_loss, d_metrics = discriminator_loss(gan, real_logits.float(), fake_logits.float())
    step_optimizer(trainer.optimizers[critic], d_loss)
    with trainer.autocast():
        fake_logits, fake_features = d(torch.cat([predicted, grey], 1))
        adv = generator_loss(gan, fake_logits.float())
        fm = feature_matching_loss(real_features, fake_features)
    step_optimizer(trainer.optimizers[generator], adv_weight * adv + fm_weight * fm)
    metrics = {f"dis_{prefix}_{k[4:]}": v for k, v in d_metrics.items()}
    metrics.update({f"gen_{prefix}_adv": adv, f"gen_{prefix}_fm": fm})
    return predicted, metrics
