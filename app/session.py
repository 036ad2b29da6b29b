"""Session files: the whole document (image, original, mask, sketch, undo history) plus editor settings.

One ``.inpaint`` file is a numpy ``.npz`` archive (read with ``allow_pickle=False``: no pickle is ever
loaded). Written atomically, so an autosave interrupted by a crash leaves the previous one intact.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from app.document import Document, Layer, Patch, Step
from engines.errors import ImageFileError
from engines.imageio import ImageMeta, write_atomic

SUFFIX = ".inpaint"
FORMAT_VERSION = 1


def _bytes_array(data: bytes | None) -> np.ndarray:
    return np.frombuffer(data or b"", np.uint8)


def session_bytes(document: Document, settings: dict[str, Any]) -> bytes:
    """Everything needed to reopen ``document`` as it is, as the bytes of one archive."""
    arrays: dict[str, np.ndarray] = {
        "image": document.image,
        "original": document.original,
        "mask": document.mask,
        "sketch": document.sketch,
        "exif": _bytes_array(document.meta.exif),
        "icc": _bytes_array(document.meta.icc),
    }
    if document.meta.alpha is not None:
        arrays["alpha"] = document.meta.alpha
    if document.meta.grey16 is not None:
        arrays["grey16"] = document.meta.grey16
    steps = []
    for kind, stack in (("undo", document.history.undo), ("redo", document.history.redo)):
        for i, step in enumerate(stack):
            patches = []
            for j, patch in enumerate(step.patches):
                key = f"{kind}{i}_{j}"
                arrays[key + "_before"], arrays[key + "_after"] = patch.before, patch.after
                patches.append({"key": key, "layer": patch.layer.value, "box": list(patch.box)})
            steps.append({"stack": kind, "label": step.label, "patches": patches})
    header = {
        "format": FORMAT_VERSION,
        "path": str(document.path) if document.path else None,
        "mode": document.meta.mode,
        "settings": settings,
        "steps": steps,
    }
    arrays["header"] = np.array(json.dumps(header))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def is_session_file(path: str | os.PathLike) -> bool:
    """A session by its content, whatever its name: an archive holding a session header."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "header.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def session_photo(path: str | os.PathLike) -> str | None:
    """The file name of the photo a session holds (None for a pasted image), read without loading the images."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            photo = json.loads(str(archive["header"]))["path"]
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        raise ImageFileError(f"{Path(path).name}: not a readable session file.") from None
    return Path(photo).name if photo else None


def save_session(path: str | os.PathLike, document: Document, settings: dict[str, Any]) -> None:
    write_atomic(path, session_bytes(document, settings))


def load_session(path: str | os.PathLike) -> tuple[Document, dict[str, Any]]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(str(arrays["header"]))
        if header.get("format") != FORMAT_VERSION:
            raise ImageFileError(f"{path.name}: session format {header.get('format')} is not supported.")
        meta = ImageMeta(
            mode=header["mode"],
            alpha=arrays.get("alpha"),
            exif=arrays["exif"].tobytes() or None,
            icc=arrays["icc"].tobytes() or None,
            grey16=arrays.get("grey16"),
        )
        document = Document(arrays["original"], meta, Path(header["path"]) if header["path"] else None)
        document.image[...] = arrays["image"]
        document.mask[...] = arrays["mask"]
        document.sketch[...] = arrays["sketch"]
        for entry in header["steps"]:
            patches = tuple(
                Patch(Layer(p["layer"]), tuple(p["box"]), arrays[p["key"] + "_before"], arrays[p["key"] + "_after"])
                for p in entry["patches"]
            )
            getattr(document.history, entry["stack"]).append(Step(entry["label"], patches))
    except ImageFileError:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise ImageFileError(f"{path.name}: not a readable session file ({type(error).__name__}).") from None
    return document, header["settings"]
