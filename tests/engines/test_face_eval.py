"""The face columns of the eval table, on a real face from ../shared (dlib through face_recognition)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.imageio import load_image

FACES = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "faces128" / "val"


@pytest.mark.skipif(not FACES.is_dir(), reason="../shared/datasets/faces128 is not here")
def test_face_check_finds_the_face_and_measures_identity():
    from engines.evaluation.evaluate import FaceCheck

    check = FaceCheck()
    face = next(load_image(p).rgb for p in sorted(FACES.iterdir())[:20] if check.fr.face_locations(load_image(p).rgb, 1))
    found, distance = check(face, face.copy())
    assert found and distance == pytest.approx(0.0, abs=1e-6)
    scrambled = np.random.default_rng(0).integers(0, 255, face.shape, np.uint8)
    found, distance = check(face, scrambled)
    assert not found and (distance is None or distance > 0.6)
