"""Weights files into networks: safetensors only (no pickle is ever loaded), the width read from the file's
metadata, and one sentence naming the file for whatever is wrong with it: missing, empty, truncated, damaged,
a pickle renamed ``.safetensors`` (recognised and refused, never loaded) or tensors that do not fit the network."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save
from torch import nn

from engines.errors import WeightsFileError

MAX_BASE = 1024  # a generator width read from a file's metadata above this is damage, not a setting


def read_tensors(path: str | os.PathLike, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file."""
    path = Path(path)
    _require_file(path)
    try:
        return load_file(str(path), device=str(device))
    except Exception as error:  # noqa: BLE001 - whatever the parser says, the file is unusable; say why in words
        raise WeightsFileError(f"{path}: {_what_is_wrong(path, error)}") from None


def write_tensors(path: str | os.PathLike, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """A safetensors file, written with Python's own file calls so that a full disk is an ordinary OSError; returns
    the bytes written."""
    data = save(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)
    return data


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    path = Path(path)
    _require_file(path)
    try:
        with safe_open(str(path), "pt") as f:
            return dict(f.metadata() or {})
    except Exception as error:  # noqa: BLE001
        raise WeightsFileError(f"{path}: {_what_is_wrong(path, error)}") from None


def read_torch_state(path: str | os.PathLike, device: str = "cpu"):
    """A ``torch.save`` file of plain tensors and numbers (optimizer state), read with ``weights_only=True``."""
    path = Path(path)
    _require_file(path)
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # noqa: BLE001 - truncated zips, refused pickles, ...: the file is unusable
        raise WeightsFileError(f"{path}: damaged or truncated, or not a plain tensor file ({_first_line(error)}).") from None


def fit(model: nn.Module, state: dict[str, torch.Tensor], path: str | os.PathLike) -> nn.Module:
    """Load ``state`` into ``model`` when every tensor fits; otherwise say what does not."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        parts = [f"{len(wrong)} tensors of another shape" + (
            f" (e.g. {wrong[0]}: {tuple(state[wrong[0]].shape)} in the file, {tuple(own[wrong[0]].shape)} in the network)"
            if wrong else "")] if wrong else []
        parts += [f"{len(missing)} missing"] if missing else []
        parts += [f"{len(unexpected)} unknown to the network"] if unexpected else []
        raise WeightsFileError(f"{path}: these weights do not fit the {type(model).__name__} network ({', '.join(parts)}); "
                               "they were trained for another engine or width.")
    model.load_state_dict(state)
    return model


def load_network(make: Callable[[int], nn.Module], path: Path, default_base: int = 32) -> nn.Module:
    """``make(base)`` with the weights at ``path`` when the file exists; random weights otherwise (tests)."""
    if not path.is_file():
        return make(default_base)
    base = read_metadata(path).get("base", str(default_base))
    if not base.isdigit() or not 1 <= int(base) <= MAX_BASE:
        raise WeightsFileError(f"{path}: its metadata gives the width {base!r}, not a number from 1 to {MAX_BASE}; the file is damaged.")
    return fit(make(int(base)), read_tensors(path), path)


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise WeightsFileError(f"{path}: no such file.")


def _what_is_wrong(path: Path, error: BaseException) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(16)
        size = path.stat().st_size
    except OSError as read_error:
        return f"cannot be read ({read_error.strerror or read_error})."
    if size == 0:
        return "the file is empty (0 bytes)."
    if len(head) > 8 and head[8:9] == b"{" and 8 + int.from_bytes(head[:8], "little") > size:  # a JSON header
        return f"truncated (its header claims more than its {size} bytes)."
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return "this is a pickle (torch.save) file renamed, not safetensors; it was not loaded (weights are never unpickled)."
    return f"damaged: not a readable safetensors file ({_first_line(error)})."


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]
