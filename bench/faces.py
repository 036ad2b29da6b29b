"""Face tools on real photos of people wearing masks (../shared/datasets/masked_faces): how often a face is found
(HOG, then CNN) and the worn-mask region placed, how often the lower face had to be estimated, and the time per
photo of each detector (landmarks included).   Run: python bench/faces.py [FOLDER]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.faces.landmarks import detect_faces  # noqa: E402
from engines.faces.regions import FaceRegion, faces_mask  # noqa: E402
from engines.imageio import IMAGE_SUFFIXES, load_image  # noqa: E402

FOLDER = ROOT.parent / "shared" / "datasets" / "masked_faces"


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    hog_times, cnn_times = [], []
    found = {"hog": 0, "cnn": 0}
    placed = estimated = faces_total = 0
    for path in files:
        rgb = load_image(path).rgb
        start = time.perf_counter()
        faces = detect_faces(rgb, use_cnn=False)
        hog_times.append(time.perf_counter() - start)
        if not faces:
            start = time.perf_counter()
            faces = detect_faces(rgb, use_cnn=True)
            cnn_times.append(time.perf_counter() - start)
        if not faces:
            continue
        found[faces[0].detector] += 1
        faces_total += len(faces)
        estimated += sum(f.estimated for f in faces)
        if faces_mask(rgb.shape[:2], faces, FaceRegion.WORN_MASK).any():
            placed += 1
    n = len(files)
    print(f"{n} photos: a face found in {found['hog'] + found['cnn']} ({100 * (found['hog'] + found['cnn']) / n:.0f} %): "
          f"HOG {found['hog']}, CNN fallback {found['cnn']}; worn-mask region placed in {placed} ({100 * placed / n:.0f} %)")
    print(f"{faces_total} faces, {estimated} with the lower face estimated from the box and eyes")
    print(f"time per photo: HOG + landmarks median {1000 * np.median(hog_times):.0f} ms; "
          f"CNN + landmarks (when HOG found none) median {1000 * np.median(cnn_times) if cnn_times else float('nan'):.0f} ms")


if __name__ == "__main__":
    main()
