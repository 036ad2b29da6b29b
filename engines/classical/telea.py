"""OpenCV's fast-marching (Telea 2004) and Navier-Stokes (Bertalmio 2001) inpainting: no weights, always there."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from engines.base import Crop, Engine
from engines.contract import EngineSpec, Need, Option, OptionKind
from engines.registry import register

_METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}

SPEC = EngineSpec(
    name="telea",
    title="OpenCV (Telea / Navier-Stokes)",
    description="Classical diffusion fill: no weights, good for thin scratches, text and small blemishes.",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=None,
    max_hole_pixels=250_000,  # fast marching is linear in hole pixels; a bigger hole is a blur at any scale
    options=(
        Option("method", OptionKind.CHOICE, "telea", "telea: fast marching; ns: Navier-Stokes", choices=tuple(_METHODS)),
        Option("radius", OptionKind.INT, 5, "neighbourhood radius in pixels", minimum=1, maximum=50),
    ),
)


class TeleaEngine(Engine):
    spec = SPEC

    def fill_one(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
        hole = crop.mask.astype(np.uint8)
        return cv2.inpaint(crop.image, hole, options["radius"], _METHODS[options["method"]])


register(SPEC, f"{__name__}:TeleaEngine")
