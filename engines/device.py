"""Choosing a torch device without importing torch until an engine that needs it runs."""
from __future__ import annotations

import sys

from engines.errors import InputError


def resolve_device(device: str) -> str:
    """``auto`` picks CUDA when torch sees a GPU, else CPU; ``cuda`` without a GPU is a clear error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("CUDA was asked for, but torch sees no GPU on this machine; use --device cpu or auto.")
    return device


def is_out_of_memory(error: BaseException) -> bool:
    """True for a CUDA out-of-memory error (checked without importing torch when it is not loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(error, torch.cuda.OutOfMemoryError)
