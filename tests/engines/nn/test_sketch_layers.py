"""The layers of CFS and the region-wise GAN: partial convolution (eq. 1-2 by hand), the CFS block,
region-wise convolution (a hole pixel uses only the hole filters), and the correlation loss."""
from __future__ import annotations

import pytest
import torch

from engines.losses.vgg import correlation_loss, style_sum_loss
from engines.nn.cfs_block import CFSBlock, SqueezeExcitation
from engines.nn.partial import PartialConv2d
from engines.nn.region_conv import RegionConv2d, mask_like


def test_partial_conv_renormalises_and_updates_the_mask_by_hand():
    conv = PartialConv2d(1, 1, 3)
    with torch.no_grad():
        conv.conv.weight.fill_(1.0)
        conv.bias.fill_(0.5)
    x = torch.arange(25, dtype=torch.float32).view(1, 1, 5, 5)
    valid = torch.zeros(1, 1, 5, 5)
    valid[..., 0, 0] = valid[..., 0, 1] = valid[..., 1, 0] = 1  # three known pixels in the top-left corner
    out, updated = conv(x, valid)
    # window at (1, 1) sees the three known pixels 0, 1 and 5: (0 + 1 + 5) * 9 / 3 + 0.5
    assert out[0, 0, 1, 1].item() == pytest.approx(18.5)
    # window at (0, 0) (zero padded) sees the same three: sum(m) = 3
    assert out[0, 0, 0, 0].item() == pytest.approx(18.5)
    # window at (0, 2) sees only pixel 1: 1 * 9 / 1 + 0.5
    assert out[0, 0, 0, 2].item() == pytest.approx(9.5)
    # windows without a known pixel give 0 and stay invalid
    assert out[0, 0, 3, 3].item() == 0 and updated[0, 0, 3, 3].item() == 0
    expected = torch.zeros(5, 5)
    expected[:3, :3] = 1
    expected[2, 2] = 0  # its window (rows and columns 1-3) holds none of the three
    assert torch.equal(updated[0, 0], expected), "m' = 1 wherever the window held a known pixel (eq. 2)"


def test_partial_conv_ignores_hole_values_and_fills_the_mask_with_depth():
    torch.manual_seed(0)
    conv = PartialConv2d(2, 4, 3, stride=2)
    x = torch.rand(2, 2, 8, 8)
    valid = torch.ones(2, 1, 8, 8)
    valid[..., 2:6, 2:6] = 0
    noisy = x.clone()
    noisy[..., 2:6, 2:6] = 100.0
    out, updated = conv(x, valid)
    assert out.shape == (2, 4, 4, 4) and torch.allclose(out, conv(noisy, valid)[0])
    assert updated.mean() > valid.mean()


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_partial_conv_batches(batch):
    out, updated = PartialConv2d(3, 5, 7, stride=2)(torch.rand(batch, 3, 16, 16), torch.ones(batch, 1, 16, 16))
    assert out.shape == (batch, 5, 8, 8) and updated.shape == (batch, 1, 8, 8)


def test_cfs_block_follows_equations_3_to_8():
    torch.manual_seed(0)
    block = CFSBlock(4, 6, 3, spectral=False, reduction=2)
    x = torch.rand(2, 4, 8, 8)
    g = torch.sigmoid(block.input_gate(x))
    gate = torch.sigmoid(block.output_gate(x))
    f = gate * torch.nn.functional.leaky_relu(block.feature(g * x), 0.2)
    squeeze = f.mean(dim=(2, 3))
    s = torch.sigmoid(block.excitation.fc2(torch.relu(block.excitation.fc1(squeeze))))
    assert torch.allclose(block(x), f * s[:, :, None, None], atol=1e-6)
    assert CFSBlock(4, 6, 4, stride=2)(x).shape == (2, 6, 4, 4)
    assert block.excitation.fc1.out_features == 3, "r: 6 channels // 2"
    assert SqueezeExcitation(64).fc1.out_features == 4, "r = 16 by default"


def test_cfs_block_gradcheck():
    torch.manual_seed(0)
    block = CFSBlock(2, 2, 3, spectral=False, reduction=1).double()
    x = torch.rand(1, 2, 4, 4, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,), eps=1e-6, atol=1e-4)


def test_a_hole_pixel_uses_only_the_hole_filters():
    torch.manual_seed(0)
    conv = RegionConv2d(3, 4, 3)
    x = torch.rand(1, 3, 8, 8)
    hole = torch.zeros(1, 1, 8, 8)
    hole[..., 2:6, 2:6] = 1
    before = conv(x, hole)
    with torch.no_grad():
        conv.conv.weight[:4] += torch.randn_like(conv.conv.weight[:4])  # the known-region filters
        conv.conv.bias[:4] += 1
    after = conv(x, hole)
    assert torch.equal(after[..., 2:6, 2:6], before[..., 2:6, 2:6]), "hole pixels did not change"
    assert not torch.allclose(after[..., 0, 0], before[..., 0, 0]), "known pixels use the known filters"
    with torch.no_grad():
        conv.conv.weight[4:] += 1  # now the hole filters
    assert torch.equal(conv(x, hole)[..., 0, 0], after[..., 0, 0])


def test_the_mask_follows_the_feature_size():
    conv = RegionConv2d(1, 1, 3, stride=2)
    hole = torch.zeros(1, 1, 8, 8)
    hole[..., :4, :] = 1
    assert conv(torch.rand(1, 1, 8, 8), hole).shape == (1, 1, 4, 4)
    assert mask_like(hole, torch.zeros(1, 1, 4, 4))[0, 0, :, 0].tolist() == [1, 1, 0, 0]


def test_correlation_loss_by_hand():
    a = torch.tensor([[[[1.0, 0.0]], [[0.0, 2.0]]]])  # c = 2, n = 2 positions: psi_1 = (1, 0), psi_2 = (0, 2)
    b = torch.zeros_like(a)
    # f(a) = [[1, 0], [0, 4]], f(b) = 0: sum |diff| = 5, sigma = 1 / (n c) = 1/4
    assert correlation_loss(a, b).item() == pytest.approx(1.25)
    assert correlation_loss(a, a).item() == 0
    swapped = a.flip(-1)  # the same features at swapped positions: the n x n matrix sees the difference
    assert correlation_loss(swapped, a).item() == pytest.approx((3 + 3) / 4)  # [[4, 0], [0, 1]] against [[1, 0], [0, 4]]


def test_correlation_loss_grows_with_damage_and_has_gradients():
    torch.manual_seed(0)
    target = torch.rand(2, 8, 6, 6)
    slight, heavy = target.clone(), target.clone()
    slight[..., :2, :2] = 0
    heavy[..., :4, :4] = 0
    assert 0 < correlation_loss(slight, target) < correlation_loss(heavy, target)
    pred = heavy.clone().requires_grad_()
    correlation_loss(pred, target).backward()
    assert pred.grad.abs().sum() > 0
    assert style_sum_loss([target], [target]).item() == 0 and style_sum_loss([heavy], [target]).item() > 0
