"""``main.py batch``: fill a folder (engines/batch.py). A failing file is reported and skipped; the rest go on.
Interrupted (Ctrl+C, SIGTERM), it says which files finished."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from engines.batch import BatchJob, BatchReport, named
from engines.contract import drive
from engines.service import FillService


def fill_folder(args: argparse.Namespace, options: dict[str, str]) -> int:
    job = BatchJob(images=Path(args.images), out=Path(args.out), engine=args.engine, domain=args.domain,
                   masks=Path(args.masks) if args.masks else None, face_region=args.auto_face_mask, concat=args.concat,
                   paired=args.paired, seed=args.seed, device=args.device, options=options)
    with tqdm(desc="batch", unit="image", file=sys.stderr, disable=None) as bar:

        def show(event) -> None:
            bar.total, bar.n = event.total, event.step
            bar.refresh()

        report = BatchReport()
        try:
            drive(FillService().batch(job, report=report), show)
        except KeyboardInterrupt:
            print(f"Interrupted. {report.summary(job.out)}", file=sys.stderr)
            print(f"  finished: {', '.join(report.done) or 'none'}", file=sys.stderr)
            raise
    print(report.summary(job.out))
    for name, reason in report.failed:
        print(f"  failed: {named(name, reason)}")
    return 1 if report.failed else 0
