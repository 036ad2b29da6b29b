"""Select object: GrabCut in a box grows the mask over the object (numpy module), and the tool in the editor."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from app.canvas import Tool
from app.document import Document
from app.select_object import HALO_PX, object_mask, select_object
from engines.errors import InputError
from tests.app.test_window import _drag


def _scene(shape=(240, 320), centre=(170, 120), axes=(60, 40)) -> tuple[np.ndarray, np.ndarray]:
    """Green-grey textured ground with a red textured ellipse on it; returns the image and the object's pixels."""
    rng = np.random.default_rng(1)
    image = np.clip(rng.normal((95, 115, 85), 18, (*shape, 3)), 0, 255).astype(np.uint8)
    object_pixels = np.zeros(shape, np.uint8)
    cv2.ellipse(object_pixels, centre, axes, 15, 0, 360, 1, -1)
    inside = object_pixels.astype(bool)
    image[inside] = np.clip(rng.normal((200, 40, 35), 15, (int(inside.sum()), 3)), 0, 255).astype(np.uint8)
    return image, inside


def _distance(inside: np.ndarray) -> np.ndarray:
    """Each background pixel's distance to the object (0 on it)."""
    return cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 5)


def test_the_mask_covers_the_object_and_its_halo_and_little_else():
    image, inside = _scene()
    mask, distinct = object_mask(image, (50, 190, 95, 245))
    assert distinct
    assert mask[inside].all(), "every object pixel is in the mask"
    distance = _distance(inside)
    assert mask[distance <= HALO_PX + 1].mean() > 0.99, "the halo around the object is covered too"
    assert not mask[distance > 8].any(), "the background a few pixels away stays unmasked"


def test_a_large_photo_is_cut_on_a_downscaled_copy_and_the_mask_comes_back_at_full_size():
    image, inside = _scene((450, 600), (320, 225), (110, 75))
    mask, distinct = object_mask(image, (125, 325, 190, 450))
    assert distinct and mask.shape == inside.shape
    assert mask[inside].mean() > 0.995
    assert not mask[_distance(inside) > 16].any()


def test_without_a_distinct_object_the_box_is_masked_and_the_step_says_so():
    rng = np.random.default_rng(2)
    document = Document(np.clip(rng.normal(120, 25, (120, 160, 3)), 0, 255).astype(np.uint8))
    step = select_object(document, (40, 30), (100, 80))
    assert "no distinct object" in step.label
    assert document.mask[30:81, 40:101].all()


def test_one_undo_step_added_to_the_existing_mask():
    image, inside = _scene()
    document = Document(image)
    document.mask[5:15, 5:15] = True
    step = select_object(document, (245, 190), (95, 50))  # corners in any order
    assert step.label == "Select object" and len(document.history.undo) == 1
    assert document.mask[inside].all() and document.mask[5:15, 5:15].all(), "added to the mask already painted"
    document.undo()
    assert not document.mask[inside].any() and document.mask[5:15, 5:15].all()


def test_a_box_too_small_for_an_object_is_a_clear_error():
    with pytest.raises(InputError, match="at least"):
        object_mask(np.zeros((50, 50, 3), np.uint8), (10, 14, 10, 40))


def test_the_tool_in_the_editor_selects_and_the_brush_and_eraser_refine(qtbot, window, tmp_path):
    image, inside = _scene()
    path = tmp_path / "scene.png"
    Image.fromarray(image).save(path)
    window.open_path(path)
    window.tool_bar.select(Tool.SELECT_OBJECT)
    _drag(qtbot, window, [(95, 50), (170, 120), (245, 190)])
    document = window.document
    assert document.mask[inside].all() and len(document.history.undo) == 1
    assert "Select object" in window.statusBar().currentMessage()
    window.tool_bar.select(Tool.ERASER)
    _drag(qtbot, window, [(170, 120), (171, 120)])
    assert not document.mask[120, 170]
    window.tool_bar.select(Tool.BRUSH)
    _drag(qtbot, window, [(20, 20), (21, 20)])
    assert document.mask[20, 20] and len(document.history.undo) == 3
    window.undo(), window.undo(), window.undo()
    assert not document.mask.any()
