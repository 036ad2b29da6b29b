"""CFS at inference: the soft sketch of the known pixels; in the hole either the user's strokes (they replace
the sketch there) or G_s's completion, shown as a preview; then G_i colours the hole along it."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Crop, Engine
from engines.cfs import SPEC
from engines.cfs.networks import ImageGenerator, SketchGenerator
from engines.contract import CancelToken, Progress, Work
from engines.data.edges import grey_of
from engines.data.sketch import sketch_map
from engines.nn.gated import bake_spectral_norm
from engines.nn.images import composite, image_to_tensor, mask_to_tensor, tensor_to_image
from engines.nn.weights import load_network
from engines.registry import WEIGHTS_DIR


def user_lines(crop: Crop) -> np.ndarray | None:
    """The sketch layer's strokes inside the hole as line strength in [0, 1] (alpha), or None without any."""
    if crop.sketch is None:
        return None
    alpha = crop.sketch[..., 3].astype(np.float32) / 255
    return alpha if (alpha[crop.mask] > 0).any() else None


class CfsEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        folder = weights_dir or WEIGHTS_DIR / SPEC.name
        self.gs = bake_spectral_norm(load_network(SketchGenerator, folder / "sketch.safetensors")).to(device)
        self.gi = bake_spectral_norm(load_network(ImageGenerator, folder / "image.safetensors")).to(device)

    def diagnostics(self, original: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        """For ``main.py eval``: G_s's binary accuracy in the hole against the sketch of the original (the paper's
        77 %), on the square image as given (eval images are aligned 128 px faces)."""
        from engines.cfs.trainer import sketch_accuracy

        device, grey = self.device, grey_of(original)
        truth = mask_to_tensor(sketch_map(grey) / 255, device)
        hole = mask_to_tensor(mask, device)
        with torch.inference_mode():
            predicted = self.gs(mask_to_tensor(grey / 255, device), truth * (1 - hole), hole)
        return {"sketch_accuracy_percent": 100 * float(sketch_accuracy(predicted, truth, hole))}

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        device = self.device
        grey_u8 = grey_of(crop.image)
        hole, image = mask_to_tensor(crop.mask, device), image_to_tensor(crop.image, device)
        known = mask_to_tensor(sketch_map(grey_u8) / 255, device)
        drawn = user_lines(crop)
        with torch.inference_mode():
            if drawn is None:
                inside = self.gs(mask_to_tensor(grey_u8 / 255, device), known * (1 - hole), hole)
                message = "sketch completed"
            else:
                inside = mask_to_tensor(drawn, device)
                message = "your sketch in the hole"
            sketch = composite(inside, known, hole)
            lines = (255 - sketch[0, 0] * 255).round().byte().cpu().numpy()
            yield Progress(1, 2, message, preview=np.repeat(lines[..., None], 3, axis=2))
            cancel.raise_if_cancelled()
            result = composite(self.gi(image, sketch, hole), image, hole)
        return [tensor_to_image(result, "CFS")]
