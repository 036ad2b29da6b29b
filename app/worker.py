"""Work off the UI thread: a QThread drives a progress generator (engines/service.py makes them) and turns each
event into a signal. Nothing about engines lives here."""
from __future__ import annotations

import traceback
from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from engines.contract import CancelToken, Work, drive
from engines.errors import Cancelled, InpaintError


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



def task_worker(function: Callable[[], object], parent=None) -> WorkWorker:
    """A short function with no progress of its own (writing a photo, ...)."""

    def work(token: CancelToken):
        yield from ()
        return function()

    return WorkWorker(work, parent)
