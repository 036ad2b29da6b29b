"""LSK-FNet speed on this machine: training images/s (batch 8, 128 px, all three phases) and CPU inference
time for one 128 px fill (both generators, through the engine, random weights: speed does not depend on them).

Target: one 128 px fill <= 200 ms on the 2-core development machine.
Run: python bench/lskfnet.py [--device cuda] [--amp bf16]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import registry  # noqa: E402
from engines.contract import InpaintRequest, drive  # noqa: E402
from engines.pipeline import inpaint  # noqa: E402
from engines.training.config import TrainConfig  # noqa: E402
from engines.training.loop import train  # noqa: E402


def inference_ms(device: str, runs: int = 10) -> list[float]:
    engine = registry.create("lskfnet", device, allow_untrained=True)
    image = np.random.default_rng(0).integers(0, 255, (128, 128, 3), np.uint8)
    mask = np.zeros((128, 128), bool)
    mask[40:90, 30:100] = True
    request = InpaintRequest(image, mask)
    drive(inpaint(engine, request))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        drive(inpaint(engine, request))
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return times


def training_images_per_s(device: str, amp: str, steps: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "faces"
        data.mkdir()
        rng = np.random.default_rng(0)
        for i in range(32):
            Image.fromarray(rng.integers(0, 255, (128, 128, 3), np.uint8)).save(data / f"{i}.png")
        config = TrainConfig(engine="lskfnet", data=str(data), out=str(Path(tmp) / "run"), steps=steps, batch=8,
                             generated_masks=50, sample_every=10**9, log_every=10**9, device=device, amp=amp)
        work = train(config)
        next(work)  # the first step: warm-up (allocations, kernel selection)
        start = time.perf_counter()
        count = 0
        for _ in work:
            count += 1
        return count * config.batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", default="none")
    parser.add_argument("--steps", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    times = inference_ms(args.device)
    print(f"one 128 px fill (edges + image generator, via the pipeline): median {statistics.median(times):.0f} ms, "
          f"min {min(times):.0f} ms over {len(times)} runs")
    rate = training_images_per_s(args.device, args.amp, args.steps)
    print(f"training, batch 8 at 128 px, amp {args.amp}: {rate:.1f} images/s (steps 2..{args.steps}, phases edge/inpaint/joint)")


if __name__ == "__main__":
    main()
