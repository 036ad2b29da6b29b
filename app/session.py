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
    """The document and settings of a session file; anything damaged, foreign or inconsistent (layers of other
    sizes, undo steps outside the image) is one ImageFileError naming the file, never a later crash."""
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"{path.name}: is a folder, not a session file.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(str(arrays["header"]))
        if header.get("format") != FORMAT_VERSION:
            raise ImageFileError(f"{path.name}: session format {header.get('format')} is not supported.")
        document = _document(arrays, header)
        if not isinstance(header["settings"], dict):
            raise TypeError("settings")
    except ImageFileError:
        raise
    except FileNotFoundError:
        raise ImageFileError(f"{path.name}: no such file.") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, IndexError, zipfile.BadZipFile) as error:
        raise ImageFileError(f"{path.name}: not a readable session file ({type(error).__name__}).") from None
    return document, header["settings"]


def _document(arrays: dict[str, np.ndarray], header: dict) -> Document:
    original = _checked(arrays["original"], None, np.uint8, "original")
    h, w = original.shape[:2]
    meta = ImageMeta(
        mode=str(header["mode"]),
        alpha=_checked(arrays["alpha"], (h, w), np.uint8, "alpha") if "alpha" in arrays else None,
        exif=arrays["exif"].tobytes() or None,
        icc=arrays["icc"].tobytes() or None,
        grey16=_checked(arrays["grey16"], (h, w), np.uint16, "grey16") if "grey16" in arrays else None,
    )
    document = Document(original, meta, Path(header["path"]) if header["path"] else None)
    for layer in Layer:
        document.layer(layer)[...] = _checked(arrays[layer.value], document.layer(layer).shape, document.layer(layer).dtype,
                                              layer.value)
    for entry in header["steps"]:
        if entry["stack"] not in ("undo", "redo"):
            raise ValueError(f"stack {entry['stack']!r}")
        patches = tuple(_patch(document, p, arrays) for p in entry["patches"])
        getattr(document.history, entry["stack"]).append(Step(str(entry["label"]), patches))
    return document


def _patch(document: Document, entry: dict, arrays: dict[str, np.ndarray]) -> Patch:
    layer = Layer(entry["layer"])
    y0, y1, x0, x1 = (int(v) for v in entry["box"])
    h, w = document.shape
    if not (0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w):
        raise IndexError(f"undo step outside the image: {entry['box']}")
    target = document.layer(layer)[y0:y1, x0:x1]
    before, after = (_checked(arrays[entry["key"] + part], target.shape, target.dtype, entry["key"]) for part in ("_before", "_after"))
    return Patch(layer, (y0, y1, x0, x1), before, after)


def _checked(array: np.ndarray, shape: tuple | None, dtype, name: str) -> np.ndarray:
    if shape is None and (array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 1):
        raise ValueError(f"{name} is not an H x W x 3 image")
    if (shape is not None and array.shape != tuple(shape)) or array.dtype != dtype:
        raise ValueError(f"{name} is {array.shape} {array.dtype}, expected {shape} {np.dtype(dtype)}")
    return array
