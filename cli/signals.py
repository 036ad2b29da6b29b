"""Ctrl+C (SIGINT) and SIGTERM, handled alike. During a fill or a batch both interrupt at once (the file being
written is left as it was); during training the first one stops the run after the current step with a
checkpoint, and a second one quits at once."""
from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

from engines.contract import CancelToken

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _handled(handler) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _interrupt(number, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(number).name)


def sigterm_interrupts() -> contextlib.AbstractContextManager:
    """SIGTERM raises KeyboardInterrupt as Ctrl+C does, so that a killed fill cleans up the same way."""
    return _handled(_interrupt)


class StopRequest:
    """Which signal asked the run to stop, if any."""

    def __init__(self, token: CancelToken) -> None:
        self.token = token
        self.signal: signal.Signals | None = None

    def __call__(self, number, frame) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt(signal.Signals(number).name)
        self.signal = signal.Signals(number)
        self.token.cancel()
        print(f"\n{self.signal.name}: stopping after this step with a checkpoint (again to quit at once, without one).",
              file=sys.stderr, flush=True)


@contextlib.contextmanager
def stop_on_signals(token: CancelToken) -> Iterator[StopRequest]:
    """The first SIGINT or SIGTERM cancels ``token`` (the training loop then checkpoints and returns); a second
    one raises KeyboardInterrupt."""
    request = StopRequest(token)
    with _handled(request):
        yield request
