"""Face regions from the 68 landmarks, for automatic masks: the worn-mask region, eyes band, glasses, whole face,
mouth. Each is a polygon (convex hull of landmark groups) filled into an image-sized bool mask, then grown or
shrunk by a margin."""
from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np


class FaceRegion(StrEnum):
    WORN_MASK = "worn_mask"  # nose bridge to chin, cheek to cheek
    EYES = "eyes"
    GLASSES = "glasses"
    FACE = "face"  # jaw 0-16 plus brows
    MOUTH = "mouth"


def region_polygon(landmarks: np.ndarray, region: FaceRegion) -> np.ndarray:
    """The region's outline (K x 2 float32, image x/y) from 68 x 2 landmarks."""
    p = np.asarray(landmarks, np.float32)
    if p.shape != (68, 2):
        raise ValueError(f"landmarks must be 68 x 2; got {p.shape}")
    if region is FaceRegion.WORN_MASK:
        return np.vstack([p[1:16], p[28:29]])  # jaw from cheek to cheek through the chin, up to the nose bridge
    if region is FaceRegion.EYES:
        eyes = p[36:48]
        height = np.ptp(eyes[:, 1]) + 0.25 * np.linalg.norm(p[39] - p[42])
        centre_y = eyes[:, 1].mean()
        return np.array([[p[36, 0], centre_y - height], [p[45, 0], centre_y - height],
                         [p[45, 0], centre_y + height], [p[36, 0], centre_y + height]], np.float32)
    if region is FaceRegion.GLASSES:
        return np.vstack([p[0:1], p[16:17], p[17:27], p[27:30], p[36:48]])
    if region is FaceRegion.FACE:
        return np.vstack([p[0:17], p[17:27]])
    return p[48:60]


def region_mask(shape: tuple[int, int], landmarks: np.ndarray, region: FaceRegion, margin: int = 0) -> np.ndarray:
    """H x W bool: the region's convex hull, grown (margin > 0) or shrunk (margin < 0) by ``margin`` px."""
    hull = cv2.convexHull(np.round(region_polygon(landmarks, region)).astype(np.int32))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    if margin:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(margin) + 1,) * 2)
        mask = (cv2.dilate if margin > 0 else cv2.erode)(mask, kernel)
    return mask.astype(bool)


def faces_mask(shape: tuple[int, int], faces, region: FaceRegion, margin_ratio: float = 0.05) -> np.ndarray:
    """The region of every face (margin relative to each face's size), as one mask."""
    mask = np.zeros(shape, bool)
    for face in faces:
        mask |= region_mask(shape, face.landmarks, region, round(margin_ratio * face.size))
    return mask
