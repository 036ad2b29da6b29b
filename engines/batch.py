"""Filling a folder: the one implementation behind ``main.py batch`` and the editor's batch dialog.

Masks come from a folder (matched by file stem), one file for every image, and/or an automatic face-mask region.
A failing file is recorded with one sentence and skipped; the rest go on. Nothing is written into an input folder.
Paired export writes original/, mask/, masked/ and result/ folders with the same stems (for datasets).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.contract import CancelToken, InpaintRequest, InpaintResult, Progress, Work, drive
from engines.errors import Cancelled, InpaintError, InputError
from engines.imageio import IMAGE_SUFFIXES, list_images, load_image, load_mask, save_image, save_mask

Fill = Callable[[InpaintRequest, CancelToken], Work[InpaintResult]]  # one image through an engine (FillService.fill)


@dataclass(frozen=True)
class BatchJob:
    images: Path
    out: Path
    engine: str = "auto"
    domain: str | None = None  # the engine's weight set, for engines with several
    masks: Path | None = None  # a folder (by stem) or one file for all
    face_region: str | None = None  # automatic face mask, added to the mask
    concat: bool = False  # original | mask | result side by side
    paired: bool = False  # original/, mask/, masked/, result/
    seed: int = 0
    device: str = "auto"
    options: dict = field(default_factory=dict)


@dataclass
class BatchReport:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, one sentence)
    cancelled: bool = False

    def summary(self, out: Path) -> str:
        total = len(self.done) + len(self.failed)
        head = f"Filled {len(self.done)} of {total} images into {out}."
        return head + (" Cancelled." if self.cancelled else "")


def mask_finder(masks: Path | None) -> Callable[[Path], Path | None]:
    """A function from an image path to its mask path: one file for all, or the same stem in a folder."""
    if masks is None:
        return lambda image: None
    if masks.is_file():
        return lambda image: masks
    if not masks.is_dir():
        raise InputError(f"Masks {masks}: no such file or folder.")
    by_stem: dict[str, list[Path]] = {}
    for path in list_images(masks):
        by_stem.setdefault(path.stem, []).append(path)

    def find(image: Path) -> Path:
        found = by_stem.get(image.stem, [])
        if len(found) != 1:
            problem = "no mask" if not found else f"{len(found)} masks ({', '.join(p.name for p in found)})"
            raise InputError(f"{problem} named {image.stem}.* in {masks}.")
        return found[0]

    return find


def check_job(job: BatchJob) -> list[Path]:
    """The images to fill; refuses a job that would write into an input folder or has no mask source."""
    if job.masks is None and job.face_region is None:
        raise InputError("Give masks (a folder or one file), an automatic face-mask region, or both.")
    if not job.images.is_dir():
        raise InputError(f"Images {job.images}: no such folder.")
    inputs = [job.images.resolve()]
    if job.masks is not None:
        inputs.append(job.masks.resolve() if job.masks.is_dir() else job.masks.resolve().parent)
    if job.out.resolve() in inputs:
        raise InputError(f"Output {job.out} is an input folder; results are never written into the input folders.")
    files = list_images(job.images)
    if not files:
        raise InputError(f"Images {job.images}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder.")
    return files


def face_mask(rgb: np.ndarray, region: str, cancel: CancelToken | None = None) -> tuple[np.ndarray, tuple[np.ndarray, ...], str]:
    """The region of every face, the faces' landmarks (so face engines need not search again) and a description.
    The search stops with :class:`Cancelled` when ``cancel`` is set."""
    from engines.faces.auto_mask import auto_face_mask, describe

    mask, faces = auto_face_mask(rgb, region, cancel=cancel)
    return mask, tuple(face.landmarks for face in faces), f"{region} region of {describe(faces)}"


def concat(image: np.ndarray, mask: np.ndarray, result: np.ndarray) -> np.ndarray:
    """original | mask | result, side by side."""
    mask_rgb = np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2)
    return np.concatenate([image, mask_rgb, result], axis=1)


def fill_file(fill: Fill, job: BatchJob, image_path: Path, mask_path: Path | None, cancel: CancelToken) -> str:
    loaded = load_image(image_path)
    shape = loaded.rgb.shape[:2]
    mask = load_mask(mask_path, shape) if mask_path else np.zeros(shape, bool)
    faces, note = None, ""
    if job.face_region:
        face_region, faces, note = face_mask(loaded.rgb, job.face_region, cancel)
        mask |= face_region
    request = InpaintRequest(loaded.rgb, mask, None, job.seed, job.device, 1, job.options, faces)
    result = drive(fill(request, cancel))
    if job.paired:
        stem = image_path.stem
        save_image(job.out / "original" / image_path.name, loaded.rgb, loaded.meta)
        save_mask(job.out / "mask" / f"{stem}.png", mask)
        save_image(job.out / "masked" / f"{stem}.png", np.where(mask[..., None], 255, loaded.rgb).astype(np.uint8))
        save_image(job.out / "result" / image_path.name, result.image, loaded.meta)
    elif job.concat:
        save_image(job.out / image_path.name, concat(loaded.rgb, mask, result.image))
    else:
        save_image(job.out / image_path.name, result.image, loaded.meta)
    return ". ".join(filter(None, [note, result.message]))


def run_batch(fill: Fill, job: BatchJob, cancel: CancelToken | None = None) -> Work[BatchReport]:
    """Fill every image of ``job.images`` with ``fill``; yields one progress event per file; returns the report.
    Cancel stops the file in progress too (its face search and its fill), and nothing is written for it."""
    cancel = cancel or CancelToken()
    files = check_job(job)
    find_mask = mask_finder(job.masks)
    for folder in (["original", "mask", "masked", "result"] if job.paired else [""]):
        (job.out / folder).mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    for index, image_path in enumerate(files):
        if cancel.cancelled:
            report.cancelled = True
            break
        try:
            message = fill_file(fill, job, image_path, find_mask(image_path), cancel)
            report.done.append(image_path.name)
        except Cancelled:
            report.cancelled = True
            break
        except InpaintError as error:
            message = str(error)
            report.failed.append((image_path.name, message))
        except Exception as error:  # one broken file must not stop the folder; the report names the error
            message = f"unexpected {type(error).__name__}: {error}"
            report.failed.append((image_path.name, message))
        yield Progress(index + 1, len(files), named(image_path.name, message))
    return report


def named(name: str, reason: str) -> str:
    return reason if reason.startswith(name) else f"{name}: {reason}"
