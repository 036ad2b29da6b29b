"""Faces and their 68 landmarks: dlib's shape predictor on a box one of the detectors found
(engines/faces/detectors.py), in an upright crop of the photo at full resolution. A face whose lower landmarks
are not plausible (a worn mask often hides the chin and mouth) gets its lower points from the mean face put on
its eyes.

Each fit says how much it can be trusted: MTCNN's ONet on the face its eyes frame, and how eye-like each of its
eyes is. ONet is sure of fits whose eye sits on the top of a worn mask (it sees one real eye and a face); such an
eye's outline holds one even colour, while an open eye's holds a dark iris and white sclera.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from engines.faces.align import canonical
from engines.faces.detectors import Candidate, dlib_models, onet

JAW, BROWS, NOSE, EYES, MOUTH = slice(0, 17), slice(17, 27), slice(27, 36), slice(36, 48), slice(48, 68)
# the 68 points of a face seen in a mirror: each point's index on the face mirrored (jaw, brows, nostrils, eyes and
# mouth swap sides; the nose bridge, the nose tip and the mouth's middle stay)
MIRRORED = np.r_[16:-1:-1, 26:16:-1, 27:31, 35:30:-1, 45:41:-1, 47:45:-1, 39:35:-1, 41:39:-1, 54:47:-1, 59:54:-1, 64:59:-1,
                 67:64:-1]
LOWER_FACE = np.r_[JAW, NOSE, MOUTH]
FIT_SIDE = 320  # the predictor looks at the face at most this large (box side, px)
EYES_ALIKE = 0.5  # Face.eyes_alike
EYE_PX = 40  # the eyes are looked at with this many pixels per eye distance
EYE_TOLERANCE = 0.15  # eye distances: dlib's and ONet's eyes further apart than this, ONet's are taken ...
KEEP_SURE = 0.9  # ... unless its face probability, framed by its own eyes, falls below this share of dlib's


@dataclass(frozen=True)
class Face:
    """box: (left, top, right, bottom) in image pixels; landmarks: 68 x 2 (x, y) float32."""

    box: tuple[int, int, int, int]
    landmarks: np.ndarray
    detector: str  # engines.faces.detectors.Detector
    score: float = 1.0  # how sure MTCNN's ONet is that the landmarks sit on a face (detectors.onet)
    estimated: bool = False  # lower landmarks estimated from the box and eyes
    eye_contrast: tuple[float, float] = (1.0, 1.0)  # eye_contrast() of the landmarks, right eye first (alike if unknown)
    found_with: float = 0.0  # the detector's own score for the box the landmarks were fitted in

    @property
    def size(self) -> float:
        return float(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))

    @property
    def eyes_alike(self) -> bool:
        """Both eyes look like eyes as much as each other: the weaker one has at least half the other's contrast."""
        return min(self.eye_contrast) >= EYES_ALIKE * max(self.eye_contrast)

    @property
    def rank(self) -> float:
        """Which of several fits of one face is best: ONet's face probability times the contrast of the weaker eye
        (only compared between fits of the same face in the same photo)."""
        return self.score * min(self.eye_contrast)


def fit_landmarks(rgb: np.ndarray, candidate: Candidate) -> Face:
    """The 68 landmarks in the box, fitted in an upright crop of the photo (turned back when the view was; fitted in
    the mirrored photo and mirrored back when the view was mirrored)."""
    if candidate.view.mirrored:
        unmirrored = replace(candidate, view=replace(candidate.view, mirrored=False))
        return mirrored(fit_landmarks(np.ascontiguousarray(rgb[:, ::-1]), unmirrored), rgb.shape[1])
    dlib, _, predictor, _ = dlib_models()
    centre, size = candidate.photo_centre_and_size()
    scale = min(1.0, FIT_SIDE / max(size, 1.0))
    side = max(2, round(2 * size * scale))
    to_crop = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), candidate.view.angle, scale)
    to_crop[:, 2] += side / 2 - centre
    crop = cv2.warpAffine(rgb, to_crop, (side, side), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    half = size * scale / 2
    box = dlib.rectangle(*(round(v) for v in (side / 2 - half, side / 2 - half, side / 2 + half, side / 2 + half)))
    upright = np.array([(p.x, p.y) for p in predictor(crop, box).parts()], np.float64)
    back = cv2.invertAffineTransform(to_crop)
    points = upright @ back[:, :2].T + back[:, 2]
    corners = np.array([[side / 2 - half, side / 2 - half], [side / 2 + half, side / 2 - half],
                        [side / 2 - half, side / 2 + half], [side / 2 + half, side / 2 + half]]) @ back[:, :2].T + back[:, 2]
    (left, top), (right, bottom) = np.floor(corners.min(axis=0)).astype(int), np.ceil(corners.max(axis=0)).astype(int)
    points, score = _checked_by_onet(rgb, points)
    box = (int(left), int(top), int(right), int(bottom))
    return _checked(Face(box, points.astype(np.float32), str(candidate.detector), score, eye_contrast=eye_contrast(rgb, points),
                         found_with=candidate.score))


def mirrored(face: Face, width: int) -> Face:
    """A face fitted in a photo mirrored left to right (``width`` px wide), in the photo itself."""
    left, top, right, bottom = face.box
    points = np.array(face.landmarks[MIRRORED], np.float32)
    points[:, 0] = width - 1 - points[:, 0]
    return replace(face, box=(width - 1 - right, top, width - 1 - left, bottom), landmarks=points,
                   eye_contrast=face.eye_contrast[::-1])


def eye_centres(landmarks: np.ndarray) -> np.ndarray:
    """2 x 2: the right eye's centre (image left), then the left eye's."""
    return np.array([landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)])


def eyes_frame(right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """2 x 3 matrix: photo pixel -> (u, v) in eye distances, from the two eye centres (right: image left): u across
    the eyes and v down the face, from the point between the eyes."""
    distance = max(float(np.linalg.norm(left - right)), 1e-6)
    across = (left - right) / distance
    down = np.array([-across[1], across[0]])
    rotation = np.vstack([across, down]) / distance
    return np.c_[rotation, -rotation @ ((left + right) / 2)]


def face_frame(landmarks: np.ndarray) -> np.ndarray:
    """2 x 3 matrix: photo pixel -> (u, v) in eye distances (:func:`eyes_frame` of the landmarks' eyes)."""
    return eyes_frame(*eye_centres(landmarks))


def eye_contrast(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """The lightness range (CIELAB L, 5th to 95th percentile) inside each eye's six-point outline, right eye first,
    looked at upright with EYE_PX pixels per eye distance. An open eye holds a dark iris and white sclera; an eye
    put on a worn mask or a cheek holds one even colour."""
    to_crop = EYE_PX * face_frame(landmarks) + np.array([[0, 0, EYE_PX], [0, 0, EYE_PX / 2]])  # u in [-1, 1], v in +-0.5
    crop = cv2.warpAffine(rgb, to_crop, (2 * EYE_PX, EYE_PX), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    lightness = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)[..., 0]
    contrast = []
    for eye in (slice(36, 42), slice(42, 48)):
        outline = np.zeros(lightness.shape, np.uint8)
        cv2.fillConvexPoly(outline, cv2.convexHull(np.round(landmarks[eye] @ to_crop[:, :2].T + to_crop[:, 2]).astype(np.int32)), 1)
        inside = lightness[cv2.dilate(outline, np.ones((3, 3), np.uint8)) > 0].astype(np.float64)
        contrast.append(float(np.percentile(inside, 95) - np.percentile(inside, 5)) if inside.size else 0.0)
    return contrast[0], contrast[1]


def _checked_by_onet(rgb: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, float]:
    """dlib often puts the eyes of a masked face on the brows; MTCNN's ONet, shown the face as the eyes frame it,
    finds them better. When the two disagree by more than EYE_TOLERANCE, the landmarks are moved (turned, scaled,
    shifted) so that their eyes lie where ONet sees them, if ONet is then (nearly) as sure it sees a face.
    Returns the landmarks and ONet's face probability."""
    eyes = eye_centres(points)
    probability, seen = onet(rgb, eyes)
    distance = np.linalg.norm(eyes[1] - eyes[0])
    if np.linalg.norm(seen - eyes, axis=1).mean() <= EYE_TOLERANCE * distance:
        return points, probability
    if distance < 1e-6 or np.linalg.norm(seen[1] - seen[0]) < 1e-6:
        return points, probability
    moved_probability = onet(rgb, seen)[0]
    if moved_probability < KEEP_SURE * probability:  # ONet is much less sure once framed by its own eyes: keep dlib's
        return points, probability
    return onto_eyes(points, eyes, seen), moved_probability


def _checked(face: Face) -> Face:
    """Keep dlib's points when the lower face is plausible; otherwise estimate it from the box and the eyes."""
    points = face.landmarks
    right, left = eye_centres(points)
    across = left - right
    eye_distance = np.linalg.norm(across)
    to_chin = points[8] - points[EYES].mean(axis=0)
    chin_below = float(across[0] * to_chin[1] - across[1] * to_chin[0]) / max(eye_distance, 1e-6)  # along the face's down
    jaw_width = np.linalg.norm(points[1] - points[15])
    plausible = eye_distance > 0 and 1.2 * eye_distance < chin_below < 3.5 * eye_distance and 1.4 * eye_distance < jaw_width < 4 * eye_distance
    if plausible:
        return face
    return replace(face, landmarks=estimate_lower_face(points).astype(np.float32), estimated=True)


def estimate_lower_face(points: np.ndarray) -> np.ndarray:
    """Jaw, nose and mouth replaced by the training faces' mean landmarks put on these eyes."""
    estimated = points.copy()
    mean = mean_face_on_eyes(points)
    estimated[LOWER_FACE] = mean[LOWER_FACE]
    return estimated


def mean_face_on_eyes(landmarks: np.ndarray) -> np.ndarray:
    """The training faces' mean landmarks (engines/faces/align.py) turned, scaled and moved onto these eyes."""
    mean = canonical(128).astype(np.float64)
    return onto_eyes(mean, eye_centres(mean), eye_centres(landmarks))


def onto_eyes(points: np.ndarray, eyes: np.ndarray, onto: np.ndarray) -> np.ndarray:
    """``points`` turned, scaled and moved so that ``eyes`` (2 x 2, right eye first) land on ``onto``."""
    a, b = complex(*eyes[0]), complex(*eyes[1])
    c, d = complex(*onto[0]), complex(*onto[1])
    moved = (points[:, 0] + 1j * points[:, 1] - a) * ((d - c) / (b - a)) + c
    return np.c_[moved.real, moved.imag]
