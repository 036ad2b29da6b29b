"""Canny edges with a Gaussian sigma, as EdgeConnect-style edge priors use them."""
from __future__ import annotations

import cv2
import numpy as np

LOW, HIGH = 0.1 * 255, 0.2 * 255  # hysteresis thresholds, as skimage's canny defaults on a [0, 1] image


def canny(grey: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """H x W uint8 grey -> H x W bool edges (smoothed with ``sigma`` first; sigma 0 = no smoothing)."""
    if grey.dtype != np.uint8 or grey.ndim != 2:
        raise ValueError(f"canny needs an H x W uint8 grey image; got {grey.shape} {grey.dtype}")
    if sigma > 0:
        grey = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.Canny(grey, LOW, HIGH, L2gradient=True) > 0


def grey_of(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
