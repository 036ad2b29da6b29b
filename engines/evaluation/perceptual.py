"""Perceptual distance in the hole: the mean L1 between VGG19 relu3_1 features of a result and of its original, over
the feature positions the hole touches (relu3_1 is at a quarter of the image's resolution).

PSNR and SSIM favour blur: a diffusion fill that averages the hole scores well on them while looking smeared. This
distance compares texture and structure instead; lower is better.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from engines.errors import InputError
from engines.losses.vgg import VggFeatures, find_vgg_weights


class HoleDistance:
    """``distance(original, result, mask) -> float``: images H x W x 3 uint8, mask H x W bool (True = hole)."""

    def __init__(self) -> None:
        path = find_vgg_weights()
        if path is None:
            raise InputError("The perceptual distance needs ImageNet VGG weights: set INPAINT_VGG_WEIGHTS to a VGG19 file.")
        self.features = VggFeatures(path)
        self.source = self.features.source

    @torch.no_grad()
    def _relu3_1(self, image: np.ndarray) -> torch.Tensor:
        x = torch.tensor(image).permute(2, 0, 1)[None].float() / 255  # a copy: the image may be a read-only view
        return self.features(x)[2][0]

    def __call__(self, original: np.ndarray, result: np.ndarray, mask: np.ndarray) -> float:
        before, after = self._relu3_1(original), self._relu3_1(result)
        h, w = before.shape[1:]
        touched = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0
        if not touched.any():
            raise ValueError("the mask is empty")
        return float((after - before).abs().mean(0)[torch.from_numpy(touched)].mean())
