"""Images and masks held as uint8 tensors, and deterministic batches drawn from them.

A batch depends only on (seed, step, rank), so a run resumed at step k draws exactly the batches the
uninterrupted run would have drawn.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np
import torch

from engines.data.edges import canny, grey_of
from engines.data.masks import free_form_mask, load_mask_file, mask_files
from engines.data.sketch import sketch_map
from engines.imageio import list_images


class Crop(StrEnum):
    CENTRE = "centre"  # faces: the largest centred square, resized
    RANDOM = "random"  # scenes: random square crops at batch time


def image_files(folder: Path, limit: int | None = None) -> list[Path]:
    """A training or evaluation folder's images (the first ``limit``); an empty folder is an error."""
    files = list_images(folder)
    if not files:
        raise ValueError(f"{folder}: no images")
    return files[:limit] if limit else files


def read_square_rgb(path: Path, size: int, crop: Crop) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path.name}: not a readable image")
    h, w = bgr.shape[:2]
    side = min(h, w)
    bgr = bgr[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    target = size if crop is Crop.CENTRE else round(1.25 * size)  # random crops of size are taken per batch
    bgr = cv2.resize(bgr, (target, target), interpolation=cv2.INTER_AREA)
    return bgr[:, :, ::-1]


@dataclass
class Bank:
    """images: N x 3 x S x S uint8; edges: N x 1 x S x S uint8 (faces only: Canny 0/1, or soft sketches 0-255);
    masks: M x 1 x s x s uint8."""

    images: torch.Tensor
    edges: torch.Tensor | None
    masks: torch.Tensor
    size: int
    crop: Crop
    edge_sigma: float
    sketches: bool = False  # edges are soft XDoG sketches (engines/data/sketch.py) instead of Canny

    @property
    def nbytes(self) -> int:
        parts = (self.images, self.masks) + (() if self.edges is None else (self.edges,))
        return sum(t.numel() * t.element_size() for t in parts)

    def to(self, device: torch.device | str) -> Bank:
        edges = None if self.edges is None else self.edges.to(device)
        return Bank(self.images.to(device), edges, self.masks.to(device), self.size, self.crop, self.edge_sigma, self.sketches)


def load_bank(images: Path, masks: Path | None, size: int, crop: Crop = Crop.CENTRE, limit: int | None = None,
              generated_masks: int = 2000, edge_sigma: float = 2.0, seed: int = 0, threads: int = 8,
              sketches: bool = False) -> Bank:
    """Read a folder of images (and masks) once; generated free-form masks are added to the folder's. Centre
    crops (faces) also get Canny edges, or soft sketches with ``sketches``."""
    files = image_files(images, limit)
    with ThreadPoolExecutor(threads) as pool:
        rgb = list(pool.map(lambda p: read_square_rgb(p, size, crop), files))
        edge_of = (lambda im: sketch_map(grey_of(im))) if sketches else (lambda im: canny(grey_of(im), edge_sigma))
        edges = list(pool.map(edge_of, rgb)) if crop is Crop.CENTRE else None
        hole_masks = list(pool.map(lambda p: load_mask_file(p, size), mask_files(masks))) if masks else []
    rng = np.random.default_rng(seed)
    hole_masks += [free_form_mask(size, rng) for _ in range(generated_masks)]
    if not hole_masks:
        raise ValueError("no masks: give a mask folder or generated masks")
    image_tensor = torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2).contiguous()
    edge_tensor = None if edges is None else torch.from_numpy(np.stack(edges)).unsqueeze(1).to(torch.uint8)
    mask_tensor = torch.from_numpy(np.stack(hole_masks)).unsqueeze(1).to(torch.uint8)
    return Bank(image_tensor, edge_tensor, mask_tensor, size, crop, edge_sigma, sketches)


def face_bank(config, sketches: bool = False) -> Bank:
    """Centre-cropped faces with edges (or soft sketches), and hole masks from the config's folder plus generated
    strokes."""
    masks = Path(config.masks) if config.masks else None
    return load_bank(Path(config.data), masks, config.size, Crop.CENTRE, config.limit, config.generated_masks,
                     config.edge_sigma, config.seed, sketches=sketches)


def batch_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 97 + rank)


def draw_batch(bank: Bank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
    """image N x 3 x S x S in [0, 1]; mask N x 1 x S x S (1 = hole); edge N x 1 x S x S (faces); grey."""
    g = batch_generator(seed, step, rank)
    device = bank.images.device
    index = torch.randint(len(bank.images), (batch,), generator=g).to(device)
    mask_index = torch.randint(len(bank.masks), (batch,), generator=g).to(device)
    flip = (torch.rand(batch, generator=g) < 0.5).to(device).view(-1, 1, 1, 1)
    mask_flip = torch.randint(0, 4, (batch,), generator=g)
    images = bank.images[index].float() / 255
    if bank.crop is Crop.RANDOM:
        spare = images.shape[-1] - bank.size
        ys, xs = torch.randint(0, spare + 1, (2, batch), generator=g).tolist()
        images = torch.stack([im[:, y:y + bank.size, x:x + bank.size] for im, y, x in zip(images, ys, xs)])
    images = torch.where(flip, images.flip(-1), images)
    masks = bank.masks[mask_index].float()
    masks = torch.stack([torch.rot90(m, int(k), dims=(1, 2)) for m, k in zip(masks, mask_flip)])
    out = {"image": images, "mask": masks, "grey": (images * torch.tensor([0.299, 0.587, 0.114], device=device).view(1, 3, 1, 1)).sum(1, keepdim=True)}
    if bank.edges is not None:
        edges = bank.edges[index].float() / (255 if bank.sketches else 1)
        out["edge"] = torch.where(flip, edges.flip(-1), edges)
    return out
