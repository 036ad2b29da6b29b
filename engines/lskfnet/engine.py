"""LSK-FNet at inference: known edges (Canny), G1 completes them (shown as a preview), G2 fills along them."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from engines.base import Crop, Engine
from engines.contract import CancelToken, Progress, Work
from engines.data.edges import canny, grey_of
from engines.lskfnet import SPEC
from engines.lskfnet.networks import EdgeGenerator, ImageGenerator, composite
from engines.registry import WEIGHTS_DIR


def load_generators(folder: Path, device: str) -> tuple[EdgeGenerator, ImageGenerator]:
    """The two generators, with weights from ``folder`` when its files exist (random otherwise, for tests).
    Their width comes from the files' metadata."""
    models = []
    for cls, name in ((EdgeGenerator, "edge.safetensors"), (ImageGenerator, "image.safetensors")):
        path = folder / name
        if path.is_file():
            with safe_open(str(path), "pt") as f:
                base = int((f.metadata() or {}).get("base", 32))
            model = cls(base)
            model.load_state_dict(load_file(str(path)))
        else:
            model = cls()
        models.append(model.to(device).eval())
    return models[0], models[1]


class LskfnetEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        self.g1, self.g2 = load_generators(weights_dir or WEIGHTS_DIR / SPEC.name, device)

    def to(self, device: str) -> None:
        super().to(device)
        self.g1.to(device)
        self.g2.to(device)

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        device = self.device
        hole = torch.from_numpy(crop.mask.astype(np.float32))[None, None].to(device)
        image = torch.from_numpy(crop.image.astype(np.float32) / 255).permute(2, 0, 1)[None].to(device)
        grey_u8 = grey_of(crop.image)
        grey = torch.from_numpy(grey_u8.astype(np.float32) / 255)[None, None].to(device)
        edges = torch.from_numpy(canny(grey_u8, options["edge_sigma"]).astype(np.float32))[None, None].to(device)
        with torch.inference_mode():
            predicted = composite(self.g1(grey, edges * (1 - hole), hole), edges, hole)
            edge_view = (255 - predicted[0, 0] * 255).round().byte().cpu().numpy()
            yield Progress(1, 2, "edges predicted", preview=np.repeat(edge_view[..., None], 3, axis=2))
            cancel.raise_if_cancelled()
            result = composite(self.g2(image, predicted, hole), image, hole)
        if not torch.isfinite(result).all():
            raise RuntimeError("LSK-FNet produced non-finite values")
        return [(result[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)]
