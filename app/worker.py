"""Engine work off the UI thread: a QThread drives the progress generator and turns each event into a signal."""
from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QThread, Signal

from engines import registry
from engines.base import Engine
from engines.contract import CancelToken, InpaintRequest, drive
from engines.errors import Cancelled, InpaintError
from engines.pipeline import inpaint

_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def cached_engine(name: str, device: str) -> Engine:
    """Engines load their weights once per (name, device) and are reused across fills."""
    with _engines_lock:
        if (name, device) not in _engines:
            _engines[name, device] = registry.create(name, device)
        return _engines[name, device]


class InpaintWorker(QThread):
    """Runs one fill. Exactly one of ``succeeded``, ``cancelled`` or ``failed`` is emitted at the end."""

    progress = Signal(object)  # engines.contract.Progress
    succeeded = Signal(object)  # engines.contract.InpaintResult
    cancelled = Signal()
    failed = Signal(str)  # one sentence for the user

    def __init__(self, engine_name: str, request: InpaintRequest, parent=None) -> None:
        super().__init__(parent)
        self.engine_name = engine_name
        self.request = request
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            engine = cached_engine(self.engine_name, self.request.device)
            result = drive(inpaint(engine, self.request, self.token), self.progress.emit)
        except Cancelled:
            self.cancelled.emit()
        except InpaintError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug in an engine must not take the editor (and the user's work) down
            traceback.print_exc()
            self.failed.emit(f"The engine failed unexpectedly ({type(error).__name__}: {error}).")
        else:
            self.succeeded.emit(result)


class TaskWorker(QThread):
    """Runs one short function off the UI thread (face detection, ...): ``done`` with its value or ``failed``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, function, parent=None) -> None:
        super().__init__(parent)
        self.function = function

    def run(self) -> None:
        try:
            value = self.function()
        except InpaintError as error:
            self.failed.emit(str(error))
        except Exception as error:  # the editor stays up; the user gets one sentence
            traceback.print_exc()
            self.failed.emit(f"Unexpected error ({type(error).__name__}: {error}).")
        else:
            self.done.emit(value)
