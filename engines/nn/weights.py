"""Shipped weights into a network: safetensors only (no pickle), the width read from the file's metadata."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn


def load_network(make: Callable[[int], nn.Module], path: Path, default_base: int = 32) -> nn.Module:
    """``make(base)`` with the weights at ``path`` when the file exists; random weights otherwise (tests)."""
    if not path.is_file():
        return make(default_base)
    with safe_open(str(path), "pt") as f:
        base = int((f.metadata() or {}).get("base", default_base))
    model = make(base)
    model.load_state_dict(load_file(str(path)))
    return model
