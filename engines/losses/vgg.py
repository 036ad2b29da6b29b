"""VGG features (relu1_1, relu2_1, relu3_1; or pool1, pool2, relu3_1) for perceptual, style and correlation losses.

Weights come from a file: the normalised VGG19 layout (a 1x1 ``prep`` conv, reflection padding; the file in
../shared/weights) or a torchvision VGG16/VGG19 state dict (``features.N.*``: a user's download or the torch
hub cache; ImageNet mean/std become the ``prep`` conv). Without any file the features come from a frozen,
fixed-seed random VGG; ``source`` says so and training logs it and writes it into the weights card.
Input: RGB in [0, 1], N x 3 x H x W.
"""
from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path

import torch
from torch import nn

from engines.nn.weights import read_tensors, read_torch_state

log = logging.getLogger(__name__)

_LAYERS = (("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128), ("conv3_1", 128, 256))
_TORCHVISION_INDEX = {"conv1_1": 0, "conv1_2": 2, "conv2_1": 5, "conv2_2": 7, "conv3_1": 10}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_HUB_FILES = ("vgg19-dcbb9e9d.pth", "vgg16-397923af.pth")
SHARED_FILE = Path(__file__).resolve().parents[3] / "shared" / "weights" / "vgg19_normalised_relu3_1.safetensors"


def find_vgg_weights() -> Path | None:
    """INPAINT_VGG_WEIGHTS, then the shared development file, then the torch hub cache."""
    candidates = [Path(os.environ["INPAINT_VGG_WEIGHTS"])] if os.environ.get("INPAINT_VGG_WEIGHTS") else []
    candidates.append(SHARED_FILE)
    hub = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"
    candidates += [hub / name for name in _HUB_FILES]
    return next((path for path in candidates if path.is_file()), None)


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        return read_tensors(path)
    return read_torch_state(path)


class VggFeatures(nn.Module):
    """N x 3 x H x W in [0, 1] -> [relu1_1 (64, H), relu2_1 (128, H/2), relu3_1 (256, H/4)]; frozen."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.prep = nn.Conv2d(3, 3, 1)
        self.convs = nn.ModuleDict({name: nn.Conv2d(cin, cout, 3) for name, cin, cout in _LAYERS})
        self.pad_mode = "reflect"
        if path is None:
            self._random()
        else:
            self._load(Path(path))
        self.requires_grad_(False)
        self.eval()

    def _random(self) -> None:
        generator = torch.Generator().manual_seed(0)
        for conv in self.convs.values():
            fan_in = conv.in_channels * 9
            conv.weight.data = torch.randn(conv.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5
            conv.bias.data.zero_()
        self._imagenet_prep()
        self.pad_mode = "constant"
        self.source = "random (fixed seed 0): no VGG weights file found"
        log.warning("VGG features: %s; perceptual/style losses are weaker without ImageNet weights", self.source)

    def _imagenet_prep(self) -> None:
        std = torch.tensor(_IMAGENET_STD)
        self.prep.weight.data = torch.diag(1.0 / std).view(3, 3, 1, 1)
        self.prep.bias.data = -torch.tensor(_IMAGENET_MEAN) / std

    def _load(self, path: Path) -> None:
        state = _load_state(path)
        if "prep.weight" in state:
            self.prep.load_state_dict({"weight": state["prep.weight"], "bias": state["prep.bias"]})
            for name, conv in self.convs.items():
                conv.load_state_dict({"weight": state[f"{name}.weight"], "bias": state[f"{name}.bias"]})
        elif "features.0.weight" in state:
            self._imagenet_prep()
            self.pad_mode = "constant"
            for name, conv in self.convs.items():
                index = _TORCHVISION_INDEX[name]
                conv.load_state_dict({"weight": state[f"features.{index}.weight"], "bias": state[f"features.{index}.bias"]})
        else:
            raise ValueError(f"{path.name}: neither the normalised-VGG layout nor a torchvision VGG state dict")
        self.source = f"{path.name} (ImageNet VGG)"

    def _conv(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.convs[name](nn.functional.pad(x, (1, 1, 1, 1), mode=self.pad_mode)))

    def _all(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"VggFeatures needs N x 3 x H x W in [0, 1]; got {tuple(x.shape)}")
        out = {"relu1_1": self._conv("conv1_1", self.prep(x))}
        out["pool1"] = nn.functional.max_pool2d(self._conv("conv1_2", out["relu1_1"]), 2)
        out["relu2_1"] = self._conv("conv2_1", out["pool1"])
        out["pool2"] = nn.functional.max_pool2d(self._conv("conv2_2", out["relu2_1"]), 2)
        out["relu3_1"] = self._conv("conv3_1", out["pool2"])
        return out

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[relu1_1, relu2_1, relu3_1]."""
        out = self._all(x)
        return [out["relu1_1"], out["relu2_1"], out["relu3_1"]]

    def pooled(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[pool1 (64, H/2), pool2 (128, H/4), relu3_1 (256, H/4)]: the pool1-3 levels the weights reach (pool3 would
        need conv3_2 to conv3_4, which the shared file does not hold; relu3_1 is its nearest level)."""
        out = self._all(x)
        return [out["pool1"], out["pool2"], out["relu3_1"]]


def gram(features: torch.Tensor) -> torch.Tensor:
    """N x C x H x W -> N x C x C, normalised by C*H*W."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


class LayerReduction(StrEnum):
    """How a loss combines its VGG levels: the papers differ, so every caller names the one its paper writes."""

    SUM = "sum"  # sum_j (LSK-FNet eq. 7's perceptual loss, CRG eq. 6-7's style loss)
    MEAN = "mean"  # E_j, the mean over levels (LSK-FNet eq. 8's style loss)


def _over_layers(per_layer: list[torch.Tensor], reduction: LayerReduction) -> torch.Tensor:
    total = sum(per_layer)
    return total if LayerReduction(reduction) is LayerReduction.SUM else total / len(per_layer)


def perceptual_loss(pred_features: list[torch.Tensor], target_features: list[torch.Tensor],
                    reduction: LayerReduction) -> torch.Tensor:
    """Per level j, the mean |phi_j(pred) - phi_j(target)| (the 1/N_j ||.||_1 of the papers); summed or averaged
    over the levels as ``reduction`` says."""
    return _over_layers([nn.functional.l1_loss(p, t.detach()) for p, t in zip(pred_features, target_features)], reduction)


def style_loss(pred_features: list[torch.Tensor], target_features: list[torch.Tensor], reduction: LayerReduction) -> torch.Tensor:
    """Per level j, 1/C_j^2 ||G_j(pred) - G_j(target)||_1 with G_j normalised by C_j H_j W_j (the mean over the
    C_j x C_j entries; CRG eq. 6, LSK-FNet eq. 8); batch mean; summed or averaged over levels per ``reduction``."""
    return _over_layers([nn.functional.l1_loss(gram(p), gram(t.detach())) for p, t in zip(pred_features, target_features)],
                        reduction)


def correlation_loss(pred_pool2: torch.Tensor, target_pool2: torch.Tensor) -> torch.Tensor:
    """Region-wise GAN eq. (3)-(4): f_ij = psi_i . psi_j, the n x n Gram matrix over the n = h*w positions of the
    pool2 features (c channels), compared by L1 summed over (i, j); batch mean. The paper leaves the position
    normalisation sigma open; here sigma = 1 / (n c). The authors' released code divides by c^2 and sums its
    reconstruction term over the pixels, so there the correlation grows like n against the reconstruction; with
    sigma = 1 / (n c) and our per-pixel-mean L1 it grows the same way, and lambda_1 = 1e-5 puts it at 0.13 x the
    reconstruction term at 128 px and 0.6 x at 256 px for a mean-colour fill (bench/loss_terms.py; sigma = 1/n had
    made it 17 x and 77 x, swamping everything else). Memory grows with n^2: 64 MiB per image at 256 px."""
    n, c, h, w = pred_pool2.shape
    flat_pred = pred_pool2.reshape(n, c, h * w)
    flat_target = target_pool2.detach().reshape(n, c, h * w)
    pred = flat_pred.transpose(1, 2) @ flat_pred
    target = flat_target.transpose(1, 2) @ flat_target
    return (pred - target).abs().sum(dim=(1, 2)).mean() / (h * w * c)


def style_sum_loss(pred_features: list[torch.Tensor], target_features: list[torch.Tensor]) -> torch.Tensor:
    """Region-wise GAN eq. (5): sum over layers p of the L1 distance, summed over the C_p x C_p entries, between
    Gram matrices normalised by C_p H_p W_p (delta_p; as the authors' released code does); batch mean."""
    return sum((gram(p) - gram(t.detach())).abs().sum(dim=(1, 2)).mean() for p, t in zip(pred_features, target_features))
