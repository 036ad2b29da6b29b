"""What keeps a GPU busy: TF32 and cuDNN autotuning, bf16 autocast, channels_last inputs, fused optimizers,
optional torch.compile. On the CPU each of these is a no-op, so the same trainer code runs everywhere."""
from __future__ import annotations

import contextlib
from collections.abc import Iterable

import torch
from torch import nn


def configure(device: torch.device) -> None:
    """TF32 matrix products and convolutions, cuDNN picking the fastest kernels for our fixed shapes."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True


def uses_bf16(amp: str, device: torch.device) -> bool:
    """``auto`` means bf16 on CUDA; the CPU always runs float32 (its bf16 is slower here and not what ships)."""
    if amp not in ("auto", "none", "bf16"):
        raise ValueError(f"amp must be auto, none or bf16; got {amp!r}")
    return device.type == "cuda" and amp in ("auto", "bf16")


def autocast(device: torch.device, enabled: bool):
    """A factory of autocast contexts (trainers call ``self.autocast()`` around forward passes)."""
    if not enabled:
        return contextlib.nullcontext
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16)


def adam(params: Iterable[nn.Parameter], device: torch.device, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Adam:
    """Adam, fused into one kernel per step on CUDA (the per-parameter loop costs launches there)."""
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=device.type == "cuda" or None)


def rmsprop(params: Iterable[nn.Parameter], device: torch.device, lr: float, alpha: float, eps: float) -> torch.optim.RMSprop:
    """RMSProp with the multi-tensor (foreach) update on CUDA; torch has no fused RMSProp."""
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, foreach=device.type == "cuda" or None)


def to_channels_last(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """4-D tensors in channels_last memory order, as the networks' weights are on CUDA."""
    return {k: v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v for k, v in batch.items()}


def unwrap(model: nn.Module) -> nn.Module:
    """The network itself, inside DistributedDataParallel (``module``) and torch.compile (``_orig_mod``)."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def compiled(models: dict[str, nn.Module]) -> dict[str, nn.Module]:
    """torch.compile every network (weights are shared with the originals; checkpoints unwrap them)."""
    return {name: torch.compile(model) for name, model in models.items()}
