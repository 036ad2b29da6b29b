"""Training pairs for the masked-face engine: faces with Algorithm-1 face masks (three styles, colour and texture
varied), made once at start-up from precomputed landmarks (on every core: engines/maskedface/variants.py) and held
as uint8 tensors (on the GPU when they fit), where batches are drawn."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engines.data.bank import Crop, batch_generator, image_files, mirrored, read_square_rgb
from engines.errors import InputError
from engines.faces.landmark_cache import read_landmarks, to_square
from engines.maskedface.variants import all_variants


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


def load_masked_bank(images: Path, landmarks: Path, size: int, limit: int | None, variants: int, seed: int,
                     workers: int | None = None) -> MaskedBank:
    known = read_landmarks(landmarks)
    files = [p for p in image_files(images) if p.name in known][:limit or None]
    if not files:
        raise InputError(f"no image of {images} has landmarks in {landmarks}; run `main.py landmarks` on that folder")
    with ThreadPoolExecutor(8) as pool:
        originals = list(pool.map(lambda p: read_square_rgb(p, size, Crop.CENTRE).copy(), files))
    points = [to_square(*known[p.name], size) for p in files]
    made = all_variants(originals, points, variants, seed, workers)
    as_tensor = lambda arrays: torch.from_numpy(np.concatenate(arrays)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return MaskedBank(as_tensor([o[None] for o in originals]), as_tensor([m for m, _ in made]),
                      torch.from_numpy(np.concatenate([h for _, h in made])).unsqueeze(1).to(torch.uint8),
                      torch.arange(len(files)).repeat_interleave(variants))


def draw_masked_batch(bank: MaskedBank, batch: int, seed: int, step: int, rank: int = 0) -> dict[str, torch.Tensor]:
    """masked N x 3 x S x S and image (the truth) in [0, 1]; mask N x 1 x S x S (1 = the worn mask to replace).
    Drawn where the bank is."""
    device = bank.masked.device
    g = batch_generator(seed, step, rank, device)
    pick = torch.randint(len(bank.masked), (batch,), generator=g, device=device)
    flip = torch.rand(batch, generator=g, device=device) < 0.5
    out = {"masked": bank.masked[pick], "image": bank.originals[bank.source[pick]], "mask": bank.holes[pick]}
    return {k: mirrored(v, flip).float() / (1 if k == "mask" else 255) for k, v in out.items()}
