"""Face regions for automatic masks. The worn mask is fitted to the photo (engines/faces/worn_mask.py); the eyes
band, glasses, whole face and mouth are polygons (convex hulls of landmark groups), grown or shrunk by a margin."""
from __future__ import annotations

import cv2
import numpy as np

from engines.faces import FaceRegion
from engines.faces.algorithm1 import grow
from engines.faces.worn_mask import worn_mask_region

__all__ = ["FaceRegion", "faces_mask", "region_mask", "region_polygon"]


def region_polygon(landmarks: np.ndarray, region: FaceRegion) -> np.ndarray:
    """The outline (K x 2 float32, image x/y) of a polygon region (not the worn mask) from 68 x 2 landmarks."""
    p = _checked(landmarks)
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
    if region is FaceRegion.MOUTH:
        return p[48:60]
    raise ValueError(f"{region} is fitted to the photo, not a landmark polygon")


def _checked(landmarks: np.ndarray) -> np.ndarray:
    p = np.asarray(landmarks, np.float32)
    if p.shape != (68, 2):
        raise ValueError(f"landmarks must be 68 x 2; got {p.shape}")
    return p


def region_mask(shape: tuple[int, int], landmarks: np.ndarray, region: FaceRegion, margin: int = 0) -> np.ndarray:
    """H x W bool: a polygon region's convex hull, grown (margin > 0) or shrunk (margin < 0) by ``margin`` px.
    The worn mask is fitted to the photo instead: :func:`engines.faces.worn_mask.worn_mask_region`."""
    hull = cv2.convexHull(np.round(region_polygon(landmarks, region)).astype(np.int32))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    return grow(mask.astype(bool), margin)


def faces_mask(rgb: np.ndarray, faces, region: FaceRegion, margin_ratio: float = 0.05) -> np.ndarray:
    """The region of every face (polygons: margin relative to each face's size), as one mask."""
    mask = np.zeros(rgb.shape[:2], bool)
    for face in faces:
        if region is FaceRegion.WORN_MASK:
            mask |= worn_mask_region(rgb, _checked(face.landmarks))
        else:
            mask |= region_mask(rgb.shape[:2], face.landmarks, region, round(margin_ratio * face.size))
    return mask
