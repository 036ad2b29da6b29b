"""Draws the three face-mask templates used by Algorithm 1 (surgical, cloth, N95) as RGBA PNGs beside this file.

Each template is drawn facing the viewer, 240 x 160, the mask filling the canvas: its left half goes on the
face's right side (landmark 1), its right half on the face's left side (landmark 16).
Run: python resources/face_masks/draw_templates.py
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H = 240, 160
HERE = Path(__file__).resolve().parent


def _canvas() -> np.ndarray:
    return np.zeros((H, W, 4), np.uint8)


def _shape(points: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    curve = cv2.approxPolyDP(np.array(points, np.int32), 1, True)
    cv2.fillPoly(mask, [curve], 255)
    return cv2.GaussianBlur(mask, (3, 3), 0)


def _shade(rgba: np.ndarray, alpha: np.ndarray, base: tuple[int, int, int]) -> None:
    """Fill with a colour that darkens towards the edges, like cloth curving around a face."""
    xs = np.linspace(-1, 1, W)[None, :]
    ys = np.linspace(-1, 1, H)[:, None]
    light = 1.0 - 0.22 * xs**2 - 0.12 * ys**2
    rgba[..., :3] = np.clip(np.array(base)[None, None, :] * light[..., None], 0, 255).astype(np.uint8)
    rgba[..., 3] = alpha


def surgical() -> np.ndarray:
    rgba = _canvas()
    alpha = _shape([(6, 22), (W // 2, 8), (W - 7, 22), (W - 3, H - 30), (W // 2, H - 4), (3, H - 30)])
    _shade(rgba, alpha, (170, 205, 235))
    for y in (52, 80, 108):  # pleats
        cv2.line(rgba, (14, y), (W - 14, y), (135, 170, 205, 255), 3, cv2.LINE_AA)
    rgba[..., 3] = alpha
    return rgba


def cloth() -> np.ndarray:
    rgba = _canvas()
    points = [(4, 30), (W // 4, 12), (W // 2, 4), (3 * W // 4, 12), (W - 5, 30), (W - 8, H - 48),
              (3 * W // 4, H - 16), (W // 2, H - 3), (W // 4, H - 16), (7, H - 48)]
    alpha = _shape(points)
    _shade(rgba, alpha, (50, 55, 70))
    cv2.line(rgba, (W // 2, 6), (W // 2, H - 6), (35, 38, 50, 255), 2, cv2.LINE_AA)  # centre seam
    rgba[..., 3] = alpha
    return rgba


def n95() -> np.ndarray:
    rgba = _canvas()
    alpha = np.zeros((H, W), np.uint8)
    cv2.ellipse(alpha, (W // 2, H // 2 + 4), (W // 2 - 4, H // 2 - 6), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
    _shade(rgba, alpha, (238, 236, 228))
    cv2.ellipse(rgba, (W // 2, H // 2 + 4), (W // 2 - 14, H // 2 - 16), 0, 0, 360, (205, 203, 195, 255), 2, cv2.LINE_AA)
    cv2.circle(rgba, (W // 2 + 40, H // 2 + 10), 16, (200, 200, 195, 255), -1, cv2.LINE_AA)  # valve
    rgba[..., 3] = alpha
    return rgba


if __name__ == "__main__":
    for name, draw in (("surgical", surgical), ("cloth", cloth), ("n95", n95)):
        rgba = draw()
        cv2.imwrite(str(HERE / f"{name}.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
        print("wrote", HERE / f"{name}.png")
