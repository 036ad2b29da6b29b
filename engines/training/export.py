"""From a training run to shippable weights: fp16 safetensors (each <= 16 MiB) plus a card (data, steps,
minutes, device, final losses, the eval table, sha256). The registry trusts an engine only when its files
match the card."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from engines.registry import WEIGHTS_DIR
from engines.training.checkpoint import swap_in
from engines.training.config import TrainConfig
from engines.training.loop import trainer_class

MAX_FILE_BYTES = 16 * 2**20
DATA_NOTE = "Trained on research-use-only data (see ../shared/datasets/README.md); these weights carry the same terms."


def stage_weights(run: Path, engine: str, folder: Path) -> dict[str, str]:
    """Write the run's generators into ``folder`` as fp16 safetensors; returns {file: sha256}."""
    folder.mkdir(parents=True, exist_ok=True)
    config = TrainConfig.load(run / "checkpoint" / "config.json")
    digests = {}
    for model_name, file_name in trainer_class(engine).EXPORTS.items():
        state = load_file(str(run / "checkpoint" / f"{model_name}.safetensors"))
        half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        path = folder / file_name
        save_file(half, str(path), metadata={"engine": engine, "base": str(config.base), "size": str(config.size)})
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{file_name} is {path.stat().st_size / 2**20:.1f} MiB, over the 16 MiB limit; train a narrower model")
        digests[file_name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _metrics(run: Path) -> list[dict]:
    path = run / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def _training_minutes(entries: list[dict]) -> float:
    """Wall time from each (re)start to its last logged step, summed over the run's segments."""
    minutes, segment_start, last = 0.0, None, None
    for entry in entries:
        if entry.get("event") == "start":
            if segment_start is not None:
                minutes += (last - segment_start) / 60
            segment_start = last = entry["time"]
        else:
            last = entry["time"]
    if segment_start is not None:
        minutes += (last - segment_start) / 60
    return minutes


def card(run: Path, engine: str, digests: dict[str, str]) -> dict:
    config = TrainConfig.load(run / "checkpoint" / "config.json")
    step = json.loads((run / "checkpoint" / "state.json").read_text())["step"]
    entries = _metrics(run)
    starts = [e for e in entries if e.get("event") == "start"]
    logged = [e for e in entries if "event" not in e]
    minutes = _training_minutes(entries)
    evaluation = run / "eval.json"
    return {
        "engine": engine,
        "domain": config.domain,
        "data": {"images": config.data, "masks": config.masks or "generated free-form strokes only",
                 "generated_masks": config.generated_masks, "note": DATA_NOTE},
        "steps": step,
        "batch": config.batch,
        "minutes": round(minutes, 1),
        "device": starts[-1]["device"] if starts else None,
        "world_size": starts[-1]["world"] if starts else None,
        "vgg": starts[-1]["vgg"] if starts else None,
        "final_losses": {k: v for k, v in (logged[-1] if logged else {}).items() if k.startswith(("gen_", "dis_"))},
        "eval": json.loads(evaluation.read_text()) if evaluation.is_file() else "not evaluated: run `main.py eval --run RUN` first",
        "config": json.loads((run / "checkpoint" / "config.json").read_text()),
        "exported": time.strftime("%Y-%m-%d %H:%M:%S"),
        "dtype": str(torch.float16),
        "sha256": digests,
    }


def export(run: Path, engine: str, weights_root: Path = WEIGHTS_DIR) -> Path:
    """Install the run's weights as ``weights_root/engine`` (``/domain`` for an engine with several weight sets),
    replacing what was there only when all is written."""
    domain = TrainConfig.load(run / "checkpoint" / "config.json").domain
    final = weights_root / engine / (domain or "")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    digests = stage_weights(run, engine, staging)
    (staging / "card.json").write_text(json.dumps(card(run, engine, digests), indent=2))
    swap_in(staging, final)
    return final
