"""A run's metrics.jsonl: one JSON object a line, either a logged step (step, phase, progress, losses,
images_per_s, ...) or an event ("event": "start" / "export", ...). Read by export cards, the fleet table and tests."""
from __future__ import annotations

import json
from pathlib import Path


def read_entries(run: Path) -> list[dict]:
    """Every entry of the run's metrics.jsonl (none when it has not started); a line cut off by a kill is skipped."""
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def logged_steps(run: Path) -> list[dict]:
    return [e for e in read_entries(run) if "event" not in e]
