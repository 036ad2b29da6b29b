"""Shape checks at function entry, with messages that say what was expected."""
from __future__ import annotations

import torch


def check_image_batch(x: torch.Tensor, name: str, channels: int | None = None) -> None:
    if x.dim() != 4 or (channels is not None and x.shape[1] != channels):
        want = f"N x {channels} x H x W" if channels is not None else "N x C x H x W"
        raise ValueError(f"{name} must be {want}; got {tuple(x.shape)}")


def check_mask_for(mask: torch.Tensor, x: torch.Tensor) -> None:
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != x.shape[0] or mask.shape[2:] != x.shape[2:]:
        raise ValueError(f"mask must be N x 1 x H x W matching {tuple(x.shape)}; got {tuple(mask.shape)}")
