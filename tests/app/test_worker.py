"""Engine work in a QThread (app/worker.py drives the fill service's generators): it finishes, it can be cancelled,
failures become one sentence."""
from __future__ import annotations

import time

import numpy as np
import pytest

from app.worker import WorkWorker
from engines import registry
from engines.base import Engine
from engines.contract import EngineSpec, InpaintRequest, Need, Progress
from engines.service import FillService

SLOW_SPEC = EngineSpec("test-slow", "Test: slow", "cycles until cancelled", frozenset({Need.MASK}), None, iterative=True)
BROKEN_SPEC = EngineSpec("test-broken", "Test: broken", "raises", frozenset({Need.MASK}), None)


class SlowEngine(Engine):
    spec = SLOW_SPEC

    def fill(self, crop, options, rng, cancel):
        for cycle in range(400):
            cancel.raise_if_cancelled()
            time.sleep(0.01)
            yield Progress(cycle, 400, f"cycle {cycle}")
        return [crop.image.copy()]


class BrokenEngine(Engine):
    spec = BROKEN_SPEC

    def fill_one(self, crop, options, rng):
        raise ZeroDivisionError("boom")


def inpaint_worker(name: str, request: InpaintRequest) -> WorkWorker:
    service = FillService()
    return WorkWorker(lambda token: service.fill(name, request, cancel=token))


def _request() -> InpaintRequest:
    mask = np.zeros((40, 40), bool)
    mask[10:20, 10:20] = True
    image = np.full((40, 40, 3), 90, np.uint8)
    image[mask] = 0  # what the user wants gone
    return InpaintRequest(image, mask)


def test_a_worker_finishes_with_the_result(qtbot):
    worker = inpaint_worker("telea", _request())
    with qtbot.waitSignal(worker.succeeded, timeout=10_000) as finished:
        worker.start()
    assert worker.wait(5000)
    result = finished.args[0]
    assert result.image.shape == (40, 40, 3) and np.abs(result.image[10:20, 10:20].astype(int) - 90).max() <= 3


def test_a_worker_can_be_cancelled(qtbot):
    with registry.registered(SLOW_SPEC, f"{__name__}:SlowEngine"):
        worker = inpaint_worker("test-slow", _request())
        with qtbot.waitSignal(worker.progress, timeout=10_000):
            worker.start()
        with qtbot.waitSignal(worker.cancelled, timeout=10_000):
            worker.cancel()
        assert worker.wait(5000) and worker.isFinished()


@pytest.mark.parametrize(("name", "spec", "message"), [
    ("test-broken", BROKEN_SPEC, "The work failed unexpectedly (ZeroDivisionError: boom)."),
    ("nope", None, "Unknown engine 'nope'"),
])
def test_failures_become_one_sentence(qtbot, name, spec, message):
    worker = inpaint_worker(name, _request())
    if spec is None:
        with qtbot.waitSignal(worker.failed, timeout=10_000) as failed:
            worker.start()
    else:
        with registry.registered(spec, f"{__name__}:BrokenEngine"), qtbot.waitSignal(worker.failed, timeout=10_000) as failed:
            worker.start()
    assert worker.wait(5000)
    assert failed.args[0].startswith(message)
