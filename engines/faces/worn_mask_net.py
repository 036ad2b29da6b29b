"""The worn-mask segmenter: a small U-Net that labels each pixel of an aligned face as skin or background, worn
mask, or an eye's opening (engines/faces/worn_mask_synth.py draws its training pictures). It looks at the photo
itself, so it does not depend on where dlib put the landmarks below the eyes of a masked face."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engines.nn.weights import fit, read_tensors

CLASSES = 3  # worn_mask_synth.SKIN, WORN, EYE
WIDTHS = (16, 32, 64, 96)


def _block(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class WornMaskNet(nn.Module):
    """RGB in [0, 1], N x 3 x H x W (H, W multiples of 8) -> N x CLASSES x H x W logits."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.down = nn.ModuleList([_block(cin, cout) for cin, cout in zip((3,) + widths[:-1], widths)])
        self.context = _block(widths[-1], widths[-1], dilation=2)  # wider view at the coarsest level
        self.up = nn.ModuleList([_block(wide + narrow, narrow) for wide, narrow in zip(widths[:0:-1], widths[-2::-1])])
        self.head = nn.Conv2d(widths[0], CLASSES, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = self.context(x)
        for block, skip in zip(self.up, skips[-2::-1]):
            x = block(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1))
        return self.head(x)


WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "worn-mask" / "worn_mask_net.safetensors"


@functools.cache
def load_segmenter(path: Path = WEIGHTS) -> WornMaskNet | None:
    """The trained segmenter, or None when its weights are not there (the worn mask is then found by colour
    alone). Loaded once, on the CPU: a face takes a few tens of milliseconds."""
    if not path.is_file():
        return None
    net = fit(WornMaskNet(), read_tensors(path), path)
    return net.float().eval()


def label_probabilities(net: WornMaskNet, rgb: np.ndarray) -> np.ndarray:
    """CLASSES x H x W probabilities of an upright face crop (RGB uint8, about 40 px per eye distance)."""
    h, w = rgb.shape[:2]
    padded = cv2.copyMakeBorder(rgb, 0, -h % 8, 0, -w % 8, cv2.BORDER_REPLICATE)
    with torch.inference_mode():
        logits = net(torch.from_numpy(padded).permute(2, 0, 1)[None].float() / 255)
    return torch.softmax(logits, 1)[0, :, :h, :w].numpy()
