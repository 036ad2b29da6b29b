"""Work off the UI thread: a QThread drives a progress generator and turns each event into a signal."""
from __future__ import annotations

import functools
import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from engines import registry
from engines.base import Engine
from engines.contract import CancelToken, InpaintRequest, Need, Work, drive
from engines.errors import Cancelled, InpaintError
from engines.pipeline import inpaint

_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def cached_engine(name: str, device: str, domain: str | None = None) -> Engine:
    """Engines load their weights once per (name, device, domain) and are reused across fills."""
    key = (name, device, domain)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = registry.create(name, device, domain=domain)
        return _engines[key]


def forget_engines() -> None:
    """Drop cached engines (after new weights are installed)."""
    with _engines_lock:
        _engines.clear()
        cached_scorer.cache_clear()


class WorkWorker(QThread):
    """Runs ``make_work(cancel_token)`` to the end. Exactly one of ``succeeded``, ``cancelled`` or ``failed``
    is emitted at the end; a failure is one sentence for the user."""

    progress = Signal(object)  # engines.contract.Progress
    succeeded = Signal(object)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, make_work: Callable[[CancelToken], Work], parent=None) -> None:
        super().__init__(parent)
        self.make_work = make_work
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            result = drive(self.make_work(self.token), self.progress.emit)
        except Cancelled:
            self.cancelled.emit()
        except InpaintError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug in an engine must not take the editor (and the user's work) down
            traceback.print_exc()
            self.failed.emit(f"The work failed unexpectedly ({type(error).__name__}: {error}).")
        else:
            self.succeeded.emit(result)


def inpaint_worker(engine_name: str, request: InpaintRequest, parent=None, domain: str | None = None) -> WorkWorker:
    """Fill with the engine; a face engine's results are then scored and ranked when a trained scorer exists."""

    def work(token: CancelToken):
        engine = cached_engine(engine_name, request.device, domain)
        result = yield from inpaint(engine, request, token)
        if not engine.spec.uses(Need.FACE):
            return result
        scorer = cached_scorer()
        if scorer is None:
            return result
        from engines.crg.scorer import score_candidates

        return score_candidates(result, scorer, request.faces)

    return WorkWorker(work, parent)


@functools.cache
def cached_scorer():
    """CRG's quality discriminator (None until trained weights are installed); read once."""
    from engines.crg.scorer import load_scorer

    return load_scorer()


def task_worker(function: Callable[[], object], parent=None) -> WorkWorker:
    """A short function with no progress of its own (face detection, ...)."""

    def work(token: CancelToken):
        yield from ()
        return function()

    return WorkWorker(work, parent)
