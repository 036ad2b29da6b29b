"""Fill a 12-megapixel photo with ~3 % of it masked in several holes, Telea through the any-size pipeline.

Prints wall time (median of 3) and the process's peak resident memory during the fill.
Target on the 2-core development machine: <= 1.5 s and <= 1.5 GB.   Run: make bench  (or python bench/fill_large.py)
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


def make_mask(shape: tuple[int, int]) -> np.ndarray:
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


def main() -> None:
    image = make_photo()
    mask = make_mask(image.shape[:2])
    engine = registry.create("telea")
    request = InpaintRequest(image, mask)
    drive(inpaint(engine, request))  # warm-up: first-call allocations and OpenCV's thread pool
    baseline = _memory_kib("VmRSS")
    peak_reset = _reset_peak()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = drive(inpaint(engine, request))
        times.append(time.perf_counter() - start)
    peak = _memory_kib("VmHWM")
    assert np.array_equal(result.image[~mask], image[~mask])
    print(f"image {image.shape[1]}x{image.shape[0]} ({image.shape[0] * image.shape[1] / 1e6:.1f} MP), "
          f"hole {mask.mean() * 100:.1f} %, {result.message}")
    print(f"telea fill: median {statistics.median(times):.3f} s (runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"memory: process RSS before fill {baseline / 1024:.0f} MiB, peak during fills "
          f"{peak / 1024:.0f} MiB{'' if peak_reset else ' (peak since start: clear_refs unavailable)'}")


if __name__ == "__main__":
    main()
