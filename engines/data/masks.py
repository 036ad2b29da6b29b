"""Hole masks for training: a folder of PNG masks (white = hole; ``index.csv`` hole ratios when present) mixed
with generated free-form strokes, random rectangles; and the hole-ratio bins the papers report (10-20, ..., 40-50 %)."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import cv2
import numpy as np
import torch

from engines.errors import InputError

BINS = ((0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5))


def bin_label(low: float, high: float) -> str:
    return f"{round(low * 100)}-{round(high * 100)} %"


def bin_of(ratio: float) -> tuple[float, float] | None:
    return next(((lo, hi) for lo, hi in BINS if lo <= ratio < hi), None)


def free_form_mask(size: int, rng: np.random.Generator, max_strokes: int = 6) -> np.ndarray:
    """Random thick brush strokes (as in DeepFill v2's training masks): size x size bool."""
    mask = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(1, max_strokes + 1))):
        x, y = rng.integers(0, size, 2)
        width = int(rng.integers(size // 20 + 1, size // 7 + 2))
        for _ in range(int(rng.integers(2, 8))):
            angle = rng.uniform(0, 2 * math.pi)
            length = rng.uniform(size / 10, size / 3)
            nx = int(np.clip(x + length * math.cos(angle), 0, size - 1))
            ny = int(np.clip(y + length * math.sin(angle), 0, size - 1))
            cv2.line(mask, (int(x), int(y)), (nx, ny), 1, width)
            cv2.circle(mask, (nx, ny), width // 2, 1, -1)
            x, y = nx, ny
    return mask.astype(bool)


def rectangle_masks(count: int, size: int, generator: torch.Generator, smallest: float = 0.125,
                    largest: float = 0.5) -> torch.Tensor:
    """``count`` axis-aligned rectangular holes, count x 1 x size x size float (1 = hole), drawn on the generator's
    device: each side uniform in [smallest, largest] x size, placed uniformly inside the square."""
    device = generator.device
    low, high = max(1, round(smallest * size)), max(1, round(largest * size))
    sides = torch.randint(low, high + 1, (2, count), generator=generator, device=device)  # heights, widths
    tops = (torch.rand(count, generator=generator, device=device) * (size - sides[0] + 1)).long()
    lefts = (torch.rand(count, generator=generator, device=device) * (size - sides[1] + 1)).long()
    grid = torch.arange(size, device=device)
    rows = (grid[None] >= tops[:, None]) & (grid[None] < (tops + sides[0])[:, None])  # count x size
    cols = (grid[None] >= lefts[:, None]) & (grid[None] < (lefts + sides[1])[:, None])
    return (rows[:, :, None] & cols[:, None, :]).unsqueeze(1).float()


def mask_index(folder: Path) -> list[tuple[Path, float | None]]:
    """The masks of a folder with their hole ratios from ``index.csv`` (in the folder or its parent) when
    there is one; the CSV's file names may be relative to the folder or to its ``train/`` subfolder."""
    folder = Path(folder)
    index = next((p for p in (folder / "index.csv", folder.parent / "index.csv") if p.is_file()), None)
    if index is None:
        return [(p, None) for p in sorted(folder.iterdir()) if p.suffix.lower() == ".png"]
    with index.open() as f:
        rows = [(row["file"], float(row["hole_ratio"]) if row.get("hole_ratio") else None) for row in csv.DictReader(f)]
    base = folder if not rows or (folder / rows[0][0]).is_file() else folder / "train"
    return [(base / name, ratio) for name, ratio in rows]


def mask_files(folder: Path) -> list[Path]:
    return [path for path, _ in mask_index(folder)]


def load_mask_file(path: Path, size: int) -> np.ndarray:
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise InputError(f"{path.name}: not a readable mask")
    return cv2.resize(grey, (size, size), interpolation=cv2.INTER_NEAREST) > 127


def scratch_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """One to four thin curved lines, 1-4 px wide at 256 px (scratches and cracks on a scanned print): size x size bool."""
    mask = np.zeros((size, size), np.uint8)
    scale = size / 256
    for _ in range(int(rng.integers(1, 5))):
        start = rng.uniform(0, size, 2)
        steps = rng.normal(0, size / 12, (int(rng.integers(3, 7)), 2)) + rng.uniform(-size / 8, size / 8, 2)
        points = np.clip(start + np.cumsum(steps, axis=0), 0, size - 1)
        width = max(1, round(rng.integers(1, 5) * scale))
        cv2.polylines(mask, [np.vstack([start, points]).astype(np.int32)], False, 1, width, cv2.LINE_8)
    return mask.astype(bool)


def text_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """One to three lines of text in a Hershey font, strokes 1-3 px at 256 px (captions, dates, watermarks)."""
    mask = np.zeros((size, size), np.uint8)
    scale = size / 256
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .:/-"))
    for _ in range(int(rng.integers(1, 4))):
        text = "".join(rng.choice(letters, int(rng.integers(6, 16))))
        font_scale = rng.uniform(0.4, 1.0) * scale
        thickness = max(1, round(rng.integers(1, 4) * scale))
        origin = (int(rng.integers(0, size // 3)), int(rng.integers(size // 8, size)))
        cv2.putText(mask, text, origin, int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX])), font_scale, 1,
                    thickness, cv2.LINE_8)
    return mask.astype(bool)


def thin_masks(size: int, count: int, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """``count`` scratch masks and ``count`` text masks for measuring fills of thin holes, seeded."""
    rng = np.random.default_rng(seed)
    return {"scratches": [scratch_mask(size, rng) for _ in range(count)], "text": [text_mask(size, rng) for _ in range(count)]}
