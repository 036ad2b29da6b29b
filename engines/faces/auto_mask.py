"""Automatic face masks: detect the faces of a photo and select a region of each (or of the largest)."""
from __future__ import annotations

import numpy as np

from engines.contract import CancelToken
from engines.errors import InputError
from engines.faces.landmarks import Face, detect_faces
from engines.faces.regions import FaceRegion, faces_mask


def auto_face_mask(rgb: np.ndarray, region: FaceRegion | str, all_faces: bool = True,
                   margin_ratio: float = 0.05, cancel: CancelToken | None = None) -> tuple[np.ndarray, list[Face]]:
    """H x W bool mask of ``region`` on every face (or the largest one); a photo with no face is an error.
    With ``cancel`` set the search ends with :class:`Cancelled`."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    faces = detect_faces(rgb)
    if cancel is not None:
        cancel.raise_if_cancelled()
    if not faces:
        raise InputError("No face was found in this photo; paint the mask by hand.")
    chosen = faces if all_faces else faces[:1]
    return faces_mask(rgb.shape[:2], chosen, FaceRegion(region), margin_ratio), chosen


def describe(faces: list[Face]) -> str:
    estimated = sum(f.estimated for f in faces)
    note = f" ({estimated} with the lower face estimated from the eyes)" if estimated else ""
    return f"{len(faces)} face{'s' * (len(faces) != 1)}{note}"
