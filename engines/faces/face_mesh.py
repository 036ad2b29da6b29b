"""Where the eyes are, from MediaPipe's face mesh (resources/mediapipe/face_landmark.tflite, run by OpenCV's dnn).

dlib's 68-point predictor, given the box of a masked face, often puts the eyes on the brows or the lower lids; the
face mesh, a network that regresses 468 points from a 192 px crop of the face, finds them where dlib does not (on
the 56 faces found in the 60 real masked photos: dlib's eyes 0.15 eye distances or more from the mesh's on 10, the
mesh's right on those looked at) and agrees with dlib elsewhere (median 0.05 eye distances). It is asked twice:
first on the crop that dlib's eyes frame, then on the crop its own eyes frame.
"""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from engines.faces.detectors import dnn_lock, read_tflite

MODEL = Path(__file__).resolve().parents[2] / "resources" / "mediapipe" / "face_landmark.tflite"
MODEL_SHA256 = "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"
SIDE = 192  # its input, px
ROI = (0.4, 3.3)  # the crop in eye distances: its centre below the eyes' midpoint, its side
# the mesh's outline of each eye (16 points round the opening), right eye (image left) first
OUTLINES = np.array([(33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
                     (362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398)])


@functools.cache
def _network():
    return read_tflite(MODEL, MODEL_SHA256)


def _mesh(rgb: np.ndarray, eyes: np.ndarray) -> tuple[np.ndarray, float]:
    """468 x 2 photo points and the mesh's face probability, on the crop that two eye centres frame."""
    right, left = np.asarray(eyes, np.float64)
    distance = max(float(np.linalg.norm(left - right)), 1.0)
    across = (left - right) / distance
    centre = (left + right) / 2 + ROI[0] * distance * np.array([-across[1], across[0]])
    to_crop = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(np.degrees(np.arctan2(across[1], across[0]))),
                                      SIDE / (ROI[1] * distance))
    to_crop[:, 2] += SIDE / 2 - centre
    crop = cv2.warpAffine(rgb, to_crop, (SIDE, SIDE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT)
    with dnn_lock:
        net = _network()
        net.setInput(np.ascontiguousarray(crop.transpose(2, 0, 1)[None], np.float32) / 255)
        points, face = net.forward(["conv2d_21", "conv2d_31"])
    back = cv2.invertAffineTransform(to_crop)
    return points.reshape(-1, 3)[:, :2] @ back[:, :2].T + back[:, 2], float(1 / (1 + np.exp(-np.clip(face.item(), -80, 80))))


def eye_outlines(rgb: np.ndarray, eyes: np.ndarray) -> tuple[np.ndarray, float]:
    """2 x 16 x 2: each eye's outline (photo pixels, right eye first) as the face mesh sees it, starting from two
    eye centres (right eye first), and how sure the mesh is that it looks at a face."""
    points, _ = _mesh(rgb, eyes)
    points, face = _mesh(rgb, points[OUTLINES].mean(axis=1))
    return points[OUTLINES], face
