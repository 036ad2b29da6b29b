"""The automatic engine: the rule that picks PatchMatch or Telea, and the pipeline handing each fill to its choice."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engines import registry
from engines.classical.auto import THIN_WIDTH, choose, hole_width
from engines.contract import InpaintRequest, drive
from engines.errors import InputError
from engines.pipeline import inpaint
from tests.conftest import square_mask
from tests.engines.faces.test_faces import synthetic_landmarks


def _line(width: int, shape=(96, 128)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.polylines(mask, [np.array([[10, 80], [60, 20], [118, 70]], np.int32)], False, 1, width)
    return mask.astype(bool)


@pytest.mark.parametrize("width", [1, 3, 8, 15])
def test_the_width_of_a_line_is_its_thickness(width):
    assert hole_width(_line(width)) == pytest.approx(width, abs=2.0)  # diagonal strokes rasterize a little wider


def test_a_blob_measures_most_of_its_side_and_nothing_zero():
    assert 0.7 * 40 <= hole_width(square_mask((96, 128), 20, 30, 40)) <= 40
    assert hole_width(np.zeros((8, 8), bool)) == 0


def test_thin_strokes_go_to_telea_and_wide_holes_to_patchmatch():
    assert choose(_line(THIN_WIDTH // 2)).engine == "telea"
    assert choose(_line(2 * THIN_WIDTH)).engine == "patchmatch"
    text = np.zeros((96, 128), np.uint8)
    cv2.putText(text, "2026-12-02", (5, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 1, 2)
    assert choose(text.astype(bool)).engine == "telea", "a date stamp is text: Telea"
    assert "PatchMatch" in choose(square_mask((96, 128), 20, 30, 30)).reason


def test_a_hole_on_a_known_face_goes_to_telea_and_one_beside_it_does_not():
    face = synthetic_landmarks() + (100, 0)  # the face at x 120-180 of a 120 x 240 photo
    on_face = square_mask((120, 240), 60, 135, 30)
    beside = square_mask((120, 240), 40, 10, 40)
    assert choose(on_face, (face,)).engine == "telea"
    assert choose(beside, (face,)).engine == "patchmatch"
    assert choose(on_face).engine == "patchmatch", "without known faces the rule sees only the hole"


def _fill(name: str, image: np.ndarray, mask: np.ndarray, **kwargs):
    return drive(inpaint(registry.create(name), InpaintRequest(image, mask, seed=5, **kwargs)))


def test_the_pipeline_hands_the_fill_to_the_chosen_engine_and_says_which(photo):
    thin, wide = _line(3), square_mask(photo.shape[:2], 30, 40, 30)
    result = _fill("auto", photo, thin)
    assert np.array_equal(result.image, _fill("telea", photo, thin).image) and "Telea chosen" in result.message
    result = _fill("auto", photo, wide, n_results=2)
    assert "PatchMatch chosen" in result.message and len(result.candidates) == 2
    direct = _fill("patchmatch", photo, wide, n_results=2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(result.candidates, direct.candidates))


def test_options_belong_to_the_chosen_engines_not_to_auto(photo):
    with pytest.raises(InputError, match="no option 'patch_size'"):
        _fill("auto", photo, _line(3), options={"patch_size": 5})
