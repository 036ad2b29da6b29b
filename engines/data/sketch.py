"""Soft sketch maps for CFS: multi-scale XDoG (Winnemöller et al. 2012) instead of HED.

The CFS paper takes HED's soft, multi-scale edges because they draw subtle structure that Canny's thin binary
lines miss. HED is a trained network, and no weights can be fetched here, so the sketches come from a classical
operator with the same character: the eXtended Difference of Gaussians, soft-thresholded with tanh, averaged
over two scales. Like HED it gives graded, thick-ish strokes on both strong and faint structure, and it is
deterministic and fast enough to compute for every training face at load time.
"""
from __future__ import annotations

import cv2
import numpy as np

SCALES = (1.0, 2.0)
K, TAU, EPSILON, PHI = 1.6, 0.98, 0.0, 100.0


def xdog(grey: np.ndarray, sigma: float) -> np.ndarray:
    """H x W grey in [0, 1] -> line strength in [0, 1] (1 = a dark line in the drawing)."""
    fine = cv2.GaussianBlur(grey, (0, 0), sigma)
    coarse = cv2.GaussianBlur(grey, (0, 0), sigma * K)
    difference = fine - TAU * coarse
    drawing = np.where(difference >= EPSILON, 1.0, 1.0 + np.tanh(PHI * (difference - EPSILON)))
    return np.clip(1.0 - drawing, 0.0, 1.0).astype(np.float32)


def sketch_map(grey: np.ndarray) -> np.ndarray:
    """H x W uint8 grey -> H x W uint8 soft sketch (255 = line), the mean of XDoG at SCALES."""
    if grey.dtype != np.uint8 or grey.ndim != 2:
        raise ValueError(f"sketch_map needs an H x W uint8 grey image; got {grey.shape} {grey.dtype}")
    unit = grey.astype(np.float32) / 255
    lines = np.mean([xdog(unit, sigma) for sigma in SCALES], axis=0)
    return (lines * 255 + 0.5).astype(np.uint8)
