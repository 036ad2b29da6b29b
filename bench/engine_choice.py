"""Is Telea the better fill for thin strokes? Lines of one width at a time on held-out photos (scenes/val at their
own size, about 480 x 360), filled by Telea and PatchMatch side by side in one run through the pipeline.

Prints, per line width: PSNR over the photo and the VGG relu3_1 distance in the hole (lower is better) for each
engine, and which engine wins on each. The automatic engine (engines/classical/auto.py) gives thin strokes to
PatchMatch because of what this prints: no width at which Telea's fill is closer in VGG features.
Run: python bench/engine_choice.py [--images ../shared/datasets/scenes/val] [--limit 20]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import registry  # noqa: E402
from engines.contract import InpaintRequest, drive  # noqa: E402
from engines.data.bank import image_files  # noqa: E402
from engines.evaluation.metrics import psnr  # noqa: E402
from engines.evaluation.perceptual import HoleDistance  # noqa: E402
from engines.imageio import load_image  # noqa: E402
from engines.pipeline import inpaint  # noqa: E402

WIDTHS = (2, 4, 6, 8, 12, 16, 24, 32)
ENGINES = ("telea", "patchmatch")


def lines(shape: tuple[int, int], width: int, rng: np.random.Generator) -> np.ndarray:
    """Three random polylines of one width."""
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    for _ in range(3):
        start = rng.uniform((0, 0), (w, h))
        points = start + np.cumsum(rng.normal(0, min(h, w) / 6, (4, 2)), axis=0)
        points = np.clip(np.vstack([start, points]), 0, (w - 1, h - 1)).astype(np.int32)
        cv2.polylines(mask, [points], False, 1, width, cv2.LINE_8)
    return mask.astype(bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(ROOT.parent / "shared" / "datasets" / "scenes" / "val"))
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    files = image_files(Path(args.images), args.limit)
    engines = {name: registry.create(name) for name in ENGINES}
    distance = HoleDistance()
    print(f"{len(files)} photos of {args.images}; VGG: {distance.source}")
    print(f"{'width':>5}  {'PSNR telea':>10}  {'PSNR pm':>8}  {'VGG telea':>9}  {'VGG pm':>7}  better (PSNR, VGG)")
    for width in WIDTHS:
        rng = np.random.default_rng(width)
        scores = {name: [] for name in ENGINES}
        for i, path in enumerate(files):
            image = load_image(path).rgb
            mask = lines(image.shape[:2], width, rng)
            for name, engine in engines.items():
                result = drive(inpaint(engine, InpaintRequest(image, mask, seed=i))).image
                scores[name].append((psnr(result, image), distance(image, result, mask)))
        (pt, vt), (pp, vp) = (np.mean(scores[name], axis=0) for name in ENGINES)
        print(f"{width:5d}  {pt:10.2f}  {pp:8.2f}  {vt:9.3f}  {vp:7.3f}  "
              f"{'telea' if pt >= pp else 'patchmatch'}, {'telea' if vt <= vp else 'patchmatch'}", flush=True)


if __name__ == "__main__":
    main()
