"""Fill a 12-megapixel photo through the any-size pipeline, Telea and PatchMatch side by side in one run.

Two masks: one object-sized hole of 3 % of the photo (an ellipse), and ~3 % spread over 16 holes (ellipses and
thick strokes). Prints wall time (median of 3) per engine and mask, the PatchMatch/Telea ratio, and the process's
peak resident memory during the fills.
Targets on the 2-core development machine: Telea <= 1.5 s and <= 1.5 GB; PatchMatch, one 3 % hole, <= 3 s.
Run: make bench  (or python bench/fill_large.py)
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import registry  # noqa: E402
from engines.contract import InpaintRequest, drive  # noqa: E402
from engines.pipeline import inpaint  # noqa: E402

ENGINES = ("telea", "patchmatch")


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def make_photo() -> np.ndarray:
    sample = cv2.imread(str(ROOT / "resources" / "samples" / "coffee.jpg"))[:, :, ::-1]
    return np.ascontiguousarray(cv2.resize(sample, (4000, 3000), interpolation=cv2.INTER_CUBIC))


def one_hole(shape: tuple[int, int]) -> np.ndarray:
    """One ellipse covering 3 % of the photo, off centre (an object to remove)."""
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    axes = (round((0.03 * h * w / np.pi / 1.4) ** 0.5 * 1.4), round((0.03 * h * w / np.pi / 1.4) ** 0.5))
    cv2.ellipse(mask, (w // 3, h // 2), axes, 20.0, 0, 360, 255, -1)
    return mask > 0


def many_holes(shape: tuple[int, int]) -> np.ndarray:
    """Ellipses and thick strokes spread over the photo, about 3 % of its area."""
    rng = np.random.default_rng(0)
    mask = np.zeros(shape, np.uint8)
    h, w = shape
    for _ in range(10):
        centre = (int(rng.integers(200, w - 200)), int(rng.integers(200, h - 200)))
        axes = (int(rng.integers(80, 200)), int(rng.integers(50, 140)))
        cv2.ellipse(mask, centre, axes, float(rng.integers(0, 180)), 0, 360, 255, -1)
    for _ in range(6):
        points = np.cumsum(rng.integers(-150, 150, (5, 2)), axis=0) + [rng.integers(500, w - 500), rng.integers(500, h - 500)]
        cv2.polylines(mask, [points.astype(np.int32)], False, 255, int(rng.integers(15, 35)))
    return mask > 0


def timed(engine, request: InpaintRequest, runs: int = 3) -> tuple[float, list[float], str]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = drive(inpaint(engine, request))
        times.append(time.perf_counter() - start)
    assert np.array_equal(result.image[~request.mask], request.image[~request.mask])
    return statistics.median(times), times, result.message


def main() -> None:
    image = make_photo()
    masks = {"one 3 % hole": one_hole(image.shape[:2]), "16 holes": many_holes(image.shape[:2])}
    engines = {name: registry.create(name) for name in ENGINES}
    for engine in engines.values():  # warm-up: first-call allocations, OpenCV's thread pool, the native library
        drive(inpaint(engine, InpaintRequest(image, _dot(image.shape[:2]))))
    baseline = _memory_kib("VmRSS")
    peak_reset = _reset_peak()
    print(f"image {image.shape[1]}x{image.shape[0]} ({image.shape[0] * image.shape[1] / 1e6:.1f} MP)")
    for label, mask in masks.items():
        request = InpaintRequest(image, mask)
        medians = {}
        for name, engine in engines.items():
            medians[name], times, message = timed(engine, request)
            print(f"{label} ({mask.mean() * 100:.1f} %): {name:10} median {medians[name]:.3f} s "
                  f"(runs: {', '.join(f'{t:.3f}' for t in times)}) {message}")
        print(f"{label}: patchmatch / telea = {medians['patchmatch'] / medians['telea']:.1f}x")
    peak = _memory_kib("VmHWM")
    print(f"memory: process RSS before fills {baseline / 1024:.0f} MiB, peak during fills "
          f"{peak / 1024:.0f} MiB{'' if peak_reset else ' (peak since start: clear_refs unavailable)'}")


def _dot(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[100:140, 100:140] = True
    return mask


if __name__ == "__main__":
    main()
