"""LSK-FNet training: the edge model, then the image model on ground-truth edges, then both jointly (the image
model fed the edge model's predictions). The three phases split the run's budget (steps or minutes) in thirds.

Loss weights from the paper (section 4): edges adv 1 + feature matching 10 (eq. 4; summed over D1's layers as
eq. 3 writes it); image L1 1 + adv 0.1 + perceptual 0.1 (summed over the VGG levels, eq. 7) + style 250 (the mean
over the levels, eq. 8's E_j). Adam with beta1 = 0, beta2 = 0.9; discriminators at a tenth of the generators'
learning rate (as in EdgeConnect, whose training recipe the paper follows). Paper against code: docs/papers/lskfnet.md.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch

from engines.data.bank import draw_batch, face_bank
from engines.losses.adversarial import GanKind, discriminator_loss, generator_loss
from engines.losses.pixel import l1_loss
from engines.losses.vgg import LayerReduction, VggFeatures, perceptual_loss, style_loss
from engines.lskfnet.networks import EdgeGenerator, ImageGenerator
from engines.nn.blocks import PatchDiscriminator
from engines.nn.images import composite
from engines.training.config import TrainConfig
from engines.training.gpu import adam, unwrap
from engines.training.schedule import Phase
from engines.training.steps import line_map_step, step_optimizer

EDGE_ADV, EDGE_FM = 1.0, 10.0
IMAGE_L1, IMAGE_ADV, IMAGE_PERCEPTUAL, IMAGE_STYLE = 1.0, 0.1, 0.1, 250.0
DIS_LR_RATIO = 0.1


class LskfnetTrainer:
    EXPORTS = {"g1": "edge.safetensors", "g2": "image.safetensors"}  # checkpoint model -> shipped file
    USES_VGG = True  # perceptual and style losses
    DEFAULTS: dict = {}  # EdgeConnect's lr 1e-4 (the paper gives none), as the generic default
    PHASES = (Phase("edge", 1 / 3, ("g1", "d1")), Phase("inpaint", 1 / 3, ("g2", "d2")),
              Phase("joint", 1 / 3, ("g1", "d1", "g2", "d2")))

    def __init__(self, config: TrainConfig, device: torch.device, vgg: VggFeatures) -> None:
        self.config = config
        self.gan = GanKind(config.gan)
        self.vgg = vgg
        self.models = {
            "g1": EdgeGenerator(config.base).to(device),
            "d1": PatchDiscriminator(2).to(device),  # in: edge(1) + grey(1)
            "g2": ImageGenerator(config.base).to(device),
            "d2": PatchDiscriminator(4).to(device),  # in: image(3) + composited edge(1)
        }
        self.optimizers = {name: adam(model.parameters(), device, config.lr * (DIS_LR_RATIO if name.startswith("d") else 1.0),
                                      (0.0, 0.9)) for name, model in self.models.items()}
        self.autocast = contextlib.nullcontext

    load_data = staticmethod(face_bank)

    draw = staticmethod(draw_batch)

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor]:
        for model in self.models.values():
            model.train()
        metrics: dict[str, torch.Tensor] = {}
        predicted = None
        if phase in ("edge", "joint"):
            predicted = self._edge_step(batch, metrics)
        if phase in ("inpaint", "joint"):
            edges = batch["edge"] if phase == "inpaint" else predicted.detach()
            self._image_step(batch, edges, metrics)
        return metrics

    def _edge_step(self, batch, metrics) -> torch.Tensor:
        predicted, edge_metrics = line_map_step(self, "g1", "d1", batch, self.gan, EDGE_ADV, EDGE_FM, "edge")
        hole = batch["mask"].expand_as(batch["edge"])
        precision_hits = ((predicted.detach() > 0.5) & (batch["edge"] > 0.5) & (hole > 0)).sum()
        recall = precision_hits / ((batch["edge"] > 0.5) & (hole > 0)).sum().clamp_min(1)
        metrics.update({**edge_metrics, "gen_edge_recall": recall})
        return predicted

    def _image_step(self, batch, edges: torch.Tensor, metrics) -> None:
        g2, d2 = self.models["g2"], self.models["d2"]
        image, mask = batch["image"], batch["mask"]
        edges = composite(edges, batch["edge"], mask)
        with self.autocast():
            output = g2(image, edges, mask)
            real_logits, _ = d2(torch.cat([image, edges], 1))
            fake_logits, _ = d2(torch.cat([output.detach(), edges], 1))
            d_loss, d_metrics = discriminator_loss(self.gan, real_logits.float(), fake_logits.float())
        step_optimizer(self.optimizers["d2"], d_loss)
        metrics.update({f"dis_image_{k[4:]}": v for k, v in d_metrics.items()})
        with self.autocast():
            fake_logits, _ = d2(torch.cat([output, edges], 1))
            adv = generator_loss(self.gan, fake_logits.float())
            l1 = l1_loss(output.float(), image) / mask.mean().clamp_min(1e-3)
            out_features, real_features = self.vgg(output.float()), self.vgg(image)
            perceptual = perceptual_loss(out_features, real_features, LayerReduction.SUM)  # eq. 7: sum over levels
            style = style_loss(out_features, real_features, LayerReduction.MEAN)  # eq. 8: E_j, the mean over levels
            loss = IMAGE_L1 * l1 + IMAGE_ADV * adv + IMAGE_PERCEPTUAL * perceptual + IMAGE_STYLE * style
        step_optimizer(self.optimizers["g2"], loss)
        hole_l1 = l1_loss(output.detach().float(), image, mask)
        metrics.update({"gen_image_l1": l1, "gen_image_adv": adv, "gen_image_perceptual": perceptual, "gen_image_style": style,
                        "gen_image_hole_l1": hole_l1})

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 4) -> np.ndarray:
        """A PNG-ready grid: masked input | predicted edges | result | ground truth, one row per image."""
        g1, g2 = (unwrap(self.models[n]) for n in ("g1", "g2"))
        g1.eval()
        g2.eval()
        image, mask, grey, edge = (batch[k][:rows].float() for k in ("image", "mask", "grey", "edge"))
        predicted = composite(g1(grey, edge, mask), edge, mask)
        result = composite(g2(image, predicted, mask), image, mask)
        columns = [image * (1 - mask) + mask, predicted.expand_as(image), result, image]
        grid = torch.cat([torch.cat(list(column), dim=1) for column in columns], dim=2)
        return (grid.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
