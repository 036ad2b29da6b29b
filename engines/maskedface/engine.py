"""The masked-face engine at inference: the aligned face, worn mask and all, plus the hole -> the lower face."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Crop, Engine
from engines.maskedface import SPEC
from engines.maskedface.networks import MaskedFaceGenerator
from engines.nn.images import composite, image_to_tensor, mask_to_tensor, tensor_to_image
from engines.nn.weights import fit, read_tensors
from engines.registry import WEIGHTS_DIR


class MaskedFaceEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        self.generator = MaskedFaceGenerator()
        path = (weights_dir or WEIGHTS_DIR / SPEC.name) / "generator.safetensors"
        if path.is_file():
            fit(self.generator, read_tensors(path), path)
        self.generator.to(device).eval()

    def fill_one(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
        image, hole = image_to_tensor(crop.image, self.device), mask_to_tensor(crop.mask, self.device)
        with torch.inference_mode():
            result = composite(self.generator(image, hole), image, hole)
        return tensor_to_image(result, "the masked-face generator")
