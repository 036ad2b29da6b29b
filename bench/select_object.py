"""Select object on a 12-megapixel photo: GrabCut in a box on a downscaled copy, the mask scaled back and dilated,
added to the document as one undo step. Prints the median time (of 5) for a large and a small box.
Target on the 2-core development machine: well under a second.   Run: python bench/select_object.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from app.document import Document  # noqa: E402
from app.select_object import select_object  # noqa: E402
from fill_large import make_photo  # noqa: E402

BOXES = {"the cup (2400 x 2100 px box)": ((700, 350), (3100, 2450)), "the spoon's end (400 x 300 px box)": ((3350, 2300), (3750, 2600))}


def main() -> None:
    image = make_photo()
    print(f"image {image.shape[1]}x{image.shape[0]} ({image.shape[0] * image.shape[1] / 1e6:.1f} MP)")
    for label, (corner0, corner1) in BOXES.items():
        times = []
        for _ in range(5):
            document = Document(image)
            start = time.perf_counter()
            step = select_object(document, corner0, corner1)
            times.append(time.perf_counter() - start)
        share = document.mask.mean() * 100
        print(f"select {label}: median {statistics.median(times):.3f} s (runs: {', '.join(f'{t:.3f}' for t in times)}); "
              f"{step.label}, mask {share:.1f} % of the photo")


if __name__ == "__main__":
    main()
