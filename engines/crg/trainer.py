"""CRG training, in two phases over one run.

"gan" (the first three quarters of the run's budget, steps or minutes): G with spectral norm against the critic (hinge loss), and the
encoder beside it. One G+E step minimises ADV * hinge(-D(G(z))) + REC_L1 * |G(E(x)) - x| + REC_PERCEPTUAL *
perceptual(G(E(x)), x) + LATENT * |E(G(z)) - z|^2 (G(z) detached there, so the latent cycle trains E only).
The reconstruction terms also train G, so faces it has not sampled itself stay in its range: that is what the
inpainting loop needs. Adam (beta1 0, beta2 0.9), lr from the config.

"refine" (the last quarter): the U-Net on coarse results made on the fly by the frozen G(E(.)) from a mean or
noise fill, for a number of unscored cycles drawn per step from COARSE_CYCLES (3 to 10). At inference the refiner
gets the best of at least 10 scored cycles (the 10th without a scorer) and the paper trains it on converged
results; 3 to 10 unscored cycles come closer to that than a fixed 3, for 1.2-1.3 x the refine step's time (CPU).
Loss L1(U, x) + K_STYLE * (style(U) + style(I_comp)), I_comp = the coarse result's known pixels with the U-Net's
hole, K_STYLE = 150 (paper eq. 4-7). Each style term sums over its levels
as eq. 6-7 do (a mean over them had made k effectively 50); the levels are pool1, pool2 and, for the paper's
pool3, relu3_1, the deepest level the shared VGG weights reach. Adam at twice the lr (the paper: 2e-4).
Paper against code: docs/papers/crg.md.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from engines.contract import CancelToken, drive
from engines.crg.cycles import InitialFill, initial_fill, run_cycles
from engines.crg.networks import Z_DIM, Discriminator, Encoder, Generator, Refiner
from engines.data.bank import Bank, batch_generator, draw_batch, face_bank
from engines.losses.adversarial import GanKind, discriminator_loss, generator_loss
from engines.losses.pixel import l1_loss
from engines.losses.vgg import LayerReduction, VggFeatures, perceptual_loss, style_loss
from engines.nn.images import composite
from engines.training.config import TrainConfig
from engines.training.gpu import adam, unwrap
from engines.training.schedule import Phase

ADV, REC_L1, REC_PERCEPTUAL, LATENT = 1.0, 10.0, 1.0, 1.0
K_STYLE = 150.0
COARSE_CYCLES = (3, 10)  # unscored cycles before the refiner, drawn per step; 10 = the engine's min_cycles
REFINER_LR_RATIO = 2.0


class CrgTrainer:
    EXPORTS = {"encoder": "encoder.safetensors", "generator": "generator.safetensors", "refiner": "refiner.safetensors"}
    USES_VGG = True
    DEFAULTS: dict = {}  # lr 1e-4 for G, E and the critic; the refiner at REFINER_LR_RATIO x (the paper's 2e-4)
    PHASES = (Phase("gan", 0.75, ("generator", "encoder", "critic")), Phase("refine", 0.25, ("refiner",)))
    FIXED_SIZE = 128  # the encoder's and generator's fully connected layers are built for 128 px

    def __init__(self, config: TrainConfig, device: torch.device, vgg: VggFeatures) -> None:
        self.config = config
        self.vgg = vgg
        self.models = {"generator": Generator(config.base).to(device), "encoder": Encoder(config.base).to(device),
                       "critic": Discriminator(config.base).to(device), "refiner": Refiner(config.base).to(device)}
        self.optimizers = {name: adam(self.models[name].parameters(), device, config.lr, (0.0, 0.9))
                           for name in ("generator", "encoder", "critic")}
        self.optimizers["refiner"] = adam(self.models["refiner"].parameters(), device, config.lr * REFINER_LR_RATIO)
        self.autocast = contextlib.nullcontext

    load_data = staticmethod(face_bank)

    @staticmethod
    def draw(bank: Bank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
        drawn = draw_batch(bank, batch, seed, step, rank)
        device = drawn["image"].device
        drawn["z"] = torch.randn(batch, Z_DIM, generator=batch_generator(seed + 2, step, rank, device), device=device)
        return drawn

    def _step(self, names: tuple[str, ...], loss: torch.Tensor) -> None:
        for name in names:
            self.optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        for name in names:
            self.optimizers[name].step()

    def train_step(self, batch: dict[str, torch.Tensor], step: int, phase: str) -> dict[str, torch.Tensor]:
        return self._gan_step(batch) if phase == "gan" else self._refine_step(batch, step)

    def _gan_step(self, batch) -> dict[str, torch.Tensor]:
        g, e, d = (self.models[n] for n in ("generator", "encoder", "critic"))
        for model in (g, e, d):
            model.train()
        image, z = batch["image"], batch["z"]
        with self.autocast():
            fake = g(z)
            d_loss, d_metrics = discriminator_loss(GanKind.HINGE, d(image).float(), d(fake.detach()).float())
        self._step(("critic",), d_loss)
        with self.autocast():
            adv = generator_loss(GanKind.HINGE, d(fake).float())
            reconstruction = g(e(image)).float()
            rec_l1 = l1_loss(reconstruction, image)
            rec_perceptual = perceptual_loss(self.vgg(reconstruction), self.vgg(image), LayerReduction.MEAN)
            latent = nn.functional.mse_loss(e(fake.detach()).float(), z)
            loss = ADV * adv + REC_L1 * rec_l1 + REC_PERCEPTUAL * rec_perceptual + LATENT * latent
        self._step(("generator", "encoder"), loss)
        return {**d_metrics, "gen_adv": adv, "gen_rec_l1": rec_l1, "gen_rec_perceptual": rec_perceptual, "gen_latent": latent}

    @torch.no_grad()
    def coarse(self, image: torch.Tensor, hole: torch.Tensor, generator: torch.Generator, cycles: int) -> torch.Tensor:
        """``cycles`` cycles of the current G(E(.)) from a mean fill (even rows) or noise (odd rows)."""
        g, e = (unwrap(self.models[n]) for n in ("generator", "encoder"))
        g.eval()
        e.eval()
        mean = initial_fill(image, hole, InitialFill.MEAN, None, generator)
        noise = initial_fill(image, hole, InitialFill.NOISE, None, generator)
        odd = (torch.arange(len(image), device=image.device) % 2 == 1).view(-1, 1, 1, 1)
        loop = run_cycles(lambda x: g(e(x)), None, image, hole, torch.where(odd, noise, mean), cycles, cycles, CancelToken())
        return drive(loop).image

    def _refine_step(self, batch, step: int) -> dict[str, torch.Tensor]:
        refiner = self.models["refiner"]
        refiner.train()
        image, hole = batch["image"], batch["mask"]
        generator = batch_generator(self.config.seed + 3, step)  # on the host: reading the count waits for nothing
        cycles = int(torch.randint(COARSE_CYCLES[0], COARSE_CYCLES[1] + 1, (1,), generator=generator))
        coarse = self.coarse(image, hole, batch_generator(self.config.seed + 3, step, 0, image.device), cycles)
        with self.autocast():
            refined = refiner(coarse, hole).float()
            combined = composite(refined, coarse, hole)
            loss, l1, style = self.refine_loss(refined, combined, image)
        self._step(("refiner",), loss)
        return {"gen_refine_l1": l1, "gen_refine_style": style, "gen_refine_hole_l1": l1_loss(combined.detach(), image, hole),
                "gen_coarse_hole_l1": l1_loss(coarse, image, hole)}

    def refine_loss(self, refined: torch.Tensor, combined: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Eq. 4-7: (L_joint, L_recons, L_style_Unet + L_style_comp). Each style term sums its levels (pool1, pool2
        and relu3_1 for pool3)."""
        l1 = l1_loss(refined, image)
        target = self.vgg.pooled(image)
        style = sum(style_loss(self.vgg.pooled(x), target, LayerReduction.SUM) for x in (refined, combined))
        return l1 + K_STYLE * style, l1, style

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], rows: int = 4) -> np.ndarray:
        """truth | G(E(truth)) | G(z) | masked (mean fill) | coarse | refined, one row per face."""
        g, e, refiner = (unwrap(self.models[n]) for n in ("generator", "encoder", "refiner"))
        refiner.eval()
        image, hole, z = batch["image"][:rows].float(), batch["mask"][:rows].float(), batch["z"][:rows].float()
        coarse = self.coarse(image, hole, torch.Generator().manual_seed(0), COARSE_CYCLES[1])
        columns = [image, g(e(image)), g(z), initial_fill(image, hole, InitialFill.MEAN, None, torch.Generator()), coarse,
                   composite(refiner(coarse, hole), coarse, hole)]
        grid = torch.cat([torch.cat(list(column), dim=1) for column in columns], dim=2)
        return (grid.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
