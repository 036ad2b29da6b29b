"""The default engine: PatchMatch, except for holes on a face, where Telea measured better (side by side).

- a hole with most of its pixels on a face found by the automatic face mask (the request's landmarks): Telea. On
  worn-mask holes of faces128/val Telea beats PatchMatch on PSNR, SSIM and the VGG distance in the hole:
  PatchMatch copies hair and background into the face. (A trained face engine beats both; pick it by name.)
- anything else: PatchMatch, which copies real texture. On scenes/val it has the lower VGG distance in the hole
  in every hole-ratio bin, and also on thin scratches and text: bench/engine_choice.py finds no line width at
  which Telea's fill is closer; Telea keeps a 0.1-0.5 dB PSNR lead there, as everywhere, because PSNR favours
  blur. So thin strokes get PatchMatch too; Telea stays one click away (and is 10-50 times faster).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engines.base import Engine
from engines.classical.patchmatch import PatchMatchEngine
from engines.classical.telea import TeleaEngine
from engines.contract import EngineSpec, InpaintRequest, Need
from engines.faces.regions import FaceRegion, region_mask
from engines.registry import register

FACE_SHARE = 0.5  # a hole with at least this share of its pixels on known faces is a face fill
FACE_MARGIN = 0.1  # the face's outline grown by this share of its width

SPEC = EngineSpec(
    name="auto",
    title="Automatic (PatchMatch; Telea on faces)",
    description="Chooses for each fill: PatchMatch for objects, people, watermarks, scratches and text; Telea for a "
                "hole on a face found by the automatic face mask.",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=None,
    multiple_results=True,  # when PatchMatch is chosen
    seeded=True,
)


class Choice(NamedTuple):
    engine: str
    reason: str


def face_share(mask: np.ndarray, faces: tuple[np.ndarray, ...]) -> float:
    """The share of hole pixels on the faces (68 x 2 landmarks each), each outline grown by FACE_MARGIN."""
    on_faces = np.zeros(mask.shape, bool)
    for landmarks in faces:
        margin = round(FACE_MARGIN * float(np.ptp(landmarks[:, 0])))
        on_faces |= region_mask(mask.shape, landmarks, FaceRegion.FACE, margin)
    return float((mask & on_faces).sum() / max(1, int(mask.sum())))


def choose(mask: np.ndarray, faces: tuple[np.ndarray, ...] | None = None) -> Choice:
    """The engine for this hole and why, in one sentence for the user."""
    if faces and face_share(mask, faces) >= FACE_SHARE:
        return Choice("telea", "Telea chosen: the hole is on a face.")
    return Choice("patchmatch", "PatchMatch chosen.")


class AutoEngine(Engine):
    """Fills nothing itself: the pipeline asks :meth:`delegate` which engine fills each request."""

    spec = SPEC

    def __init__(self, device: str = "cpu", weights_dir=None) -> None:
        super().__init__(device, weights_dir)
        self.engines = {"telea": TeleaEngine(), "patchmatch": PatchMatchEngine()}

    def delegate(self, request: InpaintRequest) -> tuple[Engine, str]:
        choice = choose(request.mask, request.faces)
        return self.engines[choice.engine], choice.reason


register(SPEC, f"{__name__}:AutoEngine")
