"""PatchMatch exemplar fill (Barnes et al., SIGGRAPH 2009) through PyPatchMatch: no weights, copies real texture.

PyPatchMatch (MIT, the implementation InvokeAI ships; a prebuilt wheel with its own static OpenCV, so it does not
clash with opencv-python-headless) was chosen over patchmatch-cython by measurement on scenes/val: see the
README's comparison. Where diffusion (Telea) smears a removed person or lantern into a blur, PatchMatch fills the
hole with patches copied from the context around it, so grass stays grass and brick stays brick.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from engines.base import CLASSICAL_MARGIN, Crop, Engine
from engines.contract import EngineSpec, Need, Option, OptionKind
from engines.errors import EngineUnavailable
from engines.registry import register

_LIBRARY_LOCK = threading.Lock()  # the library keeps its random seed in a global: seed and fill go together

SPEC = EngineSpec(
    name="patchmatch",
    title="PatchMatch (copies texture)",
    description="Exemplar fill: copies texture from around the hole. Removes objects, people and watermarks; no weights.",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=None,
    max_crop_pixels=400_000,  # time grows with the context box's area: a larger box is filled at a reduced scale
    multiple_results=True,  # every result gets its own seed for the randomized search
    seeded=True,
    options=(
        Option("patch_size", OptionKind.INT, 7, "side in px of the compared patches (odd; an even size uses the next odd "
               "one): larger patches keep larger structures, and are slower", minimum=3, maximum=31),
        Option("context", OptionKind.FLOAT, 0.5, "known pixels around each hole that patches are copied from, "
               "as a multiple of the hole's size on each side", minimum=0.1, maximum=4.0),
    ),
)


class PatchMatchEngine(Engine):
    spec = SPEC

    def context_margin(self, hole_side: int, options: Mapping[str, Any]) -> int:
        return max(CLASSICAL_MARGIN, round(options["context"] * hole_side))

    def fill_one(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
        try:
            import patchmatch  # the native library loads on first use, not when engines are listed
        except ImportError:
            raise EngineUnavailable("PatchMatch needs the pypatchmatch package: pip install -r requirements.txt.") from None
        seed = int(rng.integers(0, 2**32))
        with _LIBRARY_LOCK:
            patchmatch.set_random_seed(seed)
            return patchmatch.inpaint(crop.image, crop.mask, patch_size=options["patch_size"] // 2)


register(SPEC, f"{__name__}:PatchMatchEngine")
