"""CFS training (paper section 3.3) in two phases over one run.

"sketch" (the first 40 % of the run's budget, steps or minutes): G_s predicts the complete sketch from the damaged grey image and
sketch; D_s judges (sketch, grey) pairs with the hinge loss (eq. 12); G_s minimises 0.1 adv + 10 feature
matching (eq. 11, 13). Its binary accuracy in the hole (the paper reports 77 %) is logged.
"image" (the rest): G_i fills the image from the damaged image and the composited sketch
S_comp = S_pred (hole) + S_gt (known) made by the now fixed G_s; D_i (hinge) judges images;
G_i minimises L1 + 0.1 adv + 0.1 perceptual + 300 style + 10 feature matching: eq. 14 except the perceptual
weight, which the paper gives as 300 without defining the loss beyond its reference [7]. Measured on faces
(bench/loss_terms.py: a blurred hole, a mean-colour hole, a flat grey image), 300 x the perceptual loss is
52-236 (more still in Johnson's squared reading), a thousand times the L1 (0.01-0.2) and adversarial terms: a
run would learn only to match VGG features. 0.1 is EdgeConnect's weight, whose two-stage scheme CFS follows. Perceptual and style are the per-level means over relu1_1, relu2_1,
relu3_1. Adam (beta1 0, beta2 0.9) at the config's learning rate; discriminators at a tenth of it, as in
EdgeConnect. Paper against code: docs/papers/cfs.md.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch

from engines.cfs.networks import Discriminator, ImageGenerator, SketchGenerator
from engines.data.bank import draw_batch, face_bank
from engines.losses.adversarial import GanKind, discriminator_loss, feature_matching_loss, generator_loss
from engines.losses.pixel import l1_loss
from engines.losses.vgg import LayerReduction, VggFeatures, perceptual_loss, style_loss
from engines.nn.images import composite
from engines.training.config import TrainConfig
from engines.training.gpu import adam, unwrap
from engines.training.schedule import Phase
from engines.training.steps import line_map_step, step_optimizer

SKETCH_ADV, SKETCH_FM = 0.1, 10.0
IMAGE_L1, IMAGE_ADV, IMAGE_PERCEPTUAL, IMAGE_STYLE, IMAGE_FM = 1.0, 0.1, 0.1, 300.0, 10.0  # eq. 14 but perceptual
DIS_LR_RATIO = 0.1


def sketch_accuracy(predicted: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Binary accuracy in the hole: (predicted > 0.5) == (truth > 0.5), over the hole pixels."""
    agree = ((predicted > 0.5) == (truth > 0.5)).float() * hole
    return agree.sum() / hole.sum().clamp_min(1)


class CfsTrainer:
    EXPORTS = {"gs": "sketch.safetensors", "gi": "image.safetensors"}
    USES_VGG = True
    DEFAULTS: dict = {}  # the paper gives Adam and batch 6 (a 1080 Ti at 256 px), no lr: EdgeConnect's 1e-4 and batch 16
    PHASES = (Phase("sketch", 0.4, ("gs", "ds")), Phase("image", 0.6, ("gi", "di")))

    def __init__(self, config: TrainConfig, device: torch.device, vgg: VggFeatures) -> None:
        self.config = config
        self.vgg = vgg
        self.models = {"gs": SketchGenerator(config.base).to(device), "ds": Discriminator(2).to(device),
                       "gi": ImageGenerator(config.base).to(device), "di": Discriminator(3).to(device)}
        self.optimizers = {name: adam(model.parameters(), device, config.lr * (DIS_LR_RATIO if name[0] == "d" else 1), (0.0, 0.9))
                           for name, model in self.models.items()}
        self.autocast = contextlib.nullcontext

    @staticmethod
    def load_data(config: TrainConfig):
        return face_bank(config, sketches=True)

    draw = staticmethod(draw_batch)

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor]:
        return self._sketch_step(batch) if phase == "sketch" else self._image_step(batch)

    def _sketch_step(self, batch) -> dict[str, torch.Tensor]:
        for name in ("gs", "ds"):
            self.models[name].train()
        predicted, metrics = line_map_step(self, "gs", "ds", batch, GanKind.HINGE, SKETCH_ADV, SKETCH_FM, "sketch")
        accuracy = sketch_accuracy(predicted.detach(), batch["edge"], batch["mask"])
        return {**metrics, "gen_sketch_accuracy": accuracy}

    @torch.no_grad()
    def composited_sketch(self, batch) -> torch.Tensor:
        gs = unwrap(self.models["gs"])
        gs.eval()
        grey, sketch, hole = batch["grey"], batch["edge"], batch["mask"]
        return composite(gs(grey, sketch, hole), sketch, hole)

    def _image_step(self, batch) -> dict[str, torch.Tensor]:
        gi, di = self.models["gi"], self.models["di"]
        gi.train()
        di.train()
        image, hole = batch["image"], batch["mask"]
        sketch = self.composited_sketch(batch)
        with self.autocast():
            output = gi(image, sketch, hole)
            real_logits, real_features = di(image)
            fake_logits, _ = di(output.detach())
            d_loss, d_metrics = discriminator_loss(GanKind.HINGE, real_logits.float(), fake_logits.float())
        step_optimizer(self.optimizers["di"], d_loss)
        with self.autocast():
            fake_logits, fake_features = di(output)
            adv = generator_loss(GanKind.HINGE, fake_logits.float())
            fm = feature_matching_loss(real_features, fake_features)
            l1 = l1_loss(output.float(), image)
            out_features, real_vgg = self.vgg(output.float()), self.vgg(image)
            perceptual = perceptual_loss(out_features, real_vgg, LayerReduction.MEAN)
            style = style_loss(out_features, real_vgg, LayerReduction.MEAN)
            loss = IMAGE_L1 * l1 + IMAGE_ADV * adv + IMAGE_PERCEPTUAL * perceptual + IMAGE_STYLE * style + IMAGE_FM * fm
        step_optimizer(self.optimizers["gi"], loss)
        return {**{f"dis_image_{k[4:]}": v for k, v in d_metrics.items()}, "gen_image_l1": l1, "gen_image_adv": adv,
                "gen_image_perceptual": perceptual, "gen_image_style": style, "gen_image_fm": fm,
                "gen_image_hole_l1": l1_loss(output.detach().float(), image, hole)}

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 4) -> np.ndarray:
        """masked input | composited sketch | result | true sketch | truth, one row per image."""
        gi = unwrap(self.models["gi"])
        gi.eval()
        small = {k: v[:rows].float() for k, v in batch.items()}
        image, hole, truth = small["image"], small["mask"], small["edge"]
        sketch = self.composited_sketch(small)
        result = composite(gi(image, sketch, hole), image, hole)
        lines = lambda s: (1 - s).expand_as(image)  # noqa: E731  (dark lines on white, as drawn)
        columns = [image * (1 - hole) + hole, lines(sketch), result, lines(truth), image]
        grid = torch.cat([torch.cat(list(column), dim=1) for column in columns], dim=2)
        return (grid.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
