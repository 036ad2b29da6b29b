"""Training pairs for the masked-face engine: faces with Algorithm-1 face masks (three styles, colour and texture
varied), made once at start-up from precomputed landmarks and held as uint8 tensors (on the GPU when they fit)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engines.data.bank import Crop, batch_generator, image_files, read_square_rgb
from engines.faces.algorithm1 import MaskStyle, load_template, put_mask, vary
from engines.faces.landmark_cache import read_landmarks, to_square


@dataclass
class MaskedBank:
    """originals: N x 3 x S x S; masked: M x 3 x S x S; holes: M x 1 x S x S (uint8); source: M (index into originals)."""

    originals: torch.Tensor
    masked: torch.Tensor
    holes: torch.Tensor
    source: torch.Tensor

    def to(self, device) -> MaskedBank:
        return MaskedBank(*(t.to(device) for t in (self.originals, self.masked, self.holes, self.source)))

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.originals, self.masked, self.holes))


def load_masked_bank(images: Path, landmarks: Path, size: int, limit: int | None, variants: int, seed: int) -> MaskedBank:
    known = read_landmarks(landmarks)
    files = [p for p in image_files(images) if p.name in known][:limit or None]
    if not files:
        raise ValueError(f"no image of {images} has landmarks in {landmarks}; run `main.py landmarks` on that folder")
    rng = np.random.default_rng(seed)
    templates = [load_template(style) for style in MaskStyle]
    originals, masked, holes, source = [], [], [], []
    for index, path in enumerate(files):
        rgb = read_square_rgb(path, size, Crop.CENTRE).copy()
        points, shape = known[path.name]
        points = to_square(points, shape, size)
        originals.append(rgb)
        for _ in range(variants):
            image, hole, _ = put_mask(rgb, points, vary(templates[rng.integers(len(templates))], rng))
            masked.append(image)
            holes.append(hole)
            source.append(index)
    as_tensor = lambda arrays: torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return MaskedBank(as_tensor(originals), as_tensor(masked), torch.from_numpy(np.stack(holes)).unsqueeze(1).to(torch.uint8),
                      torch.tensor(source))


def draw_masked_batch(bank: MaskedBank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
    """masked N x 3 x S x S and image (the truth) in [0, 1]; mask N x 1 x S x S (1 = the worn mask to replace)."""
    g = batch_generator(seed, step, rank)
    device = bank.masked.device
    pick = torch.randint(len(bank.masked), (batch,), generator=g).to(device)
    flip = (torch.rand(batch, generator=g) < 0.5).to(device).view(-1, 1, 1, 1)
    out = {"masked": bank.masked[pick].float() / 255, "image": bank.originals[bank.source[pick]].float() / 255,
           "mask": bank.holes[pick].float()}
    return {k: torch.where(flip, v.flip(-1), v) for k, v in out.items()}
