"""How the mask rule (engines/mask_file.py) does on real masks and real photos: how many masks it reads as the
hole they hold, and how many photos it refuses. Held out: the masks and photos looked at while the thresholds
were chosen are left out (rebuilt below exactly as they were drawn), except the 60 masked-face photos, all of
which were looked at: their line says so.

    python bench/mask_rule.py [--masks 200] [--photos 150] [--seed 1]

Masks come from ../shared/datasets/masks256/train, in nine forms each: as stored, JPEG q60, antialiased (bilinear
to 61 px), feathered (Gaussian blur 3 px), red, red JPEG, red feathered, dark grey (100), yellow antialiased.
Photos from ../shared/datasets/{scenes/train, faces128/val, masked_faces}, in colour and in grey.
"""
from __future__ import annotations

import argparse
import glob
import io
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engines.errors import InpaintError  # noqa: E402
from engines.mask_file import read_mask  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=60)
    return Image.open(buffer)


def mask_forms(grey: Image.Image) -> dict[str, Image.Image]:
    zero = Image.new("L", grey.size)
    red = Image.merge("RGB", (grey, zero, zero))
    return {"stored": grey, "jpeg": _jpeg(grey), "antialiased": grey.resize((61, 61), Image.Resampling.BILINEAR),
            "feathered": grey.filter(ImageFilter.GaussianBlur(3)), "red": red, "red jpeg": _jpeg(red),
            "red feathered": red.filter(ImageFilter.GaussianBlur(2)), "dark grey": grey.point(lambda v: 100 if v > 127 else 0),
            "yellow antialiased": Image.merge("RGB", (grey, grey, zero)).resize((61, 61), Image.Resampling.BILINEAR)}


def judge(image: Image.Image, truth: np.ndarray | None, folder: Path) -> tuple[str, float]:
    """'read' or 'refused', and for a mask read the share of pixels that differ from the stored hard mask (blur
    and resizing move the edges, so some difference is the form's, not the rule's)."""
    path = folder / "m.png"
    image.save(path)
    try:
        read = read_mask(path, image.size[::-1])
    except InpaintError:
        return "refused", 0.0
    if truth is None:
        return "read", 0.0
    truth = np.asarray(Image.fromarray(truth).resize(image.size, Image.Resampling.NEAREST))
    return "read", float((read.mask != truth).mean())


def seen_while_tuning() -> set[Path]:
    """The files the thresholds were chosen on (drawn then as here, in the directory's own order)."""
    state = random.Random(0)
    masks = state.sample(glob.glob(str(DATA / "masks256" / "train" / "*.png")), 200)
    photos = glob.glob(str(DATA / "scenes" / "train" / "*.jpg"))[:150] + glob.glob(str(DATA / "faces128" / "val" / "*.jpg"))[:150]
    return {Path(p) for p in masks + photos}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=200)
    parser.add_argument("--photos", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seen = seen_while_tuning()
    masks = sorted(set((DATA / "masks256" / "train").glob("*.png")) - seen)
    photos = {name: sorted(set((DATA / name).glob("*.jpg")) - seen) for name in ("scenes/train", "faces128/val", "masked_faces")}
    counts: dict[str, dict[str, int]] = {}
    differences: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for path in rng.sample(masks, min(args.masks, len(masks))):
            grey = Image.open(path).convert("L")
            truth = np.asarray(grey) > 127
            for form, image in mask_forms(grey).items():
                verdict, difference = judge(image, truth, Path(folder))
                differences.setdefault(f"mask, {form}", []).append(difference)
                counts.setdefault(f"mask, {form}", {}).setdefault(verdict, 0)
                counts[f"mask, {form}"][verdict] += 1
        for name, files in photos.items():
            label = f"{name} (all seen while tuning)" if name == "masked_faces" else name
            for path in rng.sample(files, min(args.photos, len(files))):
                image = Image.open(path).convert("RGB")
                for form, shown in (("colour", image), ("grey", image.convert("L"))):
                    verdict, _ = judge(shown, None, Path(folder))
                    counts.setdefault(f"photo, {label}, {form}", {}).setdefault(verdict, 0)
                    counts[f"photo, {label}, {form}"][verdict] += 1
    for name, verdicts in counts.items():
        total = sum(verdicts.values())
        line = f"{name:55s} {total:4d}  " + "  ".join(f"{k} {v} ({100 * v / total:.0f} %)" for k, v in sorted(verdicts.items()))
        if name in differences:
            share = 100 * np.array(differences[name])
            line += f"   pixels unlike the hard mask: mean {share.mean():.2f} %, max {share.max():.2f} %"
        print(line)


if __name__ == "__main__":
    main()
