"""Faces and their 68 landmarks with dlib (the models that face_recognition ships).

HOG first, upsampled for small faces; when it finds nothing, HOG again with a lower threshold, then dlib's CNN
detector. Large photos are searched at
a reduced scale and the landmarks are then fitted at full resolution. A face whose lower landmarks are not
plausible (a worn mask often hides the chin and mouth) gets its lower points estimated from the box and eyes.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

DETECT_SIDE = 1024  # photos are searched at most this large
LOW_THRESHOLD = -0.5  # second HOG pass before the slow CNN: on the real masked photos 11 of its 12 finds were faces
WEAK_BESIDE_STRONG = 1.0  # HOG score margin below the best face of a photo at which a detection is dropped
JAW, BROWS, NOSE, EYES, MOUTH = slice(0, 17), slice(17, 27), slice(27, 36), slice(36, 48), slice(48, 68)


@dataclass(frozen=True)
class Face:
    """box: (left, top, right, bottom) in image pixels; landmarks: 68 x 2 (x, y) float32."""

    box: tuple[int, int, int, int]
    landmarks: np.ndarray
    detector: str  # "hog" or "cnn"
    estimated: bool = False  # lower landmarks estimated from the box and eyes

    @property
    def size(self) -> float:
        return float(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))


@functools.cache
def _models():
    with warnings.catch_warnings():  # face_recognition_models imports the deprecated pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        import dlib
        import face_recognition_models as models

    return (dlib, dlib.get_frontal_face_detector(), dlib.shape_predictor(models.pose_predictor_model_location()),
            models.cnn_face_detector_model_location())


@functools.cache
def _cnn():
    dlib, _, _, path = _models()
    return dlib.cnn_face_detection_model_v1(path)


def detect_faces(rgb: np.ndarray, upsample: int = 1, use_cnn: bool = True) -> list[Face]:
    """Every face in an RGB uint8 image, largest first."""
    dlib, hog, predictor, _ = _models()
    scale = min(1.0, DETECT_SIDE / max(rgb.shape[:2]))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    boxes, detector = _hog_boxes(hog, small, upsample, 0.0), "hog"
    if not boxes:  # masked faces often score just below HOG's usual threshold
        boxes = _hog_boxes(hog, small, upsample, LOW_THRESHOLD)
    if not boxes and use_cnn:
        boxes, detector = [d.rect for d in _cnn()(small, upsample)], "cnn"
    faces = []
    for box in boxes:
        left, top, right, bottom = (round(v / scale) for v in (box.left(), box.top(), box.right(), box.bottom()))
        shape = predictor(rgb, dlib.rectangle(left, top, right, bottom))
        points = np.array([(p.x, p.y) for p in shape.parts()], np.float32)
        faces.append(_checked(Face((left, top, right, bottom), points, detector)))
    return sorted(faces, key=lambda f: -f.size)


def _hog_boxes(hog, image: np.ndarray, upsample: int, threshold: float) -> list:
    """HOG detections, without a weak one that stands beside a far stronger one (a badge, a print on a shirt)."""
    boxes, scores, _ = hog.run(image, upsample, threshold)
    if not boxes:
        return []
    floor = max(scores) - WEAK_BESIDE_STRONG
    return [box for box, score in zip(boxes, scores) if score >= floor]


def _checked(face: Face) -> Face:
    """Keep dlib's points when the lower face is plausible; otherwise estimate it from the box and the eyes."""
    points = face.landmarks
    eyes = points[EYES].mean(axis=0)
    eye_distance = np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0))
    chin_below = points[8, 1] - eyes[1]
    jaw_width = np.linalg.norm(points[1] - points[15])
    plausible = eye_distance > 0 and 1.2 * eye_distance < chin_below < 3.5 * eye_distance and 1.4 * eye_distance < jaw_width < 4 * eye_distance
    if plausible:
        return face
    return Face(face.box, estimate_lower_face(face.box, points), face.detector, estimated=True)


def estimate_lower_face(box: tuple[int, int, int, int], points: np.ndarray) -> np.ndarray:
    """Replace jaw, nose and mouth points by a mean-face layout scaled to the eyes and the box."""
    left, top, right, bottom = box
    right_eye, left_eye = points[36:42].mean(0), points[42:48].mean(0)
    centre = (right_eye + left_eye) / 2
    across = left_eye - right_eye
    distance = max(float(np.linalg.norm(across)), 0.3 * (right - left))
    x_axis = across / max(np.linalg.norm(across), 1e-6)
    y_axis = np.array([-x_axis[1], x_axis[0]])
    estimated = points.copy()
    for index, (u, v) in _MEAN_LOWER_FACE.items():  # eye-distance units, origin between the eyes
        estimated[index] = centre + distance * (u * x_axis + v * y_axis)
    return estimated


def _mean_lower_face() -> dict[int, np.ndarray]:
    """Jaw, nose and mouth of an average frontal face, in eye-distance units from the eyes' midpoint."""
    jaw = {i: np.array([1.05 * np.cos(np.pi * (1 - i / 16)), 0.1 + 1.75 * np.sin(np.pi * i / 16)]) for i in range(17)}
    nose = {27: (0, 0.15), 28: (0, 0.35), 29: (0, 0.55), 30: (0, 0.75), 31: (-0.22, 0.85), 32: (-0.11, 0.9),
            33: (0, 0.92), 34: (0.11, 0.9), 35: (0.22, 0.85)}
    mouth = {48: (-0.4, 1.2), 54: (0.4, 1.2), 51: (0, 1.1), 57: (0, 1.38), 62: (0, 1.2), 66: (0, 1.25)}
    for i in range(48, 68):
        if i not in mouth:
            t = (i - 48) / 20
            mouth[i] = (0.4 * np.cos(2 * np.pi * t + np.pi), 1.22 + 0.12 * np.sin(2 * np.pi * t))
    return {k: np.asarray(v, np.float32) for k, v in {**jaw, **nose, **mouth}.items()}


_MEAN_LOWER_FACE = _mean_lower_face()
