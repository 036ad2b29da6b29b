"""The fleet's live table, read from files only (FLEET_FILE, each run's metrics.jsonl and export card), so the
fleet itself and `main.py fleet-status` in a later command print the same thing."""
from __future__ import annotations

import os
import time
from pathlib import Path

from engines.training.metrics import read_entries

COLUMNS = ("set", "state", "step", "done", "phase", "images/s", "losses", "last export", "GPU GB")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _state(member: dict, logged: list[dict], log: Path) -> str:
    rc = member.get("rc")
    if rc == 0:
        return "done"
    if rc is not None:
        lines = [line for line in (log.read_text(errors="replace").splitlines() if log.is_file() else []) if line.strip()]
        return f"failed ({rc}): {lines[-1][:40] if lines else 'no output'}"
    if not _alive(member.get("pid")):
        return "gone (no exit code)"
    return "training" if logged else "loading data"


def _export(entries: list[dict], now: float) -> str:
    exports = [e for e in entries if e.get("event") == "export"]
    if not exports:
        return "-"
    last = exports[-1]
    age = f"{(now - last['time']) / 60:.0f} min ago"
    if "refused" in last:
        return f"refused at step {last['step']} ({age})"
    left = f", without {', '.join(last['left_out'])}" if last.get("left_out") else ""
    return f"step {last['step']} ({age}){left}"


def rows(out: Path, plan: dict) -> list[tuple[str, ...]]:
    now = time.time()
    table = []
    for slug, member in plan["members"].items():
        entries = read_entries(out / slug)
        logged = [e for e in entries if "event" not in e]
        last = logged[-1] if logged else {}
        losses = sorted(((k, v) for k, v in last.items() if k.startswith("gen_") and isinstance(v, float)))[:2]
        table.append((member["name"], _state(member, logged, out / f"{slug}.log"), str(last.get("step", "-")),
                      f"{100 * last.get('progress', 0):.0f} %", last.get("phase", "-"),
                      f"{last['images_per_s']:.0f}" if "images_per_s" in last else "-",
                      " ".join(f"{k[4:]} {v:.3f}" for k, v in losses) or "-", _export(entries, now),
                      f"{last['gpu_mem_gb']:.1f}" if "gpu_mem_gb" in last else "-"))
    return table


def format_table(out: Path, plan: dict) -> str:
    body = rows(out, plan)
    widths = [max(len(row[i]) for row in [COLUMNS, *body]) for i in range(len(COLUMNS))]
    left = max(0.0, plan["deadline"] - time.time()) / 60
    lines = [f"fleet in {out}: {len(body)} weight sets, {left:.1f} of {plan['minutes']:.1f} minutes left "
             f"({time.strftime('%H:%M:%S')})"]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [COLUMNS, *body]]
    return "\n".join(lines)


def finished(plan: dict) -> bool:
    return all(m.get("rc") is not None or not _alive(m.get("pid")) for m in plan["members"].values())
