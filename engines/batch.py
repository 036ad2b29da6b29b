"""Filling a folder: the one implementation behind ``main.py batch`` and the editor's batch dialog.

Masks come from a folder, one file for every image, files beside the photos (engines/batch_masks.py), and/or an
automatic face-mask region. A failing file is recorded with one sentence and skipped; the rest go on. The job is
checked before any work: nothing is written into an input folder, no output replaces an input file, and the
output folder must be writable. Paired export writes original/, mask/, masked/ and result/ folders with the same
stems (for datasets).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.batch_masks import BatchInputs, batch_inputs
from engines.contract import CancelToken, InpaintRequest, InpaintResult, Progress, Work, drive
from engines.errors import Cancelled, InpaintError, InputError
from engines.imageio import (IMAGE_SUFFIXES, check_output, check_writable_folder, load_image, real_path,
                             refuse_overwriting, remove_leftovers, save_image, save_mask)
from engines.mask_file import read_mask, require_hole

Fill = Callable[[InpaintRequest, CancelToken], Work[InpaintResult]]  # one image through an engine (FillService.fill)

PAIRED_FOLDERS = ("original", "mask", "masked", "result")


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
    masks_beside: list[str] = field(default_factory=list)  # mask files among the photos, used as masks, not filled
    total: int = 0  # photos in the job (a cancelled or interrupted batch did not reach them all)

    def summary(self, out: Path) -> str:
        total = max(self.total, len(self.done) + len(self.failed))
        head = f"Filled {len(self.done)} of {total} images into {out}."
        if self.masks_beside:
            head += f" {len(self.masks_beside)} mask files beside the photos were used as masks, not filled."
        return head + (" Cancelled." if self.cancelled else "")


def check_job(job: BatchJob) -> BatchInputs:
    """The photos and their masks, once the job is known to be safe: no output folder is an input folder, two
    photos never write the same paired file, and the output folder can be written. Nothing is written yet."""
    inputs = batch_inputs(job.images, job.masks, mask_required=job.face_region is None)
    if not inputs.photos:
        raise InputError(f"Images {job.images}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder.")
    if job.out.exists() and not job.out.is_dir():
        raise InputError(f"Output {job.out}: is a file, not a folder; give a folder for the results.")
    read_from = {real_path(folder) for folder in inputs.folders}
    for folder in output_folders(job):
        if real_path(folder) in read_from:
            raise InputError(f"Output {folder} is an input folder; results are never written into the input folders.")
    if job.paired:
        by_stem: dict[str, list[str]] = {}
        for photo in inputs.photos:
            by_stem.setdefault(photo.stem, []).append(photo.name)
        for names in by_stem.values():
            if len(names) > 1:
                raise InputError(f"{' and '.join(names)} have the same name before the extension, and paired export "
                                 "names the mask/ and masked/ files by it; rename one of them.")
    return inputs


def output_folders(job: BatchJob) -> list[Path]:
    return [job.out] + ([job.out / folder for folder in PAIRED_FOLDERS] if job.paired else [])


def make_output_folders(job: BatchJob) -> None:
    """Create (or reuse) the output folders, check they can be written, and clear what a killed run left there."""
    for folder in output_folders(job):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"Output {folder}: cannot create this folder ({error.strerror or error}).") from None
        check_writable_folder(folder)
        remove_leftovers(folder)


def face_mask(rgb: np.ndarray, region: str, cancel: CancelToken | None = None, beside_mask: bool = False
              ) -> tuple[np.ndarray, tuple[np.ndarray, ...], str]:
    """The region of every face, the faces' landmarks (so face engines need not search again) and a description.
    The search stops with :class:`Cancelled` when ``cancel`` is set. ``beside_mask``: a mask was given too, so a
    photo where no face is found adds nothing and says so, instead of failing (the mask given is filled alone)."""
    from engines.faces.auto_mask import NO_FACE, auto_face_mask, describe

    try:
        mask, faces = auto_face_mask(rgb, region, cancel=cancel)
    except InputError as error:
        if not beside_mask:
            raise
        why = "no face found" if str(error) == NO_FACE else str(error).rstrip(".")
        return np.zeros(rgb.shape[:2], bool), (), f"{why}: the mask given is filled alone"
    return mask, tuple(face.landmarks for face in faces), f"{region} region of {describe(faces)}"


def concat(image: np.ndarray, mask: np.ndarray, result: np.ndarray) -> np.ndarray:
    """original | mask | result, side by side."""
    mask_rgb = np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2)
    return np.concatenate([image, mask_rgb, result], axis=1)


def outputs_of(job: BatchJob, image_path: Path) -> list[Path]:
    if job.paired:
        stem = image_path.stem
        return [job.out / "original" / image_path.name, job.out / "mask" / f"{stem}.png",
                job.out / "masked" / f"{stem}.png", job.out / "result" / image_path.name]
    return [job.out / image_path.name]


def fill_file(fill: Fill, job: BatchJob, image_path: Path, mask_path: Path | None, cancel: CancelToken) -> str:
    outputs = outputs_of(job, image_path)
    refuse_overwriting(outputs, [image_path] + ([mask_path] if mask_path else []))
    loaded = load_image(image_path)
    shape = loaded.rgb.shape[:2]
    for path in outputs:
        check_output(path, (shape[0], shape[1] * 3) if job.concat and not job.paired else shape)
    mask, notes = np.zeros(shape, bool), []
    if mask_path:
        read = read_mask(mask_path, shape)
        mask, notes = read.mask.copy(), [read.note.removesuffix(".")]
    faces = None
    if job.face_region:
        face_region, faces, note = face_mask(loaded.rgb, job.face_region, cancel, beside_mask=mask_path is not None)
        mask |= face_region
        notes.append(note)
    require_hole(mask, mask_path.name if mask_path else image_path.name)
    request = InpaintRequest(loaded.rgb, mask, None, job.seed, job.device, 1, job.options, faces)
    result = drive(fill(request, cancel))
    if job.paired:
        original, mask_file, masked, filled = outputs
        save_image(original, loaded.rgb, loaded.meta)
        save_mask(mask_file, mask)
        save_image(masked, np.where(mask[..., None], 255, loaded.rgb).astype(np.uint8))
        save_image(filled, result.image, loaded.meta)
    elif job.concat:
        save_image(outputs[0], concat(loaded.rgb, mask, result.image))
    else:
        save_image(outputs[0], result.image, loaded.meta)
    return ". ".join(filter(None, [*notes, result.message]))


def run_batch(fill: Fill, job: BatchJob, cancel: CancelToken | None = None,
              report: BatchReport | None = None) -> Work[BatchReport]:
    """Fill every image of ``job.images`` with ``fill``; yields one progress event per file; returns the report
    (``report``, when given, is filled in as files finish, so that an interrupted caller still knows what was
    written). Cancel stops the file in progress too (its face search and its fill), and nothing is written for it."""
    cancel = cancel or CancelToken()
    inputs = check_job(job)
    make_output_folders(job)
    report = report if report is not None else BatchReport()
    report.masks_beside = [p.name for p in inputs.masks_beside]
    files = inputs.photos
    report.total = len(files)
    for index, image_path in enumerate(files):
        if cancel.cancelled:
            report.cancelled = True
            break
        try:
            message = fill_file(fill, job, image_path, inputs.find(image_path), cancel)
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
