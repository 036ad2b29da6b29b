"""Automatic face masks: search the photo for faces (a progress generator that a cancel token stops between
steps) and select a region of each face, or of the largest."""
from __future__ import annotations

import numpy as np

from engines.contract import CancelToken, Progress, Work, drive
from engines.errors import InputError
from engines.faces import FaceRegion
from engines.faces.landmarks import Face
from engines.faces.regions import faces_mask
from engines.faces.search import search_faces

NO_FACE = "No face was found in this photo; paint the mask by hand."
MIN_SIDE = 32  # px: the smallest photo side searched for faces


def face_mask_work(rgb: np.ndarray, region: FaceRegion | str, all_faces: bool = True, cancel: CancelToken | None = None,
                   margin_ratio: float = 0.05) -> Work[tuple[np.ndarray, list[Face]]]:
    """H x W bool mask of ``region`` on every face (or the largest one) and the faces; yields the search's
    progress, then a step per face placed; a photo with no face is an error (one sentence); ``cancel`` stops it
    between steps (a worn mask on a 16 MP close-up takes about 2 s a face)."""
    region = FaceRegion(region)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:  # the detectors fail on a few pixels instead of finding nothing
        raise InputError(f"The photo is {w} x {h} px, too small to hold a face (at least {MIN_SIDE} px a side).")
    faces = yield from search_faces(rgb, cancel)
    if not faces:
        raise InputError(NO_FACE)
    chosen = faces if all_faces else faces[:1]
    cancel = cancel or CancelToken()
    mask = np.zeros((h, w), bool)
    for index, face in enumerate(chosen):
        cancel.raise_if_cancelled()
        of = f" ({index + 1} of {len(chosen)} faces)" if len(chosen) > 1 else ""
        yield Progress(index, len(chosen), f"Placing the {region.title.lower()} region{of}")
        mask |= faces_mask(rgb, [face], region, margin_ratio)
    cancel.raise_if_cancelled()
    return mask, chosen


def auto_face_mask(rgb: np.ndarray, region: FaceRegion | str, all_faces: bool = True,
                   margin_ratio: float = 0.05, cancel: CancelToken | None = None) -> tuple[np.ndarray, list[Face]]:
    """:func:`face_mask_work` run to the end (no progress); ``cancel`` stops the search between its steps."""
    return drive(face_mask_work(rgb, region, all_faces, cancel, margin_ratio))


def describe(faces: list[Face]) -> str:
    estimated = sum(f.estimated for f in faces)
    note = f" ({estimated} with the lower face estimated from the eyes)" if estimated else ""
    return f"{len(faces)} face{'s' * (len(faces) != 1)}{note}"
