"""The default engine: PatchMatch where it fills better than Telea, Telea where Telea does (measured side by side).

- a hole on a face found by the automatic face mask (the request's landmarks): Telea. On worn-mask holes of
  faces128/val Telea scores better than PatchMatch on PSNR, SSIM and the VGG distance: PatchMatch copies hair and
  background into the face. (A trained face engine beats both; pick it by name.)
- thin strokes, at most THIN_WIDTH px at their widest (scratches, text, a date stamp): Telea. Diffusion closes a
  thin gap from both sides; bench/engine_choice.py finds where PatchMatch starts to win.
- anything wider (objects, people, watermarks with thick letters): PatchMatch, which copies real texture.

The width is measured with a distance transform (hole_width): about twice the distance from the hole's inside to
its nearest known pixel.
"""
from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from engines.base import Engine
from engines.classical.patchmatch import PatchMatchEngine
from engines.classical.telea import TeleaEngine
from engines.contract import EngineSpec, InpaintRequest, Need
from engines.faces.regions import FaceRegion, region_mask
from engines.registry import register

THIN_WIDTH = 8  # px: bench/engine_choice.py
FACE_SHARE = 0.5  # a hole with at least this share of its pixels on known faces is a face fill
FACE_MARGIN = 0.1  # the face's outline grown by this share of its width

SPEC = EngineSpec(
    name="auto",
    title="Automatic (PatchMatch; Telea for thin strokes and faces)",
    description="Chooses for each fill: PatchMatch for objects, people and watermarks; Telea for scratches, text and "
                "holes on a face found by the automatic face mask.",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=None,
    multiple_results=True,  # when PatchMatch is chosen
)


class Choice(NamedTuple):
    engine: str
    reason: str


def hole_width(mask: np.ndarray) -> float:
    """The hole's width in px (H x W bool mask): a line of width w measures about w, a blob about 3/4 of its side.

    Twice the 95th percentile of each hole pixel's distance to the nearest known pixel, less one: a percentile
    rather than the largest distance, so the corners and crossings of strokes do not count as wide."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return 0.0
    hole = np.pad(mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], 1).astype(np.uint8)
    distance = cv2.distanceTransform(hole, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return float(2 * np.percentile(distance[hole > 0], 95) - 1)


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
    width = hole_width(mask)
    if width <= THIN_WIDTH:
        return Choice("telea", f"Telea chosen: thin strokes ({width:.0f} px at the widest).")
    return Choice("patchmatch", f"PatchMatch chosen: the hole is {width:.0f} px at the widest.")


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
