"""A fill's state (app/fill_session.py, numpy only) and the window keeping it with the engine that ran."""
from __future__ import annotations

import numpy as np

from app import tools
from app.document import Document, Layer
from app.fill_session import FillSession
from engines import registry
from engines.contract import Candidate, InpaintResult
from tests.engines import fakes


def _session(spec=fakes.ITERATIVE_SPEC) -> FillSession:
    document = Document(np.full((40, 50, 3), 100, np.uint8))
    hole = np.zeros((40, 50), bool)
    hole[10:20, 20:30] = True
    document.mask[...] = hole
    return FillSession(document, hole, spec)


def _result(*values: int, scores=None) -> InpaintResult:
    images = [np.full((40, 50, 3), v, np.uint8) for v in values]
    infos = [{} if scores is None else {"score": s} for s in (scores or values)]
    return InpaintResult(tuple(Candidate(i, info) for i, info in zip(images, infos)))


def test_cycles_are_the_hole_box_of_each_preview_and_one_can_be_used():
    session = _session()
    for value in (10, 20, 30):
        assert session.add_cycle(np.full((40, 50, 3), value, np.uint8)).shape == (10, 10, 3)
    session.finish(_result(30))
    assert session.document.history.undo[-1].label == "Inpaint (test-iterative)"
    session.choose_cycle(0)
    assert session.document.image[15, 25, 0] == 10 and session.document.image[5, 5, 0] == 100
    assert session.document.history.undo[-1].label == "Pick cycle 1" and not session.document.mask.any()


def test_engines_that_do_not_iterate_keep_no_cycles():
    session = _session(fakes.MEAN_SPEC)
    assert session.add_cycle(np.zeros((40, 50, 3), np.uint8)) is None and session.cycles == []


def test_more_results_join_the_earlier_ones_ranked_by_score():
    session = _session(fakes.MEAN_SPEC)
    session.finish(_result(50, 40, scores=[0.5, 0.4]))
    more, seed, count = session.more_results(seed=7, n_results=1)
    assert (seed, count) == (7 + 2000, 3) and more.more
    assert more.finish(_result(90, 10, 45, scores=[0.9, 0.1, None])) is None, "nothing is applied by More results"
    assert more.scores == [0.9, 0.5, 0.4, 0.1, None]
    more.choose_candidate(0)
    assert more.document.image[15, 25, 0] == 90


def test_cycles_and_the_undo_label_belong_to_the_engine_that_ran(qtbot, window, photo_file):
    """Switching the panel to another engine while an iterative fill runs changes neither."""
    with registry.registered(fakes.ITERATIVE_SPEC, "tests.engines.fakes:IterativeEngine"):
        window.panel.engine.addItem("iterative", "test-iterative")
        window.panel.select_engine("test-iterative")
        window.open_path(photo_file[0])
        tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
        window.inpaint()
        window.panel.select_engine("telea")
        qtbot.waitUntil(window.worker.isFinished, timeout=20_000)
        qtbot.waitUntil(lambda: not window.document.mask.any(), timeout=5000)
    assert len(window.fill.cycles) == 3 and window.panel.cycles.count() == 3
    assert window.document.history.undo[-1].label == "Inpaint (test-iterative)"



def test_undoing_a_fill_withdraws_its_results_and_redoing_it_offers_them_again(mean_filled):
    """QA: after undoing a fill its message stayed and More results would add results for a fill no longer there."""
    window = mean_filled
    panel, filled = window.panel, window.panel.message.text()
    assert filled.startswith("Filled 1 hole region.")
    window.choose_candidate(1)
    assert window.document.history.undo[-1].label == "Pick result 2"
    window.undo()  # the pick: the fill's first result is back, still on the canvas
    assert panel.more_button.isEnabled() and panel.gallery.isEnabled() and panel.message.text() == filled
    window.undo()  # the fill
    assert panel.message.text() == "" and not panel.more_button.isEnabled() and not panel.gallery.isEnabled()
    before = window.document.image.copy()
    window.more_results()
    window.choose_candidate(0)
    assert not window._busy() and np.array_equal(window.document.image, before), "neither acts on an undone fill"
    window.redo()
    assert panel.message.text() == filled and panel.more_button.isEnabled() and panel.gallery.isEnabled()
    window.undo()
    tools.fill_rectangle(window.document, Layer.MASK, (1, 1), (5, 5))  # a new step: the fill cannot come back
    window.redo()  # nothing to redo
    assert not panel.more_button.isEnabled() and panel.message.text() == ""


def test_a_new_fill_takes_the_last_ones_results_away_even_when_cancelled(qtbot, mean_filled):
    """The gallery belongs to the fill More results would add to: after a cancelled new fill it offered the old
    results, and More results was enabled but did nothing."""
    from tests.app.test_worker import SLOW_SPEC

    window = mean_filled
    with registry.registered(SLOW_SPEC, "tests.app.test_worker:SlowEngine"):
        window.panel.engine.addItem("slow", "test-slow")
        window.panel.select_engine("test-slow")
        tools.fill_rectangle(window.document, Layer.MASK, (1, 1), (20, 20))
        window.inpaint()
        window.cancel()
        qtbot.waitUntil(window.worker.isFinished, timeout=10_000)
        qtbot.waitUntil(lambda: window.panel.message.text() == "Cancelled.", timeout=5000)
    assert window.panel.gallery.count() == 0 and not window.panel.more_button.isEnabled()
