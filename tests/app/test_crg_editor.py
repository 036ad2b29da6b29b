"""CRG in the editor: cycles appear in the strip as they arrive, one can be picked, the loop can be cancelled
mid-way, and More results adds ranked results to the gallery."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
import torch

from app import tools
from app.document import Layer
from engines import registry
from tests.conftest import SAMPLES
from tests.engines.faces.test_faces import synthetic_landmarks
from tests.engines.test_crg import _diffusing_crg, _FakeScorer


class _SlowBlur(torch.nn.Module):
    """G(E(.)) as a box blur that takes a while, so a test can act between cycles."""

    def forward(self, x):
        time.sleep(0.05)
        return torch.nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class _PhotoScorer:
    """Scores a whole photo by the mean brightness of its hole area (enough to check the ranking)."""

    def score_photo(self, image, faces):
        return float(image[40:60, 25:75].mean() / 255)


@pytest.fixture
def crg_window(window, monkeypatch, tmp_path):
    engine = _diffusing_crg()
    engine.generator = _SlowBlur()
    engine.scorer = _FakeScorer()
    monkeypatch.setattr(registry, "is_runnable", lambda name, domain=None: True)
    monkeypatch.setattr(registry, "require_runnable", lambda name, domain=None: None)
    monkeypatch.setattr(registry, "create", lambda name, device, domain=None: engine)
    monkeypatch.setattr(window.service, "scorer", lambda: _PhotoScorer())
    window.panel.reload()
    window.panel.select_engine("crg")
    window.panel.device.setCurrentText("cpu")
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), cv2.resize(cv2.imread(str(SAMPLES / "coffee.jpg")), (100, 120)))
    window.open_path(path)
    window._faces = (synthetic_landmarks(),)
    tools.fill_rectangle(window.document, Layer.MASK, (25, 40), (74, 59))
    return window


def _options(window, **values):
    for name, value in values.items():
        widget = window.panel._option_widgets[name]
        widget.setCurrentText(value) if isinstance(value, str) else widget.setValue(value)


def test_cycles_arrive_in_the_strip_and_one_can_be_picked(qtbot, crg_window):
    window = crg_window
    _options(window, min_cycles=6, max_cycles=12, refine="yes")
    original = window.document.image.copy()
    window.inpaint()
    qtbot.waitUntil(lambda: window.panel.cycles.count() >= 2, timeout=10_000)
    assert window.worker.isRunning(), "cycles are shown while the loop is still running"
    qtbot.waitUntil(window.worker.isFinished, timeout=20_000)
    qtbot.waitUntil(lambda: not window.panel.cancel_button.isEnabled(), timeout=5000)
    assert window.panel.cycles.count() == 7, "six cycles, then the refined result"
    assert window.panel.cycles.item(3).text() == "4. 1.000" and "refined" in window.panel.cycles.item(6).toolTip()
    hole = window.fill.hole
    window.panel.cycles.itemClicked.emit(window.panel.cycles.item(0))
    assert window.document.history.undo[-1].label == "Pick cycle 1"
    assert np.array_equal(window.document.image[~hole], original[~hole])
    assert np.array_equal(window.document.image[40:60, 25:75], window.fill.cycles[0])


def test_the_loop_can_be_cancelled_mid_way_and_the_mask_is_kept(qtbot, crg_window):
    window = crg_window
    _options(window, min_cycles=40, max_cycles=40)
    mask = window.document.mask.copy()
    window.inpaint()
    qtbot.waitUntil(lambda: window.panel.cycles.count() >= 2, timeout=10_000)
    window.cancel()
    qtbot.waitUntil(window.worker.isFinished, timeout=10_000)
    qtbot.waitUntil(lambda: window.panel.message.text() == "Cancelled.", timeout=5000)
    assert window.panel.cycles.count() < 40 and np.array_equal(window.document.mask, mask)


def test_more_results_join_the_gallery_ranked_by_score(qtbot, crg_window):
    window = crg_window
    _options(window, min_cycles=2, max_cycles=3, refine="no")
    window.inpaint()
    qtbot.waitUntil(window.worker.isFinished, timeout=20_000)
    qtbot.waitUntil(lambda: window.panel.more_button.isEnabled(), timeout=5000)
    assert window.panel.more_button.isVisible()
    window.panel.more_button.click()
    qtbot.waitUntil(window.worker.isFinished, timeout=20_000)
    qtbot.waitUntil(lambda: window.panel.gallery.count() == 4, timeout=5000)
    scores = window.fill.scores
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    assert window.panel.gallery.item(0).text().startswith("Result 1\nscore")
