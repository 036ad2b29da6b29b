"""The document model and its undo, without Qt."""
from __future__ import annotations

import numpy as np
import pytest

from app import tools
from app.document import Document, History, Layer, Patch, Step, changed_box


@pytest.fixture
def document() -> Document:
    image = np.random.default_rng(0).integers(0, 255, (300, 400, 3), np.uint8)
    return Document(image)


def drag(document: Document, points, radius=5.0, layer=Layer.MASK, colour=(10, 20, 30, 255), erase=False, hardness=1.0):
    stroke = document.begin_stroke(layer, "Brush")
    brush = tools.Brush(radius, hardness)
    for p0, p1 in zip(points, points[1:]):
        tools.paint_segment(stroke, p0, p1, brush, colour, erase)
    return stroke.end()


def test_one_drag_is_one_undo_step_storing_only_its_box(document):
    step = drag(document, [(10, 10), (150, 40), (300, 200)])
    assert len(document.history.undo) == 1 and step.label == "Brush"
    (patch,) = step.patches
    y0, y1, x0, x1 = patch.box
    assert (y0, x0) == (5, 5) and (y1, x1) == (206, 306)
    assert patch.before.shape == (y1 - y0, x1 - x0) and not patch.before.any()
    assert np.array_equal(patch.after, document.mask[y0:y1, x0:x1])


def test_undo_and_redo_restore_exactly(document):
    drag(document, [(10, 10), (200, 100)])
    after_first = document.mask.copy()
    drag(document, [(50, 250), (390, 290)], erase=False)
    drag(document, [(10, 10), (100, 50)], erase=True)
    final = document.mask.copy()
    document.undo()
    document.undo()
    assert np.array_equal(document.mask, after_first)
    document.undo()
    assert not document.mask.any()
    assert document.undo() is None
    for _ in range(3):
        document.redo()
    assert np.array_equal(document.mask, final)
    assert document.redo() is None


def test_a_new_edit_clears_redo(document):
    drag(document, [(10, 10), (20, 20)])
    document.undo()
    drag(document, [(30, 30), (40, 40)])
    assert document.history.redo == []


def test_listeners_hear_each_change_with_its_box(document):
    heard = []
    document.listeners.append(lambda layer, box: heard.append((layer, box)))
    drag(document, [(100, 100), (110, 100)])
    assert heard and all(layer is Layer.MASK for layer, _ in heard)
    y0, y1, x0, x1 = heard[0][1]
    assert y0 <= 95 and y1 >= 105 and x1 - x0 < 40
    version = document.version
    document.undo()
    assert heard[-1][0] is Layer.MASK and document.version > version


def test_a_stroke_that_changes_nothing_makes_no_step(document):
    drag(document, [(10, 10), (20, 20)], erase=True)
    assert document.history.undo == []


def test_stroke_outside_the_image_is_clipped(document):
    step = drag(document, [(-50, 5), (3, 5)], radius=8)
    assert step is not None and step.patches[0].box[0] == 0 and step.patches[0].box[2] == 0
    assert drag(document, [(-500, -500), (-400, -400)]) is None


def test_sketch_pen_lays_colour_with_a_soft_edge_and_the_sketch_eraser_removes_it(document):
    drag(document, [(50, 50), (150, 50)], radius=8, layer=Layer.SKETCH, hardness=0.0)
    alpha = document.sketch[..., 3]
    assert alpha[50, 100] >= 200 and tuple(document.sketch[50, 100, :3]) == (10, 20, 30)
    assert 0 < alpha[57, 100] < alpha[50, 100], "a soft pen fades at its edge"
    drag(document, [(40, 50), (160, 50)], radius=20, layer=Layer.SKETCH, erase=True)
    assert not document.sketch[..., 3].any()
    assert not document.mask.any(), "the sketch pen never touches the mask"


def test_history_drops_the_oldest_steps_past_its_memory_limit():
    history = History(limit_bytes=1000)
    for i in range(5):
        patch = Patch(Layer.MASK, (0, 10, 0, 40), np.zeros((10, 40), bool), np.ones((10, 40), bool))
        history.push(Step(f"s{i}", (patch,)))
    assert [s.label for s in history.undo] == ["s4"], "each step is 800 bytes: only the newest fits in 1000"


def test_changed_box():
    a = np.zeros((10, 10, 4), np.uint8)
    b = a.copy()
    assert changed_box(a, b) is None
    b[2, 3, 1] = 1
    b[5, 7, 3] = 9
    assert changed_box(a, b) == (2, 6, 3, 8)
