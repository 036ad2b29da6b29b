"""Every loss: hand-computed values, zero where prediction equals target, clear errors."""
from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import save_file

from engines.losses.adversarial import GanKind, discriminator_loss, feature_matching_loss, generator_loss
from engines.losses.pixel import l1_loss, total_variation
from engines.losses.vgg import SHARED_FILE, LayerReduction, VggFeatures, gram, perceptual_loss, style_loss


def test_adversarial_losses_hand_computed():
    real, fake = torch.tensor([2.0]), torch.tensor([-1.0])
    hinge, _ = discriminator_loss(GanKind.HINGE, real, fake)
    assert hinge.item() == pytest.approx(0.0)  # relu(1 - 2) + relu(1 - 1) = 0
    lsgan, metrics = discriminator_loss(GanKind.LSGAN, real, fake)
    assert lsgan.item() == pytest.approx((1 + 1) / 2) and metrics["dis_real"] == pytest.approx(1.0)
    nsgan, _ = discriminator_loss(GanKind.NSGAN, torch.tensor([0.0]), torch.tensor([0.0]))
    assert nsgan.item() == pytest.approx(math.log(2))
    assert generator_loss(GanKind.HINGE, fake).item() == pytest.approx(1.0)
    assert generator_loss(GanKind.LSGAN, fake).item() == pytest.approx(4.0)
    assert generator_loss(GanKind.NSGAN, torch.tensor([0.0])).item() == pytest.approx(math.log(2))


def test_feature_matching():
    a = [torch.zeros(1, 2, 2, 2), torch.ones(1, 1, 2, 2)]
    b = [torch.ones(1, 2, 2, 2), torch.ones(1, 1, 2, 2)]
    assert feature_matching_loss(a, b).item() == pytest.approx(1.0), "summed over layers (eq. 3, eq. 13): 1 + 0"
    with pytest.raises(ValueError):
        feature_matching_loss(a, b[:1])


def test_l1_weighted_by_the_hole_and_tv():
    prediction = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    target = torch.zeros(1, 1, 2, 2)
    assert l1_loss(prediction, target).item() == pytest.approx(0.25)
    hole = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
    assert l1_loss(prediction, target, hole).item() == pytest.approx(0.5)
    assert total_variation(prediction).item() == pytest.approx(1.0)  # vertical 0.5 + horizontal 0.5
    with pytest.raises(ValueError, match="differ"):
        l1_loss(prediction, torch.zeros(1, 1, 2, 3))


def test_gram_hand_computed():
    features = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # 1 x 2 x 1 x 2
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4
    assert torch.allclose(gram(features), expected)


@pytest.fixture(scope="module")
def random_vgg():
    return VggFeatures(None)


def test_random_vgg_says_so_and_gives_three_levels(random_vgg):
    assert "random" in random_vgg.source
    features = random_vgg(torch.rand(2, 3, 16, 16))
    assert [f.shape[1:] for f in features] == [(64, 16, 16), (128, 8, 8), (256, 4, 4)]
    assert not any(p.requires_grad for p in random_vgg.parameters())


def test_perceptual_and_style_are_zero_for_identical_images_and_positive_otherwise(random_vgg):
    x = torch.rand(1, 3, 16, 16)
    same = random_vgg(x)
    for reduction in LayerReduction:
        assert perceptual_loss(same, same, reduction).item() == 0 and style_loss(same, same, reduction).item() == 0
        other = random_vgg(torch.rand(1, 3, 16, 16))
        assert perceptual_loss(other, same, reduction).item() > 0 and style_loss(other, same, reduction).item() > 0


def test_perceptual_and_style_sum_or_average_their_levels_by_hand():
    """Level A: features (1, 2 | 3, 4) against zeros: mean |.| = 2.5; Gram [[5, 11], [11, 25]] / 4, mean entry 3.25.
    Level B: ones (1 x 1 x 2 x 2) against zeros: mean |.| = 1; Gram 4 / 4 = 1. A sum (CRG eq. 6, LSK-FNet eq. 7)
    adds the two levels; a mean (LSK-FNet eq. 8) is half that."""
    pred = [torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]]), torch.ones(1, 1, 2, 2)]
    target = [torch.zeros_like(f) for f in pred]
    assert perceptual_loss(pred, target, LayerReduction.SUM).item() == pytest.approx(3.5)
    assert perceptual_loss(pred, target, LayerReduction.MEAN).item() == pytest.approx(1.75)
    assert style_loss(pred, target, LayerReduction.SUM).item() == pytest.approx(4.25)
    assert style_loss(pred, target, LayerReduction.MEAN).item() == pytest.approx(2.125)
    assert style_loss(pred, target, "sum").item() == pytest.approx(4.25), "the string value works too"


def test_torchvision_layout_loads_with_imagenet_normalisation(tmp_path, random_vgg):
    state = {}
    for name, index in (("conv1_1", 0), ("conv1_2", 2), ("conv2_1", 5), ("conv2_2", 7), ("conv3_1", 10)):
        conv = random_vgg.convs[name]
        state[f"features.{index}.weight"] = conv.weight.detach().clone()
        state[f"features.{index}.bias"] = conv.bias.detach().clone() + 0.5
    save_file(state, str(tmp_path / "vgg16.safetensors"))
    loaded = VggFeatures(tmp_path / "vgg16.safetensors")
    assert "vgg16.safetensors" in loaded.source
    assert torch.allclose(loaded.convs["conv3_1"].bias, random_vgg.convs["conv3_1"].bias + 0.5)
    assert torch.allclose(loaded.prep(torch.full((1, 3, 1, 1), 0.485)).flatten()[0], torch.tensor(0.0), atol=1e-6)


def test_unknown_weight_layout_is_refused(tmp_path):
    save_file({"x": torch.zeros(1)}, str(tmp_path / "odd.safetensors"))
    with pytest.raises(ValueError, match="neither"):
        VggFeatures(tmp_path / "odd.safetensors")


@pytest.mark.skipif(not SHARED_FILE.is_file(), reason="../shared/weights/vgg19_normalised_relu3_1.safetensors is not here")
def test_shared_normalised_vgg19_loads():
    vgg = VggFeatures(SHARED_FILE)
    assert "ImageNet" in vgg.source
    features = vgg(torch.rand(1, 3, 16, 16))
    assert features[2].shape == (1, 256, 4, 4) and features[0].min() >= 0


def test_isotropic_total_variation_hand_computed():
    x = torch.tensor([[[[0.0, 3.0], [4.0, 0.0]]]])  # at (0, 0): dy = 4, dx = 3
    assert total_variation(x, isotropic=True).item() == pytest.approx(5.0)
