"""Each learned engine filling one crop at its native size (the network alone: no face search, no dlib), on the CPU
and, when there is one, on CUDA in float32 and in bf16 (random weights: speed does not depend on them). CRG runs
10 cycles plus its refiner.
Run: python bench/fill_speed.py [--runs 10] [--engines crg cfs]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import registry  # noqa: E402
from engines.base import Crop  # noqa: E402
from engines.contract import CancelToken, drive  # noqa: E402

# engine, domain; each at the resolution its spec gives
ENGINES = (("lskfnet", None), ("maskedface", None), ("crg", None), ("cfs", None), ("regionwise", "faces"), ("regionwise", "scenes"))
OPTIONS = {"crg": {"min_cycles": 10, "max_cycles": 10, "refine": "yes"}}


def crop_for(size: int) -> Crop:
    photo = cv2.imread(str(ROOT / "resources" / "samples" / "astronaut.jpg"))[:, :, ::-1]
    mask = np.zeros((size, size), bool)
    mask[size // 2:size * 7 // 8, size // 5:size * 4 // 5] = True
    return Crop(np.ascontiguousarray(cv2.resize(photo[30:230, 120:320], (size, size))), mask, None, 1)


def fill(engine, crop: Crop, options) -> np.ndarray:
    return drive(engine.fill(crop, options, np.random.default_rng(0), CancelToken()))[0]


def median_ms(engine, crop: Crop, options, runs: int, device: str, bf16: bool) -> float:
    times = []
    for index in range(runs + 1):  # the first run warms up (cuDNN autotuning, allocations)
        start = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            fill(engine, crop, options)
        if device == "cuda":
            torch.cuda.synchronize()
        if index:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--engines", nargs="+", default=[e for e, _ in dict.fromkeys(ENGINES)])
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}; CPU threads {torch.get_num_threads()}; CUDA: {torch.cuda.get_device_name() if cuda else 'none'}")
    for name, domain in ENGINES:
        if name not in args.engines:
            continue
        engine = registry.create(name, "cpu", allow_untrained=True, domain=domain)
        crop = crop_for(engine.spec.resolution)
        options = engine.spec.parse_options(OPTIONS.get(name, {}))
        cells = [f"cpu {median_ms(engine, crop, options, max(2, args.runs // 3), 'cpu', False):.0f} ms"]
        if cuda:
            engine = registry.create(name, "cuda", allow_untrained=True, domain=domain)
            cells += [f"cuda fp32 {median_ms(engine, crop, options, args.runs, 'cuda', False):.1f} ms",
                      f"cuda bf16 {median_ms(engine, crop, options, args.runs, 'cuda', True):.1f} ms"]
        print(f"{name}{f' {domain}' if domain else ''} at {engine.spec.resolution} px: {', '.join(cells)}", flush=True)


if __name__ == "__main__":
    main()
