"""MediaPipe's face mesh finds the eyes, also from eye centres dlib put on the brows, and the worn-mask region
keeps them clear."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.faces import worn_mask
from engines.faces.face_mesh import eye_outlines
from engines.faces.landmarks import eye_centres
from engines.faces.search import detect_faces
from engines.imageio import load_image
from tests.engines.faces.test_search import _worn

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


@pytest.fixture(scope="module")
def astronaut():
    image = load_image(SAMPLES / "astronaut.jpg").rgb
    return image, detect_faces(image, quick=True)[0].landmarks.astype(np.float64)


def _up(landmarks: np.ndarray, share: float) -> np.ndarray:
    """The landmarks moved up the face by ``share`` eye distances (dlib's eyes on the brows)."""
    right, left = eye_centres(landmarks)
    across = (left - right) / np.linalg.norm(left - right)
    return landmarks - share * np.linalg.norm(left - right) * np.array([-across[1], across[0]])


@pytest.mark.parametrize("share", [0.0, 0.3], ids=["from the eyes", "from the brows"])
def test_the_mesh_outlines_each_eye(astronaut, share):
    image, truth = astronaut
    outlines, sure = eye_outlines(image, eye_centres(_up(truth, share)))
    distance = np.linalg.norm(eye_centres(truth)[1] - eye_centres(truth)[0])
    assert outlines.shape == (2, 16, 2) and sure > 0.9
    assert np.linalg.norm(outlines.mean(axis=1) - eye_centres(truth), axis=1).max() < 0.1 * distance


def test_an_eye_the_region_reaches_into_is_taken_out_and_only_such_an_eye(astronaut, monkeypatch):
    """What the mesh takes out: an eye the region reaches into, grown by the margin (tests/engines/faces/
    worn_masks.json holds a real photo whose eye the landmarks alone cover); nothing for an eye the region stays
    clear of, nor when the mesh is unsure that it sees a face."""
    image, truth = astronaut
    masked, _ = _worn(image, truth, 0.3)
    eyes = np.zeros(image.shape[:2], np.uint8)
    for eye in (slice(36, 42), slice(42, 48)):
        cv2.fillConvexPoly(eyes, cv2.convexHull(np.round(truth[eye]).astype(np.int32)), 1)
    everything = np.ones(image.shape[:2], bool)
    outlines, sure = eye_outlines(masked, eye_centres(truth))
    distance = float(np.linalg.norm(eye_centres(truth)[1] - eye_centres(truth)[0]))

    def reached(region: np.ndarray, sure: float = sure) -> np.ndarray:
        return worn_mask.eyes_reached(region, outlines, sure, distance, (0, 0))

    assert reached(everything)[eyes > 0].all(), "the outlines, grown, hold the eyes"
    right_only = everything.copy()
    right_only[:, int(eye_centres(truth).mean(axis=0)[0]):] = False
    taken = reached(right_only)
    assert taken[:, :int(truth[39, 0]) + 1].any() and not taken[:, int(truth[42, 0]):].any(), "only the eye reached"
    assert not reached(~everything).any()
    assert not (worn_mask.worn_mask_region(masked, truth) & (eyes > 0)).any()
    monkeypatch.setattr(worn_mask, "MESH_SURE", 1.01)
    assert not reached(everything).any()


@pytest.mark.parametrize("damage", [None, "garbage", "one byte"], ids=["missing", "not a model", "one byte changed"])
def test_a_missing_or_damaged_model_file_is_one_sentence(tmp_path, monkeypatch, damage):
    """A model with zeroed weights still loads and runs (wrong eyes, no face found): the shipped file's sha256 is
    checked before it is read."""
    from engines import errors
    from engines.faces import face_mesh

    model = tmp_path / "face_landmark.tflite"
    if damage == "garbage":
        model.write_bytes(b"not a model")
    elif damage == "one byte":
        data = bytearray(face_mesh.MODEL.read_bytes())
        data[600000] ^= 0xFF
        model.write_bytes(bytes(data))
    monkeypatch.setattr(face_mesh, "MODEL", model)
    face_mesh._network.cache_clear()
    try:
        with pytest.raises(errors.WeightsFileError, match="face_landmark.tflite: .*(reinstall|shipped)"):
            eye_outlines(np.zeros((64, 64, 3), np.uint8), np.array([[20.0, 30.0], [40.0, 30.0]]))
    finally:
        face_mesh._network.cache_clear()  # the shipped model again for the tests that follow
