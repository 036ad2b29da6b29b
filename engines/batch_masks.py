"""Which file is the mask of which photo in a batch, wherever people keep their masks.

- ``--masks FILE``: that mask for every photo (and the file is never filled itself).
- ``--masks DIR`` (another folder): ``photo.*``, ``photo_mask.*``, ``photo.mask.*`` or ``photo-mask.*`` there.
- No ``--masks``, or the photos' own folder: ``photo_mask.*``, ``photo.mask.*`` or ``photo-mask.*`` beside the
  photo, or ``photo.*`` (or a mask name) in a ``masks/`` or ``mask/`` folder beside the photos.

A photo is never its own or another photo's mask. Files named like masks are not filled when they sit beside
their photo; a folder where no file has its photo (say, pictures of face masks named ``cloth_mask.jpg``) is all
photos.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engines.errors import InputError
from engines.imageio import list_images

MASK_NAME_ENDINGS = ("_mask", ".mask", "-mask")
MASK_FOLDERS = ("masks", "mask")


def photo_stem(path: Path) -> str | None:
    """``photo`` for ``photo_mask.png``, ``photo.mask.png`` or ``photo-mask.png``; None for other names."""
    stem = path.stem
    for ending in MASK_NAME_ENDINGS:
        if stem.lower().endswith(ending) and len(stem) > len(ending):
            return stem[: -len(ending)]
    return None


@dataclass(frozen=True)
class BatchInputs:
    photos: list[Path]  # what will be filled
    masks_beside: list[Path]  # mask files among the photos: used as masks, never filled
    folders: list[Path]  # every folder masks or photos are read from: never written into
    find: Callable[[Path], Path | None]  # a photo's mask file, None when it has none


def batch_inputs(images: Path, masks: Path | None, mask_required: bool) -> BatchInputs:
    """The photos of ``images`` and how to find each one's mask (``mask_required``: no face mask to fall back on)."""
    if images.is_file():
        raise InputError(f"Images {images}: is a file; give the folder that holds the photos.")
    if not images.is_dir():
        raise InputError(f"Images {images}: no such folder.")
    if masks is not None and not masks.exists():
        raise InputError(f"Masks {masks}: no such file or folder.")
    files = list_images(images)
    stems = {f.stem for f in files}
    named = [f for f in files if photo_stem(f) is not None]
    beside = named if any(photo_stem(f) in stems for f in named) else []
    not_photos = {p.resolve() for p in beside} | ({masks.resolve()} if masks is not None and masks.is_file() else set())
    photos = [f for f in files if f.resolve() not in not_photos]
    if masks is not None and masks.is_file():
        return BatchInputs(photos, beside, [images, masks.parent], lambda photo: masks)
    if masks is not None and masks.resolve() != images.resolve():
        sources = [(masks, True)]
    else:
        sources = [(images, False)] + [(images / name, True) for name in MASK_FOLDERS if (images / name).is_dir()]
    masks_of = _masks_by_stem(sources, {p.resolve() for p in photos})
    if masks is None and mask_required and photos and not any(p.stem in masks_of for p in photos):
        raise InputError(f"No masks found for the photos in {images}: give a folder of masks or one mask file, put "
                         "photo_mask.png beside each photo or photo.png in a masks/ folder, or use an automatic face mask.")
    where = " or ".join(str(folder) for folder, _ in sources)

    def find(photo: Path) -> Path | None:
        found = masks_of.get(photo.stem, [])
        if len(found) > 1:
            raise InputError(f"{len(found)} masks for {photo.name} ({', '.join(p.name for p in found)}); keep one.")
        if not found and mask_required:
            raise InputError(f"no mask named {photo.stem}.* (or {photo.stem}_mask.*, {photo.stem}.mask.*, "
                             f"{photo.stem}-mask.*) in {where}.")
        return found[0] if found else None

    return BatchInputs(photos, beside, [images] + [folder for folder, _ in sources], find)


def _masks_by_stem(sources: list[tuple[Path, bool]], photos: set[Path]) -> dict[str, list[Path]]:
    """Photo stem -> mask files. ``sources``: (folder, whether a file named exactly like the photo is its mask
    there: yes in a folder of masks, no beside the photos)."""
    by_stem: dict[str, list[Path]] = {}
    for folder, exact in sources:
        for path in list_images(folder):
            if path.resolve() in photos:
                continue  # never a photo as a mask
            stems = {photo_stem(path), path.stem if exact else None} - {None}
            for stem in stems:
                by_stem.setdefault(stem, []).append(path)
    return by_stem
