"""Face alignment for face engines: a similarity transform puts a face's eyes, brows and nose bridge where the
training faces have theirs (resources/faces/mean_landmarks_128.npy), at the engine's resolution."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

MEAN_LANDMARKS = Path(__file__).resolve().parents[2] / "resources" / "faces" / "mean_landmarks_128.npy"
STABLE = np.r_[17:31, 36:48]  # brows, nose bridge, eyes: visible even above a worn mask


@functools.cache
def canonical(size: int) -> np.ndarray:
    """68 x 2 landmark positions of the average training face, scaled to ``size``."""
    return np.load(MEAN_LANDMARKS).astype(np.float32) * (size / 128.0)


def alignment(landmarks: np.ndarray, size: int) -> np.ndarray:
    """2 x 3 matrix: photo -> aligned face crop of ``size`` x ``size`` (rotation, uniform scale, shift)."""
    matrix, _ = cv2.estimateAffinePartial2D(landmarks[STABLE].astype(np.float32), canonical(size)[STABLE], method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("could not align the face")
    return matrix


def warp_to_face(array: np.ndarray, matrix: np.ndarray, size: int, nearest: bool = False) -> np.ndarray:
    interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if matrix[0, 0] ** 2 + matrix[0, 1] ** 2 < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(array, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_REFLECT)


def warp_from_face(array: np.ndarray, matrix: np.ndarray, box: tuple[int, int, int, int], border: int | None = None) -> np.ndarray:
    """The aligned crop back into the photo's ``box`` (y0, y1, x0, x1) region only; outside the crop the edge
    is repeated, or ``border`` is used when given."""
    y0, y1, x0, x1 = box
    inverse = cv2.invertAffineTransform(matrix)
    inverse[:, 2] -= (x0, y0)  # into the box's own coordinates
    mode = cv2.BORDER_REPLICATE if border is None else cv2.BORDER_CONSTANT
    return cv2.warpAffine(array, inverse, (x1 - x0, y1 - y0), flags=cv2.INTER_CUBIC if border is None else cv2.INTER_NEAREST,
                          borderMode=mode, borderValue=border or 0)


def footprint(matrix: np.ndarray, size: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The photo box (y0, y1, x0, x1) that the aligned crop covers, clipped to the photo."""
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64) @ inverse.T
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    return max(0, y0), min(shape[0], y1), max(0, x0), min(shape[1], x1)
