"""``main.py batch``: fill a folder. A failing file is reported and skipped; the rest go on."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engines import registry
from engines.base import Engine
from engines.contract import InpaintRequest, drive
from engines.errors import InpaintError, InputError
from engines.imageio import IMAGE_SUFFIXES, load_image, load_mask, save_image
from engines.pipeline import inpaint
from cli.fill import face_mask


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def mask_finder(masks: Path):
    """A function from an image path to its mask path: one file for all, or the same stem in a folder."""
    if masks.is_file():
        return lambda image: masks
    if not masks.is_dir():
        raise InputError(f"--masks {masks}: no such file or folder.")
    by_stem: dict[str, list[Path]] = {}
    for path in image_files(masks):
        by_stem.setdefault(path.stem, []).append(path)

    def find(image: Path) -> Path:
        found = by_stem.get(image.stem, [])
        if len(found) != 1:
            problem = "no mask" if not found else f"{len(found)} masks ({', '.join(p.name for p in found)})"
            raise InputError(f"{problem} named {image.stem}.* in {masks}.")
        return found[0]

    return find


def check_folders(images: Path, masks: Path | None, out: Path) -> None:
    if not images.is_dir():
        raise InputError(f"--images {images}: no such folder.")
    inputs = [images.resolve()]
    if masks is not None:
        inputs.append(masks.resolve() if masks.is_dir() else masks.resolve().parent)
    if out.resolve() in inputs:
        raise InputError(f"--out {out} is an input folder; results are never written into the input folders.")


def concat(image: np.ndarray, mask: np.ndarray, result: np.ndarray) -> np.ndarray:
    """original | mask | result, side by side."""
    mask_rgb = np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2)
    return np.concatenate([image, mask_rgb, result], axis=1)


def fill_file(engine: Engine, image_path: Path, mask_path: Path | None, out_path: Path, args: argparse.Namespace, options) -> str:
    loaded = load_image(image_path)
    shape = loaded.rgb.shape[:2]
    mask = load_mask(mask_path, shape) if mask_path else np.zeros(shape, bool)
    faces = None
    if args.auto_face_mask:
        face_region, faces = face_mask(loaded.rgb, args.auto_face_mask, image_path.name)
        mask |= face_region
    request = InpaintRequest(loaded.rgb, mask, None, args.seed, args.device, 1, options, faces)
    result = drive(inpaint(engine, request))
    if args.concat:
        save_image(out_path, concat(loaded.rgb, mask, result.image), None)
    else:
        save_image(out_path, result.image, loaded.meta)
    return result.message


def _named(name: str, reason: str) -> str:
    return reason if reason.startswith(name) else f"{name}: {reason}"


def fill_folder(args: argparse.Namespace, options: dict[str, str]) -> int:
    if not args.masks and not args.auto_face_mask:
        raise InputError("Give --masks, --auto-face-mask REGION, or both.")
    images, out = Path(args.images), Path(args.out)
    masks = Path(args.masks) if args.masks else None
    check_folders(images, masks, out)
    find_mask = mask_finder(masks) if masks else (lambda image: None)
    registry.spec(args.engine).parse_options(options)
    engine = registry.create(args.engine, args.device)
    files = image_files(images)
    if not files:
        raise InputError(f"--images {images}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder.")
    out.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    for image_path in tqdm(files, desc="batch", unit="image", file=sys.stderr, disable=None):
        try:
            fill_file(engine, image_path, find_mask(image_path), out / image_path.name, args, options)
        except InpaintError as error:
            failures.append((image_path.name, str(error)))
        except Exception as error:  # one broken file must not stop the folder; the report names the error
            failures.append((image_path.name, f"unexpected {type(error).__name__}: {error}"))
        else:
            continue
        tqdm.write(f"skipped {_named(*failures[-1])}", file=sys.stderr)
    done = len(files) - len(failures)
    print(f"Filled {done} of {len(files)} images into {out}.")
    for name, reason in failures:
        print(f"  failed: {_named(name, reason)}")
    return 1 if failures else 0
