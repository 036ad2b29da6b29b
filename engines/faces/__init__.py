"""Face tools (no Qt): face search and dlib landmarks, face regions for automatic masks, alignment, synthetic
masked faces. The regions a user can ask for are declared here, once, without importing OpenCV or dlib, so that
the command line and the editor list them cheaply."""
from __future__ import annotations

from enum import StrEnum


class FaceRegion(StrEnum):
    WORN_MASK = "worn_mask"
    EYES = "eyes"
    GLASSES = "glasses"
    FACE = "face"
    MOUTH = "mouth"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {FaceRegion.WORN_MASK: "Worn mask (nose to chin)", FaceRegion.EYES: "Eyes", FaceRegion.GLASSES: "Glasses",
           FaceRegion.FACE: "Whole face", FaceRegion.MOUTH: "Mouth"}
