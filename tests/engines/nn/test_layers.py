"""Every shared layer: shapes for batch 0/1/2, a hand-computed value, gradcheck on tiny inputs."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from engines.nn.blocks import GatedResBlock, PatchDiscriminator
from engines.nn.gated import GatedConv2d, GatedUpConv2d
from engines.nn.region_norm import RegionNormB, RegionNormL, region_normalize


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_shapes(batch):
    x = torch.rand(batch, 4, 16, 16)
    mask = (torch.rand(batch, 1, 16, 16) > 0.5).float()
    assert GatedConv2d(4, 6)(x).shape == (batch, 6, 16, 16)
    assert GatedConv2d(4, 6, stride=2)(x).shape == (batch, 6, 8, 8)
    assert GatedConv2d(4, 6, dilation=2, spectral=True)(x).shape == (batch, 6, 16, 16)
    assert GatedUpConv2d(4, 3)(x).shape == (batch, 3, 32, 32)
    assert RegionNormB(4)(x, mask).shape == x.shape
    assert RegionNormB(4)(x, nn.functional.interpolate(mask, scale_factor=2.0)).shape == x.shape
    assert RegionNormL(4)(x).shape == x.shape
    assert GatedResBlock(4, dilation=2)(x).shape == x.shape
    assert GatedResBlock(4, region_norm=True)(x).shape == x.shape
    logits, features = PatchDiscriminator(4, base=8)(torch.rand(batch, 4, 64, 64))
    assert logits.shape == (batch, 1, 6, 6) and len(features) == 5 and features[-1] is logits


def test_wrong_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="GatedConv2d input must be N x 4 x H x W"):
        GatedConv2d(4, 6)(torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="mask must be N x 1 x H x W"):
        region_normalize(torch.rand(1, 2, 8, 8), torch.rand(1, 1, 4, 8))


def test_gated_conv_hand_computed():
    conv = GatedConv2d(1, 1, kernel_size=1)
    with torch.no_grad():
        conv.conv.weight.copy_(torch.tensor([2.0, 0.0]).view(2, 1, 1, 1))  # feature filter, gating filter
        conv.conv.bias.copy_(torch.tensor([1.0, 0.0]))
    x = torch.tensor([[[[1.0, -1.0]]]])
    assert torch.allclose(conv(x), torch.tensor([[[[1.5, -0.5]]]]))  # (2x + 1) * sigmoid(0)


def test_region_normalize_hand_computed():
    x = torch.tensor([[[[1.0, 3.0, 10.0, 20.0]]]])
    mask = torch.tensor([[[[0.0, 0.0, 1.0, 1.0]]]])
    hole, known = region_normalize(x, mask, eps=0.0)
    assert torch.allclose(hole, torch.tensor([[[[0.0, 0.0, -1.0, 1.0]]]]))
    assert torch.allclose(known, torch.tensor([[[[-1.0, 1.0, 0.0, 0.0]]]]))


def test_region_norm_b_uses_separate_affines():
    norm = RegionNormB(1)
    with torch.no_grad():
        norm.hole_affine.copy_(torch.tensor([[2.0], [5.0]]))
        norm.known_affine.copy_(torch.tensor([[1.0], [0.0]]))
    x = torch.tensor([[[[1.0, 3.0, 10.0, 20.0]]]])
    mask = torch.tensor([[[[0.0, 0.0, 1.0, 1.0]]]])
    assert torch.allclose(norm(x, mask), torch.tensor([[[[-1.0, 1.0, 3.0, 7.0]]]]), atol=1e-4)


def test_region_norm_l_with_a_response_below_threshold_is_plain_normalization():
    norm = RegionNormL(1, threshold=0.99)
    with torch.no_grad():
        for module in (norm.spatial, norm.gamma, norm.beta):
            module.weight.zero_()
            module.bias.zero_()
    x = torch.tensor([[[[1.0, 3.0]]]])
    assert torch.allclose(norm(x), torch.tensor([[[[-1.0, 1.0]]]]), atol=1e-4)


@pytest.mark.parametrize("make", [
    lambda: GatedConv2d(2, 2, 3, dilation=2),
    lambda: GatedUpConv2d(2, 2),
    lambda: RegionNormL(2),
    lambda: GatedResBlock(2),
])
def test_gradcheck(make):
    torch.manual_seed(0)
    module = make().double().eval()
    x = torch.rand(1, 2, 6, 6, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(module, (x,), eps=1e-6, atol=1e-4)


def test_gradcheck_region_norm_b():
    torch.manual_seed(0)
    module = RegionNormB(2).double()
    x = torch.rand(1, 2, 4, 4, dtype=torch.double, requires_grad=True)
    mask = (torch.rand(1, 1, 4, 4) > 0.5).double()
    assert torch.autograd.gradcheck(lambda t: module(t, mask), (x,), eps=1e-6, atol=1e-4)


def test_gradcheck_spectral_norm_in_eval():
    torch.manual_seed(0)
    module = GatedConv2d(2, 2, spectral=True).double().eval()
    x = torch.rand(1, 2, 5, 5, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(module, (x,), eps=1e-6, atol=1e-4)


def test_baking_spectral_norm_keeps_the_eval_output():
    from engines.nn.gated import bake_spectral_norm

    torch.manual_seed(0)
    module = nn.Sequential(GatedConv2d(2, 3, spectral=True), GatedConv2d(3, 2, spectral=True))
    x = torch.rand(1, 2, 8, 8)
    module.train()
    module(x)  # a training call moves the power-iteration vectors
    module.eval()
    with torch.no_grad():
        before = module(x)
        baked = bake_spectral_norm(module)
        assert torch.allclose(baked(x), before, atol=1e-6)
    assert not any("parametrizations" in name for name, _ in baked.named_parameters())
