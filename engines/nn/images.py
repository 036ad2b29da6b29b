"""numpy <-> torch at the engines' edge (uint8 H x W x 3 images and bool H x W masks to 1 x C x H x W floats),
and pasting a prediction into the known image."""
from __future__ import annotations

import numpy as np
import torch


def image_to_tensor(rgb: np.ndarray, device: str) -> torch.Tensor:
    """H x W x 3 uint8 -> 1 x 3 x H x W float in [0, 1]."""
    return torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1)[None].to(device)


def mask_to_tensor(mask: np.ndarray, device: str) -> torch.Tensor:
    """H x W bool or values in [0, 1] -> 1 x 1 x H x W float."""
    return torch.from_numpy(mask.astype(np.float32))[None, None].to(device)


def composite(prediction: torch.Tensor, known: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Known pixels where mask is 0, the prediction in the hole (N x C x H x W, mask N x 1 x H x W)."""
    return known * (1 - mask) + prediction * mask


def tensor_to_image(tensor: torch.Tensor, name: str) -> np.ndarray:
    """1 x 3 x H x W in [0, 1] -> H x W x 3 uint8; non-finite values are an engine bug, named as such."""
    if not torch.isfinite(tensor).all():
        raise RuntimeError(f"{name} produced non-finite values")
    return (tensor[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
