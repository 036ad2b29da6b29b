"""LSK-FNet at inference: known edges (Canny), G1 completes them (shown as a preview), G2 fills along them."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Crop, Engine
from engines.contract import CancelToken, Progress, Work
from engines.data.edges import canny, grey_of
from engines.lskfnet import SPEC
from engines.lskfnet.networks import EdgeGenerator, ImageGenerator
from engines.nn.gated import bake_spectral_norm
from engines.nn.images import composite, image_to_tensor, mask_to_tensor, tensor_to_image
from engines.nn.weights import load_network
from engines.registry import WEIGHTS_DIR


def load_generators(folder: Path, device: str) -> tuple[EdgeGenerator, ImageGenerator]:
    """The two generators, with weights from ``folder`` when its files exist (random otherwise, for tests)."""
    g1 = load_network(EdgeGenerator, folder / "edge.safetensors")
    g2 = load_network(ImageGenerator, folder / "image.safetensors")
    return bake_spectral_norm(g1).to(device), bake_spectral_norm(g2).to(device)


class LskfnetEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        self.g1, self.g2 = load_generators(weights_dir or WEIGHTS_DIR / SPEC.name, device)

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        device = self.device
        hole, image = mask_to_tensor(crop.mask, device), image_to_tensor(crop.image, device)
        grey_u8 = grey_of(crop.image)
        grey = mask_to_tensor(grey_u8 / 255, device)
        edges = mask_to_tensor(canny(grey_u8, options["edge_sigma"]), device)
        with torch.inference_mode():
            predicted = composite(self.g1(grey, edges * (1 - hole), hole), edges, hole)
            edge_view = (255 - predicted[0, 0] * 255).round().byte().cpu().numpy()
            yield Progress(1, 2, "edges predicted", preview=np.repeat(edge_view[..., None], 3, axis=2))
            cancel.raise_if_cancelled()
            result = composite(self.g2(image, predicted, hole), image, hole)
        return [tensor_to_image(result, "LSK-FNet")]
