"""CFS and the region-wise GAN: CPU time of one fill (random weights: speed does not depend on them).

The network alone on one crop (CFS at 128 px, region-wise faces at 128 px and scenes at 256 px) and a 12 MP
photo with one 300 x 200 px hole through the whole pipeline (region-wise scenes).
Targets on the 2-core development machine: <= 200 ms at 128 px, <= 600 ms at 256 px.
Run: python bench/sketch_engines.py [--runs 8]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.learned import _timed as timed  # noqa: E402
from engines import registry  # noqa: E402
from engines.base import Crop  # noqa: E402
from engines.contract import CancelToken, InpaintRequest, drive  # noqa: E402
from engines.pipeline import inpaint  # noqa: E402

SAMPLE = ROOT / "resources" / "samples" / "coffee.jpg"


def _median_ms(function, runs: int) -> tuple[float, float]:
    times = timed(function, runs)
    return statistics.median(times), min(times)


def crop_time(name: str, domain: str | None, runs: int) -> tuple[int, float, float]:
    engine = registry.create(name, "cpu", allow_untrained=True, domain=domain)
    side = engine.spec.resolution
    image = np.ascontiguousarray(cv2.resize(cv2.imread(str(SAMPLE))[:, :, ::-1], (side, side)))
    mask = np.zeros((side, side), bool)
    mask[side // 4:side * 3 // 4, side // 4:side * 3 // 4] = True
    crop = Crop(image, mask, None, 1)
    options = engine.spec.parse_options({})
    return (side, *_median_ms(lambda: drive(engine.fill(crop, options, np.random.default_rng(0), CancelToken())), runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    for name, domain in (("cfs", None), ("regionwise", "faces"), ("regionwise", "scenes")):
        side, median, best = crop_time(name, domain, args.runs)
        label = name + (f" --domain {domain}" if domain else "")
        print(f"{label}: one {side} px crop median {median:.0f} ms (min {best:.0f})")
    photo = cv2.resize(cv2.imread(str(SAMPLE))[:, :, ::-1], (4000, 3000), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros(photo.shape[:2], bool)
    mask[1400:1600, 1800:2100] = True
    engine = registry.create("regionwise", "cpu", allow_untrained=True, domain="scenes")
    request = InpaintRequest(np.ascontiguousarray(photo), mask)
    median, best = _median_ms(lambda: drive(inpaint(engine, request)), max(2, args.runs // 4))
    print(f"regionwise --domain scenes: 12 MP photo, 300 x 200 px hole, whole pipeline median {median:.0f} ms (min {best:.0f})")


if __name__ == "__main__":
    main()
