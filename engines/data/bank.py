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
from engines.errors import InputError
from engines.data.masks import free_form_mask, load_mask_file, mask_files
from engines.data.sketch import sketch_map
from engines.imageio import list_images


class Crop(StrEnum):
    CENTRE = "centre"  # faces: the largest centred square, resized
    RANDOM = "random"  # scenes: random square crops at batch time


def image_files(folder: Path, limit: int | None = None) -> list[Path]:
    """A training or evaluation folder's images (the first ``limit``); a missing or empty folder is an error."""
    if not Path(folder).is_dir():
        raise InputError(f"{folder}: no such folder")
    files = list_images(folder)
    if not files:
        raise InputError(f"{folder}: no images")
    return files[:limit] if limit else files


def read_square_rgb(path: Path, size: int, crop: Crop) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"{path.name}: not a readable image")
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
        raise InputError("no masks: give a mask folder or generated masks")
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


def batch_generator(seed: int, step: int, rank: int = 0, device: torch.device | str = "cpu") -> torch.Generator:
    """The random stream of one step: on the bank's device, so a batch is drawn there without a host loop."""
    return torch.Generator(device=device).manual_seed((seed * 1_000_003 + step) * 97 + rank)


def random_crops(images: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """N x C x H x W -> N x C x size x size, each image cropped at its own random place (one gather)."""
    n, c, h, w = images.shape
    device = images.device
    ys = torch.randint(0, h - size + 1, (n,), generator=generator, device=device)
    xs = torch.randint(0, w - size + 1, (n,), generator=generator, device=device)
    offsets = torch.arange(size, device=device)
    rows, cols = ys[:, None] + offsets, xs[:, None] + offsets  # N x size each
    return images[torch.arange(n, device=device)[:, None, None, None], torch.arange(c, device=device)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


def quarter_turns(squares: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """N x C x S x S, each rotated by its own number of quarter turns (0-3)."""
    rotated = torch.stack([torch.rot90(squares, k, dims=(-2, -1)) for k in range(4)])
    return rotated[turns, torch.arange(len(squares), device=squares.device)]


def mirrored(images: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """N x C x H x W with the rows of ``flip`` (N bool) mirrored left to right."""
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def draw_batch(bank: Bank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
    """image N x 3 x S x S in [0, 1]; mask N x 1 x S x S (1 = hole); edge N x 1 x S x S (faces); grey. Drawn where
    the bank is (on the GPU when it fits), from its uint8 tensors."""
    device = bank.images.device
    g = batch_generator(seed, step, rank, device)
    index = torch.randint(len(bank.images), (batch,), generator=g, device=device)
    mask_index = torch.randint(len(bank.masks), (batch,), generator=g, device=device)
    flip = torch.rand(batch, generator=g, device=device) < 0.5
    turns = torch.randint(0, 4, (batch,), generator=g, device=device)
    images = bank.images[index]
    if bank.crop is Crop.RANDOM:
        images = random_crops(images, bank.size, g)
    images = mirrored(images, flip).float() / 255
    masks = quarter_turns(bank.masks[mask_index], turns).float()
    grey = 0.299 * images[:, 0:1] + 0.587 * images[:, 1:2] + 0.114 * images[:, 2:3]  # no host-to-device copy
    out = {"image": images, "mask": masks, "grey": grey}
    if bank.edges is not None:
        out["edge"] = mirrored(bank.edges[index], flip).float() / (255 if bank.sketches else 1)
    return out
