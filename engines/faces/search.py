"""The face search: a progress generator that tries the detectors from the fastest on, checks its cancel token
between steps (each a fraction of a second on a 512 px photo), fits dlib's 68 landmarks to every box found and
keeps a face only when MTCNN's last stage agrees that the landmarks sit on a face (detectors.onet).

Steps: HOG and MTCNN on the photo (both, so that every face of a group is found); then, only while no face is
found for sure (ONet sure, and both eyes look like eyes: a fit whose eye dlib put on the worn mask is not), both
again on the photo padded with its mean colour (faces cut off by the frame), MTCNN on the padded photo turned by
-20 and +20 degrees (tilted heads), BlazeFace on the padded photo while every face kept is doubtful (none at all, or
one with an eye that does not look like an eye: a selfie-like face filling the frame, a fit with an eye on the worn
mask), then BlazeFace once more on that photo mirrored (the detectors and dlib's fit are not symmetric: of the 60
real photos, a face larger than the frame under a cap is found only in the mirror) and last dlib's CNN detector.
Of several boxes on one face, the fit that ranks best (Face.rank: ONet's face probability and how eye-like its
weaker eye is) is kept.

A fit is kept when ONet is at least ACCEPT sure of it; a fit in a BlazeFace box (the last resort) instead when both
eyes look like eyes and BlazeFace is BLAZEFACE_SURE of its box or ONet SURE of the fit: ONet, which judges the whole
face, is unsure of a face whose lower half is a printed mask (on the 60 real photos: 0.39 for the right fit of a face
with a cat's muzzle printed on its mask), and sure enough (0.51) of a wrong fit in a box BlazeFace was unsure of
(0.69); in grey, BlazeFace is less sure of its boxes (0.70 for a face ONet was 0.99 sure of).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engines.contract import CancelToken, Progress, Work, drive
from engines.faces.detectors import (
    Candidate,
    Detector,
    View,
    blazeface_candidates,
    cnn_candidates,
    hog_candidates,
    make_view,
    mtcnn_candidates,
)
from engines.faces.landmarks import Face, fit_landmarks

PHOTO_SIDE = 1024  # photos are searched at most this large
PADDED_SIDE = 640  # the padded views, for faces large in the frame
PAD = 0.25  # x the longer side, on every edge
TURNS = (-20.0, 20.0)  # degrees
CNN_SIDE = 400  # dlib's CNN at upsample 0 finds faces of 80 px and more
SURE = 0.9  # a face this sure, with eyes alike (Face.eyes_alike), ends the search after the step that found it
ACCEPT = 0.5  # a face less sure than this is left out (on the 60 real photos: wrong boxes scored 0.00-0.50)
BLAZEFACE_SURE = 0.75  # a fit in a BlazeFace box this sure, with eyes alike, is kept whatever ONet says (on the 60
# real photos BlazeFace scored the one right fit it alone found 0.82, the wrong ones 0.41-0.69)


@dataclass(frozen=True)
class Step:
    message: str
    find: Callable[[], list[Candidate]]
    may_stop: bool  # the search may end after this step
    only_if_doubtful: bool = False  # the step is taken only while no face is kept whose eyes both look like eyes


def plan(rgb: np.ndarray, quick: bool = False) -> list[Step]:
    """The search steps for ``rgb``; ``quick``: HOG on the photo only (clean, unmasked faces)."""
    views: dict[tuple[int, float, float, bool], View] = {}

    def view(side: int, pad: float = 0.0, angle: float = 0.0, mirrored: bool = False) -> View:
        key = (side, pad, angle, mirrored)
        if key not in views:
            views[key] = make_view(rgb, side, pad, angle, mirrored)
        return views[key]

    steps = [Step("HOG", lambda: hog_candidates(view(PHOTO_SIDE), 1), quick)]
    if quick:
        return steps
    steps.append(Step("MTCNN", lambda: mtcnn_candidates(view(PHOTO_SIDE)), True))
    steps.append(Step("HOG, padded", lambda: hog_candidates(view(PADDED_SIDE, PAD), 1), False))
    steps.append(Step("MTCNN, padded", lambda: mtcnn_candidates(view(PADDED_SIDE, PAD)), True))
    steps += [Step(f"MTCNN, turned {angle:+.0f} degrees", lambda a=angle: mtcnn_candidates(view(PADDED_SIDE, PAD, a)), True)
              for angle in TURNS]
    steps.append(Step("BlazeFace, padded", lambda: blazeface_candidates(view(PADDED_SIDE, PAD)), True, only_if_doubtful=True))
    steps.append(Step("BlazeFace, mirrored", lambda: blazeface_candidates(view(PADDED_SIDE, PAD, mirrored=True)), True,
                      only_if_doubtful=True))
    steps.append(Step("CNN", lambda: cnn_candidates(view(CNN_SIDE, PAD)), True))
    return steps


def same_face(a: Face, b: Face) -> bool:
    """Two fits are one face when their boxes' centres are closer than half the smaller box."""
    centre = lambda f: np.array([(f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2])  # noqa: E731
    return float(np.linalg.norm(centre(a) - centre(b))) < 0.5 * min(a.size, b.size)


def kept(face: Face) -> bool:
    """Whether a fit is kept (the module's docstring says when)."""
    if face.detector == Detector.BLAZEFACE:
        return (face.found_with >= BLAZEFACE_SURE or face.score >= SURE) and face.eyes_alike
    return face.score >= ACCEPT


def keep_best(faces: list[Face], new: Face) -> list[Face]:
    """``faces`` with ``new`` added, or replacing the fit of the same face it ranks better than (a fit that is not
    kept never replaces one that is)."""
    better = lambda f: (kept(f), f.rank)  # noqa: E731
    for index, face in enumerate(faces):
        if same_face(face, new):
            return faces if better(face) >= better(new) else faces[:index] + [new] + faces[index + 1:]
    return faces + [new]


def search_faces(rgb: np.ndarray, cancel: CancelToken | None = None, quick: bool = False) -> Work[list[Face]]:
    """Every face found in an RGB uint8 photo with its landmarks, largest first; an empty list when none.
    Yields progress before each step; raises Cancelled (between steps) once ``cancel`` is set."""
    cancel = cancel or CancelToken()
    steps = plan(rgb, quick)
    faces: list[Face] = []
    for index, step in enumerate(steps):
        cancel.raise_if_cancelled()
        if step.only_if_doubtful and any(kept(face) and face.eyes_alike for face in faces):
            continue
        yield Progress(index, len(steps), f"Looking for faces ({step.message})")
        for candidate in step.find():
            faces = keep_best(faces, fit_landmarks(rgb, candidate))
        if step.may_stop and any(face.score >= SURE and face.eyes_alike for face in faces):
            break
    cancel.raise_if_cancelled()
    yield Progress(len(steps), len(steps), "Looked for faces")
    return sorted((face for face in faces if quick or kept(face)), key=lambda f: -f.size)


def detect_faces(rgb: np.ndarray, quick: bool = False) -> list[Face]:
    """:func:`search_faces` run to the end (no progress, no cancel)."""
    return drive(search_faces(rgb, quick=quick))
