"""Small engines for testing the pipeline: they fill predictably and record what they were given."""
from __future__ import annotations

import numpy as np

from engines.base import Crop, Engine
from engines.contract import EngineSpec, Need, Progress

MEAN_SPEC = EngineSpec(
    name="test-mean",
    title="Test: mean colour at 64 px",
    description="Fills each crop's hole with the mean known colour plus seeded noise.",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=64,
    pad_multiple=8,
    multiple_results=True,
    seeded=True,
)

ITERATIVE_SPEC = EngineSpec(
    name="test-iterative",
    title="Test: three cycles with previews and scores",
    description="Yields a preview per cycle, like CRG.",
    needs=frozenset({Need.MASK}),
    resolution=32,
    iterative=True,
)


class MeanEngine(Engine):
    spec = MEAN_SPEC
    crops: list[tuple[int, ...]] = []

    def fill_one(self, crop: Crop, options, rng: np.random.Generator) -> np.ndarray:
        MeanEngine.crops.append(crop.image.shape)
        out = crop.image.copy()
        known = crop.image[~crop.mask]
        mean = known.mean(axis=0) if known.size else np.full(3, 127.0)
        noise = rng.integers(-3, 4, size=3)
        out[crop.mask] = np.clip(mean + noise, 0, 255).astype(np.uint8)
        return out


class IterativeEngine(Engine):
    spec = ITERATIVE_SPEC

    def fill(self, crop: Crop, options, rng, cancel):
        out = crop.image.copy()
        for cycle in range(3):
            cancel.raise_if_cancelled()
            out[crop.mask] = 60 * (cycle + 1)
            yield Progress(cycle, 3, f"cycle {cycle + 1}", preview=out.copy(), score=cycle / 3)
        return [out]


class WrongShape(MeanEngine):
    def fill_one(self, crop: Crop, options, rng) -> np.ndarray:
        return np.zeros((3, 3, 3), np.uint8)


FACE_SPEC = EngineSpec(
    name="test-face",
    title="Test: mean colour on aligned faces",
    description="MeanEngine through face alignment, so its results are scored and ranked like a face engine's.",
    needs=frozenset({Need.MASK, Need.CONTEXT, Need.FACE}),
    resolution=64,
    multiple_results=True,
    seeded=True,
)


class FaceMeanEngine(MeanEngine):
    spec = FACE_SPEC


class DeviceMeanEngine(MeanEngine):
    """A MeanEngine that takes a device like learned engines do, and runs out of GPU memory on any device but the CPU."""

    uses_device = True
    created: list[str] = []

    def __init__(self, device: str = "cpu", weights_dir=None) -> None:
        super().__init__(device, weights_dir)
        DeviceMeanEngine.created.append(device)

    def fill_one(self, crop: Crop, options, rng) -> np.ndarray:
        if self.device != "cpu":
            import torch

            raise torch.cuda.OutOfMemoryError("CUDA out of memory (test)")
        return super().fill_one(crop, options, rng)
