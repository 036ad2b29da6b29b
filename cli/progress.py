"""Driving engine work from a terminal: a tqdm bar fed by the progress events; in a log (no terminal) a plain
line every LOG_SECONDS instead."""
from __future__ import annotations

import sys
import time

from tqdm import tqdm

from engines.contract import Progress, T, Work, drive

LOG_SECONDS = 30.0


def run_with_bar(work: Work[T], description: str) -> T:
    if not sys.stderr.isatty():
        return drive(work, _log_lines(description))
    with tqdm(desc=description, unit="step", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:

        def show(event: Progress) -> None:
            bar.total = event.total
            bar.n = event.step
            bar.set_postfix_str(event.message, refresh=False)
            bar.refresh()

        return drive(work, show)


def _log_lines(description: str):
    last = [0.0]

    def log(event: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= LOG_SECONDS or event.step == event.total:
            last[0] = now
            print(f"{description}: {event.step}/{event.total} {event.message}", file=sys.stderr, flush=True)

    return log
