"""The trainers' loss terms against the papers' equations, computed here independently of engines/losses, and the
CRG quality critic's training recipe (rectangles, held-out validation, learning rate halved on a plateau)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from engines.contract import drive
from engines.crg.quality_trainer import PAPER_BATCH, PlateauHalving, QualityTrainer, artifact_masks, split_bank
from engines.crg.trainer import K_STYLE, CrgTrainer
from engines.data.bank import load_bank
from engines.data.masks import rectangle_masks
from engines.losses.vgg import VggFeatures
from engines.lskfnet.trainer import LskfnetTrainer
from engines.training.checkpoint import load_checkpoint
from engines.training.config import TrainConfig
from engines.training.loop import train
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def vgg():
    return VggFeatures(None)


def _gram_by_hand(features: torch.Tensor) -> torch.Tensor:
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)  # K_j = 1 / (C_j H_j W_j)


def _crg_style_eq6(vgg: VggFeatures, x: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """CRG eq. 6/7: sum over the levels j (pool1, pool2, pool3) of 1/(C_j C_j) ||K_j (G(x) - G(org))||_1."""
    total = torch.zeros(())
    for p, t in zip(vgg.pooled(x), vgg.pooled(original)):
        c = p.shape[1]
        total = total + (_gram_by_hand(p) - _gram_by_hand(t)).abs().sum(dim=(1, 2)).mean() / (c * c)
    return total


def test_crg_refiner_loss_is_eq_4_to_7_with_the_style_summed_over_the_levels(vgg):
    """The refiner's style weight k = 150 acts on the sum over levels (a mean over the three levels had made it 50)."""
    trainer = CrgTrainer(TrainConfig(engine="crg", data="", out="", base=8), torch.device("cpu"), vgg)
    generator = torch.Generator().manual_seed(0)
    image, refined, combined = (torch.rand(2, 3, 32, 32, generator=generator) for _ in range(3))
    loss, l1, style = trainer.refine_loss(refined, combined, image)
    expected_style = _crg_style_eq6(vgg, refined, image) + _crg_style_eq6(vgg, combined, image)
    expected_l1 = (refined - image).abs().sum() / refined.numel()  # eq. 5: 1/N_org ||I_Unet - I_org||_1
    assert style.item() == pytest.approx(expected_style.item(), rel=1e-5)
    assert l1.item() == pytest.approx(expected_l1.item(), rel=1e-6)
    assert loss.item() == pytest.approx(expected_l1.item() + 150 * expected_style.item(), rel=1e-5)
    assert K_STYLE == 150


def test_lskfnet_perceptual_term_sums_the_levels_and_style_averages_them(vgg):
    """Eq. 7 sums its levels (sum_i 1/N_i ||.||_1), eq. 8 takes E_j: the logged terms, recomputed here."""
    config = TrainConfig(engine="lskfnet", data="", out="", steps=3, base=8, lr=0.0)  # lr 0: the weights stay put
    trainer = LskfnetTrainer(config, torch.device("cpu"), vgg)
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(2, 3, 32, 32, generator=generator)
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:20, 6:26] = 1
    edges = (torch.rand(2, 1, 32, 32, generator=generator) > 0.8).float()
    batch = {"image": image, "mask": mask, "edge": edges, "grey": image.mean(1, keepdim=True)}
    metrics: dict[str, float] = {}
    trainer._image_step(batch, edges, metrics)
    with torch.no_grad():
        output = trainer.models["g2"](image, edges, mask)
        out_features, real_features = vgg(output), vgg(image)
    levels = [(o - r).abs().mean().item() for o, r in zip(out_features, real_features)]
    grams = [(_gram_by_hand(o) - _gram_by_hand(r)).abs().mean().item() for o, r in zip(out_features, real_features)]
    assert float(metrics["gen_image_perceptual"].detach()) == pytest.approx(sum(levels), rel=1e-4)
    assert float(metrics["gen_image_style"].detach()) == pytest.approx(sum(grams) / len(grams), rel=1e-4)


def test_rectangle_masks_are_filled_rectangles_within_the_size_bounds():
    masks = rectangle_masks(64, 32, torch.Generator().manual_seed(0))
    assert masks.shape == (64, 1, 32, 32) and set(masks.unique().tolist()) == {0.0, 1.0}
    for mask in masks[:, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert mask.sum() == height * width, "one solid rectangle"
        assert 4 <= height <= 16 and 4 <= width <= 16  # 1/8 to 1/2 of 32


def test_artifact_masks_mix_rectangles_and_the_irregular_masks():
    strokes = torch.zeros(200, 1, 32, 32)
    strokes[:, :, ::3, ::2] = 1  # a pattern no rectangle has
    mixed = artifact_masks(strokes, torch.Generator().manual_seed(0))
    kept = (mixed == strokes).flatten(1).all(1)
    assert 0.35 < kept.float().mean() < 0.65, "about half stay irregular, half become rectangles"


def test_plateau_halving_waits_the_patience_then_halves_and_starts_counting_again():
    optimizer = torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    plateau = PlateauHalving(optimizer, patience=3)
    for loss in (0.5, 0.4, 0.4, 0.41, 0.40005):  # improves twice, then three checks without a 1e-4 gain
        plateau.step(loss)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-5)
    for loss in (0.45, 0.45):
        plateau.step(loss)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-5), "the count restarted after halving"
    plateau.step(0.45)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-5)
    restored = torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    restored.load_state_dict(optimizer.state_dict())
    assert restored.param_groups[0]["plateau_best"] == pytest.approx(0.4), "the counters travel with the optimizer"


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(5):
        Image.fromarray(np.roll(head, 5 * i, axis=1)).resize((32, 32)).save(folder / f"{i}.png")
    return folder


def test_quality_holds_out_faces_and_checks_them_once_an_epoch(faces):
    bank = split_bank(load_bank(faces, None, 32, generated_masks=4), seed=0)
    assert len(bank.train.images) == 4 and len(bank.val_images) == 1 and bank.val_images.dtype == torch.uint8
    assert bank.steps_per_epoch(2) == 2
    with_validation = [step for step in range(6) if "val_image" in QualityTrainer.draw(bank, 2, 0, step)]
    assert with_validation == [1, 3, 5]
    assert QualityTrainer.DEFAULTS["batch"] == PAPER_BATCH == 128
    with pytest.raises(ValueError, match="at least 2 images"):
        split_bank(load_bank(faces, None, 32, limit=1, generated_masks=4), seed=0)


def test_quality_training_logs_the_validation_loss_and_resumes_the_plateau_state(faces, tmp_path):
    config = TrainConfig(engine="crg-quality", data=str(faces), out=str(tmp_path / "run"), steps=4, batch=2, size=128,
                         generated_masks=4, sample_every=4, log_every=1, checkpoint_minutes=1e-9, device="cpu")
    drive(train(config))
    trainer = QualityTrainer(config, torch.device("cpu"), None)
    assert load_checkpoint(tmp_path / "run", trainer.models, trainer.optimizers)["step"] == 4
    group = trainer.optimizers["quality"].param_groups[0]
    assert math.isfinite(group["plateau_best"]) and "plateau_waited" in group
