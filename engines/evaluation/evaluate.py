"""``main.py eval``: fill held-out images with masks from each hole-ratio bin, through the same pipeline the
editor uses, and tabulate L1, PSNR and SSIM per bin for each engine, Telea always alongside as the baseline.

With --perceptual: the VGG feature distance in the hole (engines/evaluation/perceptual.py), which does not favour
blur as PSNR and SSIM do. Every row also gives the mean seconds per fill (the whole pipeline, on this machine).
With faces: the share of results in which dlib's HOG detector still finds a face, and the identity distance
(dlib's 128-d face embedding; the same person is below 0.6) between each result and its original.
An engine may add figures of its own through ``engine.diagnostics(original, mask) -> {name: value}`` (CFS: the
sketch generator's binary accuracy in the hole); they are averaged into extra columns.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from engines import registry
from engines.base import Engine
from engines.contract import InpaintRequest, Progress, Work, drive
from engines.data.bank import image_files
from engines.data.masks import BINS, bin_label, bin_of, load_mask_file, mask_index
from engines.errors import InputError
from engines.evaluation.metrics import l1, psnr, ssim
from engines.evaluation.perceptual import HoleDistance
from engines.imageio import load_image
from engines.pipeline import inpaint


@dataclass
class Row:
    engine: str
    bin: str
    count: int = 0
    l1: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    face_found: list[bool] = field(default_factory=list)
    identity: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict:
        mean = lambda v: float(np.mean(v)) if v else None  # noqa: E731
        out = {"engine": self.engine, "bin": self.bin, "count": len(self.l1), "l1_percent": mean([x * 100 for x in self.l1]),
               "psnr": mean(self.psnr), "ssim": mean(self.ssim)}
        if self.face_found:
            out["face_found_percent"] = 100 * mean(self.face_found)
            out["identity_distance"] = mean(self.identity)
        out.update({name: mean(values) for name, values in self.extra.items()})
        return out


def masks_by_bin(folder: Path, size: int, per_bin: int) -> dict[str, list[np.ndarray]]:
    """The first ``per_bin`` masks of each hole-ratio bin, with ratios measured at ``size``."""
    chosen: dict[str, list[np.ndarray]] = {bin_label(*b): [] for b in BINS}
    for path, listed_ratio in mask_index(folder):
        if listed_ratio is not None and bin_of(listed_ratio) is None:
            continue
        mask = load_mask_file(path, size)
        ratio = float(mask.mean())
        for low, high in BINS:
            if low <= ratio < high and len(chosen[bin_label(low, high)]) < per_bin:
                chosen[bin_label(low, high)].append(mask)
        if all(len(v) == per_bin for v in chosen.values()):
            break
    return chosen


def _square(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    side = min(h, w)
    image = image[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) if side != size else np.ascontiguousarray(image)


class FaceCheck:
    """dlib (through face_recognition): is a face still found, and how far is its identity from the original's."""

    def __init__(self) -> None:
        with warnings.catch_warnings():  # face_recognition_models still imports the deprecated pkg_resources
            warnings.simplefilter("ignore", UserWarning)
            import face_recognition

        self.fr = face_recognition

    def __call__(self, original: np.ndarray, result: np.ndarray) -> tuple[bool, float | None]:
        found = bool(self.fr.face_locations(result, number_of_times_to_upsample=1))
        boxes = self.fr.face_locations(original, number_of_times_to_upsample=1) or [(0, original.shape[1], original.shape[0], 0)]
        before = self.fr.face_encodings(original, boxes[:1])
        after = self.fr.face_encodings(result, boxes[:1])
        distance = float(np.linalg.norm(before[0] - after[0])) if before and after else None
        return found, distance


def evaluate(engines: dict[str, Engine], images: Path, masks: Path | Mapping[str, list[np.ndarray]], size: int = 128,
             limit: int = 100, per_bin: int = 25, faces: bool = False, perceptual: bool = False) -> Work[list[dict]]:
    """Each image gets one mask of every bin (cycling through the bin's masks); yields progress; returns rows.
    ``masks``: a folder, binned by hole ratio, or masks already grouped under labels (thin masks: scratches, text)."""
    files = image_files(images, limit)
    bins = masks_by_bin(masks, size, per_bin) if isinstance(masks, Path) else dict(masks)
    empty = [name for name, masks_of_bin in bins.items() if not masks_of_bin]
    if empty:
        raise InputError(f"{masks}: no masks in the bins {', '.join(empty)}")
    face_check = FaceCheck() if faces else None
    distance = HoleDistance() if perceptual else None
    rows = {(e, b): Row(e, b) for e in engines for b in bins}
    total = len(files) * len(bins) * len(engines)
    done = 0
    for i, path in enumerate(files):
        original = _square(load_image(path).rgb, size)
        for label, masks_of_bin in bins.items():
            mask = masks_of_bin[i % len(masks_of_bin)]
            for name, engine in engines.items():
                start = time.perf_counter()
                result = drive(inpaint(engine, InpaintRequest(original, mask, seed=i))).image
                rows[name, label].extra.setdefault("s_per_fill", []).append(time.perf_counter() - start)
                _score(rows[name, label], original, result, mask, face_check, distance)
                for key, value in getattr(engine, "diagnostics", lambda *_: {})(original, mask).items():
                    rows[name, label].extra.setdefault(key, []).append(value)
                done += 1
                yield Progress(done, total, f"{path.name} {label} {name}")
    return [row.summary() for row in rows.values()]


def evaluate_face_masks(engines: dict[str, Engine], images: Path, landmarks: Path, size: int = 128, limit: int = 100,
                        faces: bool = True, perceptual: bool = False) -> Work[list[dict]]:
    """Each face gets an Algorithm-1 face mask (style cycling, seeded variation); the engines fill the photo with
    the mask on it, and the results are compared with the face without it."""
    from engines.faces.algorithm1 import MaskStyle, load_template, put_mask, vary
    from engines.faces.landmark_cache import read_landmarks, to_square

    known = read_landmarks(landmarks)
    files = [p for p in image_files(images) if p.name in known][:limit]
    if not files:
        raise InputError(f"no image of {images} has landmarks in {landmarks}")
    templates = [load_template(style) for style in MaskStyle]
    face_check = FaceCheck() if faces else None
    distance = HoleDistance() if perceptual else None
    rows = {e: Row(e, "face mask") for e in engines}
    rng = np.random.default_rng(0)
    for i, path in enumerate(files):
        original = _square(load_image(path).rgb, size)
        points, shape = known[path.name]
        points = to_square(points, shape, size)
        masked, hole, _ = put_mask(original, points, vary(templates[i % len(templates)], rng))
        for name, engine in engines.items():  # the face was found before its mask went on, as the auto mask does
            result = drive(inpaint(engine, InpaintRequest(masked, hole, seed=i, faces=(points,)))).image
            _score(rows[name], original, result, hole, face_check, distance)
            yield Progress(i * len(engines) + list(engines).index(name) + 1, len(files) * len(engines), f"{path.name} {name}")
    return [row.summary() for row in rows.values()]


def _score(row: Row, original: np.ndarray, result: np.ndarray, mask: np.ndarray, face_check: FaceCheck | None,
           distance: HoleDistance | None) -> None:
    row.l1.append(l1(result, original))
    row.psnr.append(psnr(result, original))
    row.ssim.append(ssim(result, original))
    if distance is not None:
        row.extra.setdefault("vgg_hole_l1", []).append(distance(original, result, mask))
    if face_check is not None:
        found, distance = face_check(original, result)
        row.face_found.append(found)
        if distance is not None:
            row.identity.append(distance)


def format_table(rows: list[dict]) -> str:
    columns = [("bin", "hole"), ("engine", "engine"), ("count", "n"), ("l1_percent", "L1 %"), ("psnr", "PSNR"), ("ssim", "SSIM")]
    if any("face_found_percent" in r for r in rows):
        columns += [("face_found_percent", "face found %"), ("identity_distance", "identity dist")]
    standard = {"engine", "bin", "count", "l1_percent", "psnr", "ssim", "face_found_percent", "identity_distance"}
    columns += [(key, key.replace("_", " ")) for key in dict.fromkeys(k for r in rows for k in r if k not in standard)]
    cells = [[title for _, title in columns]]
    for row in sorted(rows, key=lambda r: (r["bin"], r["engine"] != "telea", r["engine"])):
        cells.append([f"{row.get(key):.3f}" if isinstance(row.get(key), float) else str(row.get(key, "")) for key, _ in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths)] + lines[1:])


def engines_for(names: list[str], device: str, weights: dict[str, Path] | None = None, domain: str | None = None) -> dict[str, Engine]:
    """Telea first (the baseline), then each named engine (from a staged weights folder when given; in ``domain``
    for engines with several weight sets)."""
    chosen = {"telea": registry.create("telea")}
    for name in names:
        if name != "telea":
            folder = (weights or {}).get(name)
            chosen[name] = registry.create(name, device, weights_dir=folder, domain=domain if registry.spec(name).domains else None)
    return chosen
