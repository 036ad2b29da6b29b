"""Learned engines' speed on this machine (random weights: speed does not depend on them).

For each engine: one fill of a face photo through the pipeline (face detection and alignment included), the
network alone on one 128 px crop, and training images/s (batch 8, 128 px). CRG runs exactly 10 scored cycles
plus the U-Net refiner (a random-weight quality discriminator stands in for the trained one).
Targets on the 2-core development machine: one 128 px fill <= 200 ms; CRG's 10 cycles + refine <= 1.5 s.
Run: python bench/learned.py [--engines lskfnet maskedface crg] [--device cuda --amp bf16]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import registry  # noqa: E402
from engines.base import Crop  # noqa: E402
from engines.contract import CancelToken, InpaintRequest, drive  # noqa: E402
from engines.faces.auto_mask import auto_face_mask  # noqa: E402
from engines.faces.landmark_cache import compute_landmarks  # noqa: E402
from engines.pipeline import inpaint  # noqa: E402
from engines.training.config import TrainConfig  # noqa: E402
from engines.training.loop import train  # noqa: E402

SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"
OPTIONS = {"crg": {"min_cycles": 10, "max_cycles": 10, "refine": "yes"}}


def _timed(function, runs: int) -> list[float]:
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def fill_times(name: str, device: str, runs: int = 8) -> tuple[list[float], list[float]]:
    engine = registry.create(name, device, allow_untrained=True)
    if name == "crg":
        from engines.crg.quality import QualityDiscriminator
        from engines.crg.scorer import QualityScorer

        engine.scorer = QualityScorer(QualityDiscriminator(), device)
    photo = cv2.imread(str(SAMPLE))[:, :, ::-1].copy()
    mask, _ = auto_face_mask(photo, "worn_mask")
    request = InpaintRequest(photo, mask, options=OPTIONS.get(name, {}))
    pipeline = _timed(lambda: drive(inpaint(engine, request)), runs)
    crop_mask = np.zeros((128, 128), bool)
    crop_mask[70:120, 25:105] = True
    crop = Crop(cv2.resize(photo[60:200, 150:290], (128, 128)), crop_mask, None, 1)
    options = engine.spec.parse_options(OPTIONS.get(name, {}))
    network = _timed(lambda: drive(engine.fill(crop, options, np.random.default_rng(0), CancelToken())), runs)
    return pipeline, network


def training_rate(name: str, device: str, amp: str, steps: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "faces"
        data.mkdir()
        head = cv2.imread(str(SAMPLE))[30:230, 120:320]
        for i in range(16):
            cv2.imwrite(str(data / f"{i}.png"), cv2.resize(np.roll(head if i % 2 else head[:, ::-1], 2 * i, axis=1), (128, 128)))
        landmarks = drive(compute_landmarks(data, Path(tmp) / "landmarks.npz"))
        config = TrainConfig(engine=name, data=str(data), out=str(Path(tmp) / "run"), steps=steps, batch=8, generated_masks=50,
                             landmarks=str(landmarks), lr=2e-4, sample_every=10**9, log_every=10**9, device=device, amp=amp)
        work = train(config)
        next(work)  # warm-up step
        start = time.perf_counter()
        count = sum(1 for _ in work)
        return count * config.batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", nargs="+", default=["lskfnet", "maskedface", "crg"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", default="none")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    for name in args.engines:
        pipeline, network = fill_times(name, args.device)
        rate = training_rate(name, args.device, args.amp, args.steps)
        print(f"{name}: face photo through the pipeline median {statistics.median(pipeline):.0f} ms; network on one 128 px crop "
              f"median {statistics.median(network):.0f} ms (min {min(network):.0f}); training {rate:.1f} images/s (batch 8, amp {args.amp})")


if __name__ == "__main__":
    main()
