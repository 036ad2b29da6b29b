"""The region-wise GAN at inference: I_c1 = known + hole of E1/G1 (shown as a preview), then I_c2 = known +
hole of E2/G2 over I_c1 (paper Algorithm 1); the result is I_c2. The domain's weights come from the folder the
registry gives (weights/regionwise/<domain>/)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Crop, Engine
from engines.contract import CancelToken, Progress, Work
from engines.nn.images import composite, image_to_tensor, mask_to_tensor, tensor_to_image
from engines.nn.weights import load_network
from engines.regionwise import SPEC
from engines.regionwise.networks import PerceivingNet, SemanticNet
from engines.registry import WEIGHTS_DIR


class RegionwiseEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        folder = weights_dir or WEIGHTS_DIR / SPEC.name / SPEC.domains[0].name
        self.semantic = load_network(SemanticNet, folder / "semantic.safetensors").eval().to(device)
        self.perceiving = load_network(PerceivingNet, folder / "perceiving.safetensors").eval().to(device)

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        image, hole = image_to_tensor(crop.image, self.device), mask_to_tensor(crop.mask, self.device)
        with torch.inference_mode():
            first = composite(self.semantic(image, hole), image, hole)
            yield Progress(1, 2, "semantic inference", preview=tensor_to_image(first, "the semantic inferring network"))
            cancel.raise_if_cancelled()
            result = composite(self.perceiving(first, hole), image, hole)
        return [tensor_to_image(result, "the global perceiving network")]
