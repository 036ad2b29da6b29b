"""The engine base class: an engine fills one crop at its own resolution; engines/pipeline.py does the rest."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engines.contract import CancelToken, EngineSpec, InpaintRequest, Work

CLASSICAL_MARGIN = 16  # px of context around a hole for engines that work at the crop's own size


@dataclass(frozen=True)
class Crop:
    """What the pipeline hands an engine: a context box at the engine's resolution, padded to its multiple.

    image: h x w x 3 uint8; mask: h x w bool (True = fill); sketch: h x w x 4 uint8 or None.
    Arrays are read-only; an engine returns new arrays.
    """

    image: np.ndarray
    mask: np.ndarray
    sketch: np.ndarray | None
    n_results: int


class Engine:
    """Subclasses set ``spec`` and override :meth:`fill_one` (one image per call) or :meth:`fill`.

    Learned engines set ``uses_device`` and load their networks onto ``device``; an engine stays on its device
    for life (the fill service keeps one instance per device).
    """

    spec: ClassVar[EngineSpec]
    uses_device: ClassVar[bool] = False
    note: str = ""  # said with every result: what this instance runs without (a network its weights lack)

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        self.device = device
        self.weights_dir = weights_dir  # where trained engines read their weights

    def delegate(self, request: InpaintRequest) -> tuple[Engine, str]:
        """The engine that fills ``request`` and a sentence saying why: itself, unless it chooses between others."""
        return self, ""

    def context_margin(self, hole_side: int, options: Mapping[str, Any]) -> int:
        """Pixels of known context on each side of a hole whose bounding box's longer side is ``hole_side``, for
        engines that work at the crop's own size (``spec.resolution`` None): a few for diffusion, more for exemplars."""
        return CLASSICAL_MARGIN

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        """Yield progress; return ``crop.n_results`` filled images of the crop's size (hole pixels matter)."""
        yield from ()  # simple engines report no progress of their own
        results = []
        for _ in range(crop.n_results):
            cancel.raise_if_cancelled()
            results.append(self.fill_one(crop, options, rng))
        return results

    def fill_one(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must override fill_one or fill")
