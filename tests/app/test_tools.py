"""Mask and sketch tools as plain functions on a Document."""
from __future__ import annotations

import numpy as np
import pytest

from app import tools
from app.document import Document, Layer


@pytest.fixture
def document() -> Document:
    return Document(np.full((60, 80, 3), 128, np.uint8))


def test_rectangle_fills_the_mask_inclusive_and_is_undoable(document):
    tools.fill_rectangle(document, Layer.MASK, (30, 20), (10, 5))
    assert document.mask.sum() == 21 * 16 and document.mask[5:21, 10:31].all()
    document.undo()
    assert not document.mask.any()


def test_lasso_fills_a_triangle(document):
    tools.fill_polygon(document, Layer.MASK, [(10, 10), (50, 10), (10, 50)])
    assert document.mask[12, 12] and not document.mask[45, 45]
    assert 700 < document.mask.sum() < 900
    assert tools.fill_polygon(document, Layer.MASK, [(1, 1), (5, 5)]) is None


def test_invert_clear_grow_shrink(document):
    tools.fill_rectangle(document, Layer.MASK, (20, 20), (29, 29))
    assert document.mask.sum() == 100
    tools.grow_mask(document, 2)
    assert document.mask[18, 25] and not document.mask[17, 25] and document.mask.sum() > 100
    tools.grow_mask(document, -4)
    assert document.mask.sum() < 100 and document.mask[25, 25]
    tools.invert_mask(document)
    assert document.mask[0, 0] and not document.mask[25, 25]
    tools.clear(document, Layer.MASK)
    assert not document.mask.any()
    assert len(document.history.undo) == 5


def test_shrinking_a_hole_at_the_border_keeps_it_at_the_border(document):
    tools.fill_rectangle(document, Layer.MASK, (0, 0), (29, 29))
    tools.grow_mask(document, -3)
    assert document.mask[0:27, 0:27].all() and not document.mask[27:, :].any() and not document.mask[:, 27:].any()


def test_mask_export_and_import_round_trip(document, tmp_path):
    tools.fill_polygon(document, Layer.MASK, [(10, 10), (70, 15), (40, 55)])
    expected = document.mask.copy()
    tools.export_mask(document, tmp_path / "m.png")
    tools.clear(document, Layer.MASK)
    tools.import_mask(document, tmp_path / "m.png")
    assert np.array_equal(document.mask, expected)


def test_apply_result_changes_only_the_hole_and_clears_the_mask_in_one_step(document):
    tools.fill_rectangle(document, Layer.MASK, (10, 10), (19, 19))
    tools.fill_rectangle(document, Layer.MASK, (50, 40), (55, 45))
    hole = np.zeros(document.shape, bool)
    hole[10:20, 10:20] = True
    result = np.zeros_like(document.image)
    tools.apply_result(document, result, hole)
    assert (document.image[hole] == 0).all() and (document.image[~hole] == 128).all()
    assert not document.mask[hole].any() and document.mask[40:46, 50:56].all(), "a mask painted meanwhile stays"
    document.undo()
    assert (document.image == 128).all() and document.mask[hole].all()
