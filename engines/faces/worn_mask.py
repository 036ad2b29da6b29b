"""The worn-mask region of a face, fitted to the photo.

Landmarks of a masked face are unreliable below the nose, but the eyes are found well, so the work happens in
the face's own frame: u across the eyes and v down the face, both in eye distances, from the point between the
eyes. Three parts:
1. the prior: where Algorithm 1 (engines/faces/algorithm1.py) would put each of its three face-mask templates on
   these landmarks and on the mean face put on their eyes, all of them together; training holes are these
   shapes, so the region holds them;
2. GrabCut (OpenCV) in an upright crop of the face: sure mask under the nose and over the mouth, probably mask
   in the prior, never mask at and above the eyes or far from the face; its colour models, learnt from those
   seeds, find how far the real mask reaches (below the chin, out to the ears); the convex hull of the part
   that holds the mouth is kept;
3. the union of the two, grown by Algorithm 1's HOLE_MARGIN, and never over the eyes: neither where the landmarks
   put them nor where MTCNN's ONet sees them (behind glasses the two can differ). The prior is kept whole, though
   beside a narrow or turned face it covers some cheek or background: trimmed to GrabCut's surroundings it left
   the top of the mask uncovered on real photos where GrabCut stopped short.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from engines.faces.algorithm1 import HOLE_MARGIN, MaskStyle, eye_distance, grow, load_template, place_template
from engines.faces.detectors import onet
from engines.faces.landmarks import mean_face_on_eyes

PX = 40  # crop pixels per eye distance
U_RANGE, V_RANGE = (-2.2, 2.2), (-1.2, 3.0)  # the crop, in eye distances
EYES = ((-0.5, 0.02), (0.5, 0.02))  # eye centres (u, v); each eye is kept clear within
EYE_RADII = (0.34, 0.18)  # these half-axes
ABOVE_EYES = 0.1  # nothing above this v is ever mask
MOUTH = ((-0.4, 0.4), (0.9, 1.4))  # (u range, v range): mask for sure
FAR_U, FAR_V = 1.9, 2.8  # beyond |u| or v: not the mask
GRABCUT_ROUNDS = 4
SEEN_EYES_NEAR = 0.5  # eye distances: ONet's eyes this close to the landmarks' are kept clear as well


def face_frame(landmarks: np.ndarray) -> np.ndarray:
    """2 x 3 matrix: photo pixel -> (u, v) in eye distances."""
    return eyes_frame(*eye_centres(landmarks))


def eyes_frame(right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """2 x 3 matrix: photo pixel -> (u, v) in eye distances, from the two eye centres (right: image left)."""
    distance = max(float(np.linalg.norm(left - right)), 1e-6)
    across = (left - right) / distance
    down = np.array([-across[1], across[0]])
    rotation = np.vstack([across, down]) / distance
    return np.c_[rotation, -rotation @ ((left + right) / 2)]


def eye_centres(landmarks: np.ndarray) -> np.ndarray:
    """2 x 2: the right eye's centre (image left), then the left eye's."""
    return np.array([landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)])


def eye_zone(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where the region must never reach: the eyes and everything above them."""
    zone = v < ABOVE_EYES
    for cu, cv in EYES:
        zone |= ((u - cu) / EYE_RADII[0]) ** 2 + ((v - cv) / EYE_RADII[1]) ** 2 < 1
    return zone


@functools.cache
def _templates() -> tuple[np.ndarray, ...]:
    return tuple(load_template(style) for style in MaskStyle)


def prior(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """H x W bool: every pixel one of Algorithm 1's templates touches when placed on these landmarks, or on the
    mean face put on their eyes (below the nose a masked face's own landmarks are often off)."""
    out = np.zeros(shape, bool)
    for points in (landmarks, mean_face_on_eyes(landmarks)):
        for template in _templates():
            out |= place_template(shape, points, template)[0][..., 3] > 0
    return out


def _box(frame: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The photo box (y0, y1, x0, x1) the crop covers, clipped to the photo."""
    to_photo = cv2.invertAffineTransform(frame)
    corners = np.array([(u, v, 1.0) for u in U_RANGE for v in V_RANGE]) @ to_photo.T
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return max(0, y0), min(shape[0], y1), max(0, x0), min(shape[1], x1)


def _uv(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    y0, y1, x0, x1 = box
    x, y = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    return frame[0, 0] * x + frame[0, 1] * y + frame[0, 2], frame[1, 0] * x + frame[1, 1] * y + frame[1, 2]


def grabcut_mask(rgb: np.ndarray, frame: np.ndarray, prior_box: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """GrabCut's worn mask in ``box`` (bool, box-sized): the convex hull of the part that covers the mouth."""
    width, height = round((U_RANGE[1] - U_RANGE[0]) * PX), round((V_RANGE[1] - V_RANGE[0]) * PX)
    to_crop = PX * frame - np.array([[0, 0, U_RANGE[0] * PX], [0, 0, V_RANGE[0] * PX]])
    crop = cv2.warpAffine(rgb, to_crop, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    y0, _, x0, _ = box
    box_to_crop = to_crop.copy()
    box_to_crop[:, 2] += to_crop[:, :2] @ (x0, y0)
    likely = cv2.warpAffine(prior_box.astype(np.uint8), box_to_crop, (width, height), flags=cv2.INTER_NEAREST) > 0
    u, v = np.meshgrid((np.arange(width) + 0.5) / PX + U_RANGE[0], (np.arange(height) + 0.5) / PX + V_RANGE[0])
    mouth = (u > MOUTH[0][0]) & (u < MOUTH[0][1]) & (v > MOUTH[1][0]) & (v < MOUTH[1][1])
    labels = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    labels[likely] = cv2.GC_PR_FGD
    labels[mouth] = cv2.GC_FGD
    labels[eye_zone(u, v) | (np.abs(u) > FAR_U) | (v > FAR_V)] = cv2.GC_BGD
    cv2.setRNGSeed(0)  # GrabCut's k-means start: the same region every time
    cv2.grabCut(crop, labels, None, np.zeros((1, 65)), np.zeros((1, 65)), GRABCUT_ROUNDS, cv2.GC_INIT_WITH_MASK)
    found = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    _, parts = cv2.connectedComponents(found)
    keep = np.isin(parts, np.unique(parts[mouth & (found > 0)]))
    hull = np.zeros((height, width), np.uint8)
    points = cv2.findNonZero(keep.astype(np.uint8))
    if points is not None:
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 255)
    y0, y1, x0, x1 = box
    back = cv2.warpAffine(hull, box_to_crop, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return back > 127


def worn_mask_region(rgb: np.ndarray, landmarks: np.ndarray, refine: bool = True) -> np.ndarray:
    """H x W bool: the worn mask of the face with these landmarks, grown by HOLE_MARGIN, never over the eyes.
    ``refine=False``: from the landmarks alone (the prior, no GrabCut)."""
    landmarks = np.asarray(landmarks, np.float64)
    frame = face_frame(landmarks)
    box = _box(frame, rgb.shape[:2])
    y0, y1, x0, x1 = box
    out = np.zeros(rgb.shape[:2], bool)
    if y1 <= y0 or x1 <= x0:
        return out
    local = landmarks - (x0, y0)
    region = prior((y1 - y0, x1 - x0), local)
    if refine:
        region |= grabcut_mask(rgb, frame, region, box)
    keep_clear = eye_zone(*_uv(frame, box))
    seen = onet(rgb, eye_centres(landmarks))[1]
    if np.linalg.norm(seen - eye_centres(landmarks), axis=1).max() < SEEN_EYES_NEAR * eye_distance(landmarks):
        keep_clear |= eye_zone(*_uv(eyes_frame(*seen), box))  # where MTCNN's ONet sees the eyes is kept clear too
    region = grow(region & ~keep_clear, round(HOLE_MARGIN * eye_distance(landmarks))) & ~keep_clear
    out[y0:y1, x0:x1] = region
    return out
