"""Checkpoints: model weights as safetensors, optimizer state beside (loaded with weights_only=True), the
config and the run's state (step, progress through its schedule, steps each network trained). Written to a
temporary folder and renamed, so a kill never leaves half a checkpoint."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from torch import nn

from engines.errors import WeightsFileError
from engines.nn.weights import fit, read_tensors, read_torch_state, write_tensors
from engines.training.config import TrainConfig
from engines.training.gpu import unwrap


def network_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The network's weights on the CPU (unwrapped from DDP and torch.compile)."""
    return {k: v.detach().to("cpu").contiguous() for k, v in unwrap(module).state_dict().items()}


def save_checkpoint(run: Path, state: dict, config: TrainConfig, models: dict[str, nn.Module], optimizers: dict) -> Path:
    """``state``: {"step", "progress", "network_steps"} (see engines/training/schedule.py)."""
    final = run / "checkpoint"
    tmp = run / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, model in models.items():
        write_tensors(tmp / f"{name}.safetensors", network_state(model))
    torch.save({name: opt.state_dict() for name, opt in optimizers.items()}, tmp / "optimizers.pt")
    config.save(tmp / "config.json")
    (tmp / "state.json").write_text(json.dumps(state))
    swap_in(tmp, final)
    return final


def swap_in(staging: Path, final: Path) -> None:
    """Put a fully written folder in place of ``final``: the old one moves aside first and goes last."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(run: Path, models: dict[str, nn.Module], optimizers: dict | None = None, device: str = "cpu") -> dict:
    """Restore weights (and optimizer state); returns the run's state to continue from. A damaged or foreign file is
    named in one sentence (WeightsFileError)."""
    folder = run / "checkpoint"
    for name, model in models.items():
        path = folder / f"{name}.safetensors"
        fit(unwrap(model), read_tensors(path, str(device)), path)
    if optimizers:
        states = read_torch_state(folder / "optimizers.pt", str(device))
        try:
            for name, opt in optimizers.items():
                opt.load_state_dict(states[name])
        except (KeyError, ValueError, TypeError) as error:
            raise WeightsFileError(f"{folder / 'optimizers.pt'}: holds no usable state for {error}; it belongs to "
                                   "another run or engine.") from None
    return read_state(run)


def read_state(run: Path) -> dict:
    """step, progress (0-1) and network_steps of the run's checkpoint (older checkpoints: the step alone)."""
    path = run / "checkpoint" / "state.json"
    try:
        state = json.loads(path.read_text())
        return {"step": int(state["step"]), "progress": float(state.get("progress", 0.0)),
                "network_steps": {k: int(v) for k, v in state.get("network_steps", {}).items()}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise WeightsFileError(f"{path}: missing or damaged; the step to resume from is unknown.") from None


def has_checkpoint(run: Path) -> bool:
    return (run / "checkpoint" / "state.json").is_file()
