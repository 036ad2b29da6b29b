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
