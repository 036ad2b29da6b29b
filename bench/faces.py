"""Face search and worn-mask placement on real photos of people wearing masks (../shared/datasets/masked_faces),
side by side with the method before issue 16 (dlib HOG, HOG at a lower threshold, then dlib's CNN at upsample 1;
the region: the jaw outline up to the nose bridge, grown by 5 % of the face) and with the region found by colours
alone (no segmenter: engines/faces/worn_mask_net.py), in the same run:
- how many photos get a face and a worn-mask region, which miss, and the time per photo (search + region);
- on the photos with hand-drawn masks (tests/engines/faces/worn_masks.json): the share of the drawn mask covered
  and the eye points covered;
- agreement of the region with Algorithm-1 training holes (issue 18 item 2): the share of an Algorithm-1 hole
  outside the region, on the 60 real photos (each style placed on the face's own landmarks) and on Algorithm-1
  masked faces (faces128 val, 256 px: the face is searched for on the masked image, as in use).
Run: python bench/faces.py [--limit N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.faces import FaceRegion  # noqa: E402
from engines.faces.algorithm1 import MaskStyle, load_template, place_template, put_mask  # noqa: E402
from engines.faces.detectors import cnn_candidates, hog_candidates, make_view  # noqa: E402
from engines.faces.landmarks import fit_landmarks  # noqa: E402
from engines.faces.regions import faces_mask  # noqa: E402
from engines.faces.search import detect_faces  # noqa: E402
from engines.faces.worn_mask import worn_mask_region  # noqa: E402
from engines.faces.worn_mask_net import load_segmenter  # noqa: E402
from engines.imageio import list_images, load_image  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
DRAWN = ROOT / "tests" / "engines" / "faces" / "worn_masks.json"


def old_faces(rgb: np.ndarray) -> list:
    view = make_view(rgb, 1024)
    found = hog_candidates(view, 1) or cnn_candidates(view, 1)
    return [fit_landmarks(rgb, candidate) for candidate in found]


def old_region(rgb: np.ndarray, faces) -> np.ndarray:
    mask = np.zeros(rgb.shape[:2], np.uint8)
    for face in faces:
        p = face.landmarks
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(np.vstack([p[1:16], p[28:29]])).astype(np.int32)), 1)
        margin = round(0.05 * face.size)
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1,) * 2))
    return mask.astype(bool)


def new_region(rgb: np.ndarray, faces) -> np.ndarray:
    return faces_mask(rgb, faces, FaceRegion.WORN_MASK)


def colour_region(rgb: np.ndarray, faces) -> np.ndarray:
    return np.logical_or.reduce([worn_mask_region(rgb, face.landmarks, segmenter=False) for face in faces])


METHODS = {"before": (old_faces, old_region), "colours": (lambda rgb: detect_faces(rgb), colour_region),
           "after": (lambda rgb: detect_faces(rgb), new_region)}


def outside(hole: np.ndarray, region: np.ndarray) -> float:
    return float((hole & ~region).sum() / max(1, hole.sum()))


def real_photos(limit: int | None) -> None:
    files = list_images(DATA / "masked_faces")[:limit]
    drawn = json.loads(DRAWN.read_text())
    templates = [load_template(style) for style in MaskStyle]
    stats = {name: {"found": 0, "missed": [], "times": [], "drawn": [], "eyes": 0, "a1": []} for name in METHODS}
    for path in files:
        rgb = load_image(path).rgb
        for name, (find, place) in METHODS.items():
            start = time.perf_counter()
            faces = find(rgb)
            region = place(rgb, faces) if faces else np.zeros(rgb.shape[:2], bool)
            stats[name]["times"].append(time.perf_counter() - start)
            if not region.any():
                stats[name]["missed"].append(path.name)
                continue
            stats[name]["found"] += 1
            for face in faces:
                for template in templates:
                    stats[name]["a1"].append(outside(place_template(rgb.shape[:2], face.landmarks, template)[0][..., 3] > 0, region))
            if path.name in drawn:
                want = np.zeros(rgb.shape[:2], np.uint8)
                cv2.fillPoly(want, [np.array(drawn[path.name]["mask"], np.int32)], 1)
                stats[name]["drawn"].append((region & want.astype(bool)).sum() / want.sum())
                stats[name]["eyes"] += sum(bool(region[y, x]) for x, y in drawn[path.name]["eyes"])
    n = len(files)
    print(f"{n} real masked photos (the times share these 2 cores with other work: compare the columns); after: "
          + ("with the segmenter" if load_segmenter() else "no segmenter weights, so the same method as colours"))
    for name, s in stats.items():
        print(f"  {name:7}: face and region in {s['found']} ({100 * s['found'] / n:.0f} %), median {1000 * np.median(s['times']):.0f} ms, "
              f"90th percentile {1000 * np.percentile(s['times'], 90):.0f} ms per photo")
        print(f"          missed: {', '.join(s['missed']) or 'none'}")
        if s["drawn"]:
            print(f"          hand-drawn masks covered: {', '.join(f'{100 * c:.1f} %' for c in s['drawn'])}; "
                  f"eye points covered: {s['eyes']}")
        if s["a1"]:
            print(f"          Algorithm-1 holes on the found faces: {100 * np.mean(s['a1']):.1f} % outside the region "
                  f"(worst {100 * max(s['a1']):.1f} %)")


def algorithm1_faces(limit: int | None) -> None:
    """Algorithm-1 masks put on held-out faces whose landmarks dlib finds unmasked; then searched for masked."""
    files = list_images(DATA / "faces128" / "val")[: limit or 60]
    templates = [load_template(style) for style in MaskStyle]
    shares = {name: [] for name in METHODS}
    missed = {name: 0 for name in METHODS}
    for index, path in enumerate(files):
        rgb = np.ascontiguousarray(cv2.resize(load_image(path).rgb, (256, 256), interpolation=cv2.INTER_CUBIC))
        clean = detect_faces(rgb, quick=True)
        if not clean:
            continue
        masked, _, _ = put_mask(rgb, clean[0].landmarks, templates[index % 3])
        touched = (place_template(rgb.shape[:2], clean[0].landmarks, templates[index % 3])[0][..., 3] > 0)
        for name, (find, place) in METHODS.items():
            faces = find(masked)
            if not faces:
                missed[name] += 1
                shares[name].append(1.0)
                continue
            shares[name].append(outside(touched, place(masked, faces)))
    print(f"{len(shares['after'])} Algorithm-1 masked faces (faces128 val at 256 px; styles in turn)")
    for name in METHODS:
        s = np.array(shares[name])
        print(f"  {name:7}: mask pixels outside the region: mean {100 * s.mean():.1f} %, median {100 * np.median(s):.1f} %, "
              f"faces not found {missed[name]} (counted as 100 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="photos of each set")
    args = parser.parse_args()
    if not (DATA / "masked_faces").is_dir():
        sys.exit(f"needs {DATA / 'masked_faces'}")
    real_photos(args.limit)
    algorithm1_faces(args.limit)


if __name__ == "__main__":
    main()
