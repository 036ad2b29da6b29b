"""The automatic engine: the rule that picks PatchMatch or Telea, and the pipeline handing each fill to its choice."""
from __future__ import annotations

import numpy as np
import pytest

from engines import registry
from engines.classical.auto import choose, face_share
from engines.contract import InpaintRequest, drive
from engines.errors import InputError
from engines.pipeline import inpaint
from tests.conftest import square_mask
from tests.engines.faces.test_faces import synthetic_landmarks

FACE = synthetic_landmarks() + (100, 0)  # a face at x 120-180, y 30-100 of a 120 x 240 photo
ON_FACE = square_mask((120, 240), 60, 135, 30)
BESIDE = square_mask((120, 240), 40, 10, 40)


def test_a_hole_on_a_known_face_goes_to_telea_and_one_beside_it_to_patchmatch():
    assert face_share(ON_FACE, (FACE,)) == 1.0 and face_share(BESIDE, (FACE,)) == 0.0
    assert choose(ON_FACE, (FACE,)).engine == "telea"
    assert choose(BESIDE, (FACE,)).engine == "patchmatch"
    assert choose(ON_FACE | BESIDE, (FACE,)).engine == "patchmatch", "mostly off the face"
    assert choose(ON_FACE).engine == "patchmatch", "without known faces the rule sees only the hole"


def _fill(name: str, image: np.ndarray, mask: np.ndarray, **kwargs):
    return drive(inpaint(registry.create(name), InpaintRequest(image, mask, seed=5, **kwargs)))


def test_the_pipeline_hands_the_fill_to_the_chosen_engine_and_says_which():
    photo = np.random.default_rng(0).integers(0, 255, (120, 240, 3), np.uint8)
    result = _fill("auto", photo, ON_FACE, faces=(FACE,))
    assert np.array_equal(result.image, _fill("telea", photo, ON_FACE).image) and "Telea chosen" in result.message
    result = _fill("auto", photo, BESIDE, n_results=2)
    assert "PatchMatch chosen" in result.message and len(result.candidates) == 2
    direct = _fill("patchmatch", photo, BESIDE, n_results=2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(result.candidates, direct.candidates))


def test_options_belong_to_the_chosen_engines_not_to_auto(photo):
    with pytest.raises(InputError, match="no option 'patch_size'"):
        _fill("auto", photo, square_mask(photo.shape[:2], 10, 10, 10), options={"patch_size": 5})
