"""Driving engine work from a terminal: a tqdm bar fed by the progress events."""
from __future__ import annotations

import sys

from tqdm import tqdm

from engines.contract import Progress, T, Work, drive


def run_with_bar(work: Work[T], description: str) -> T:
    with tqdm(desc=description, unit="step", file=sys.stderr, leave=False, dynamic_ncols=True, disable=None) as bar:

        def show(event: Progress) -> None:
            bar.total = event.total
            bar.n = event.step
            bar.set_postfix_str(event.message, refresh=False)
            bar.refresh()

        return drive(work, show)
