"""Algorithm 1 of the masked-face paper: put a face-mask image on a face from landmarks 1, 8, 16, 29, 33.

H = 1.2 |p29 - p8|; W_R = 1.2 |p29 - p1|; W_L = 1.2 |p29 - p16|. The template's half on the face's right side
(image left, landmark 1) is resized to (H, W_R), the other half to (H, W_L), and the two are joined. The join
sits on the midpoint of p29 and p8, which is also the mask's vertical centre; then the mask is rotated about
its own geometric centre so that its vertical axis follows the p33 -> p8 line.
Landmark numbers are dlib's 0-based 68-point indices, as in the paper's figure.

The training hole is every pixel the placed mask touches (alpha > 0: its soft edge too, or a ring of
half-transparent mask colour would stay outside the hole and show the discriminator a fake), grown by a small
margin; the automatic worn-mask region of a real photo covers the worn mask with the same margin.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "face_masks"
SCALE = 1.2
HOLE_MARGIN = 0.08  # eye distances: training holes and the automatic worn-mask region are grown by the same margin


class MaskStyle(StrEnum):
    SURGICAL = "surgical"
    CLOTH = "cloth"
    N95 = "n95"


@dataclass(frozen=True)
class Placement:
    height: float
    width_right: float  # the face's right side: image left, towards landmark 1
    width_left: float
    anchor: tuple[float, float]  # midpoint of p29 and p8: where the halves join
    centre: tuple[float, float]  # the placed mask's geometric centre, the rotation datum
    angle: float  # degrees, counter-clockwise in image coordinates (y down) as cv2 uses


def placement(landmarks: np.ndarray) -> Placement:
    p = np.asarray(landmarks, np.float64)
    height = SCALE * np.linalg.norm(p[29] - p[8])
    width_right = SCALE * np.linalg.norm(p[29] - p[1])
    width_left = SCALE * np.linalg.norm(p[29] - p[16])
    anchor = (p[29] + p[8]) / 2
    centre = (anchor[0] - width_right + (width_right + width_left) / 2, anchor[1])
    dx, dy = p[8] - p[33]
    angle = math.degrees(math.atan2(dx, dy))  # 0 when the chin is straight below the nose tip
    return Placement(height, width_right, width_left, (float(anchor[0]), float(anchor[1])), (float(centre[0]), float(centre[1])), angle)


def load_template(style: MaskStyle) -> np.ndarray:
    bgra = cv2.imread(str(TEMPLATES / f"{style.value}.png"), cv2.IMREAD_UNCHANGED)
    if bgra is None or bgra.shape[2] != 4:
        raise FileNotFoundError(f"face-mask template {style.value}.png is missing from {TEMPLATES}")
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


@functools.cache
def templates() -> tuple[np.ndarray, ...]:
    """Every drawn template, loaded once."""
    return tuple(load_template(style) for style in MaskStyle)


def vary(template: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour and texture variation: hue and brightness shifts plus fine fabric noise."""
    rgb = template[..., :3].astype(np.float32)
    hsv = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-12, 12)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.7, 1.4), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.75, 1.15), 0, 255)
    rgb = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    rgb += rng.normal(0, rng.uniform(1, 6), rgb.shape[:2])[..., None]
    return np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), template[..., 3]])


def place_template(shape: tuple[int, int], landmarks: np.ndarray, template: np.ndarray) -> tuple[np.ndarray, Placement]:
    """The RGBA template warped onto an image of ``shape`` as Algorithm 1 places it (transparent elsewhere)."""
    place = placement(landmarks)
    h, wr, wl = (max(1, round(v)) for v in (place.height, place.width_right, place.width_left))
    half = template.shape[1] // 2
    joined = np.concatenate([cv2.resize(template[:, :half], (wr, h), interpolation=cv2.INTER_AREA),
                             cv2.resize(template[:, half:], (wl, h), interpolation=cv2.INTER_AREA)], axis=1)
    # mask pixel (u, v) -> image: translate so the join is on the anchor, then rotate about the mask's centre
    translate = np.array([[1, 0, place.anchor[0] - wr], [0, 1, place.anchor[1] - h / 2]], np.float64)
    rotate = cv2.getRotationMatrix2D(place.centre, place.angle, 1.0)
    matrix = rotate @ np.vstack([translate, [0, 0, 1]])
    warped = cv2.warpAffine(joined, matrix, (shape[1], shape[0]), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    return warped, place


def eye_distance(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[42:48].mean(axis=0) - landmarks[36:42].mean(axis=0)))


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` grown (pixels > 0) or shrunk (pixels < 0) by a disc of radius ``|pixels|``: every pixel whose centre
    lies within ``|pixels|`` + 0.5 of the mask (or of its outside). Measured by the distance transform, whose time
    does not grow with the radius (a dilation by a 120 px disc took 1 s on a 16 MP photo; a worn mask on a close-up
    needs several)."""
    if pixels == 0:
        return mask
    if pixels > 0:
        return cv2.distanceTransform((~mask.astype(bool)).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= pixels + 0.5
    return cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > 0.5 - pixels


def hole_of(touched: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The hole for a worn mask that touches ``touched`` pixels: all of them (a half-transparent edge too) grown by
    HOLE_MARGIN eye distances, the same margin the automatic worn-mask region gets (engines/faces/worn_mask.py)."""
    return grow(touched, round(HOLE_MARGIN * eye_distance(landmarks)))


def put_mask(image: np.ndarray, landmarks: np.ndarray, template: np.ndarray) -> tuple[np.ndarray, np.ndarray, Placement]:
    """The image with the face mask drawn on, the hole to fill (every pixel the mask touches, grown by the
    margin) and where it went."""
    warped, place = place_template(image.shape[:2], landmarks, template)
    alpha = warped[..., 3:4].astype(np.float32) / 255
    masked = (image.astype(np.float32) * (1 - alpha) + warped[..., :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    return masked, hole_of(warped[..., 3] > 0, landmarks), place
