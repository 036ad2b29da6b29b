"""Reading and writing images, masks and sketches: every format quirk is handled here and nowhere else.

On load: EXIF orientation is applied; grey, palette, LA, RGBA, 16-bit and CMYK become RGB uint8, with the
alpha channel, EXIF, ICC profile and 16-bit grey values kept aside in :class:`ImageMeta` so that a save
restores them where the output format allows. Writes are atomic (temp file + rename); a write that fails, or a
process killed while writing, changes nothing, and the hidden ``.part`` file a kill leaves is removed the next
time the same file is written. What a format cannot hold (a WebP over 16383 px, ...) is refused before any work.
"""
from __future__ import annotations

import glob
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from engines.errors import ImageFileError, InputError

DEFAULT_MAX_PIXELS = 150_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
_ALPHA_FORMATS = {"PNG", "WEBP", "TIFF"}
_EXIF_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF"}
_MAX_SIDE = {"WEBP": 16383, "JPEG": 65500}  # what the encoders can write (libwebp, libjpeg)

# Pillow's own bomb check is replaced by ours in open_image, which reads the size from the header and refuses
# before anything is decoded, with a limit the user can set (INPAINT_MAX_PIXELS).
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class ImageMeta:
    """What the RGB array alone does not carry. ``grey16`` holds the original 16-bit grey values, if any."""

    mode: str = "RGB"
    alpha: np.ndarray | None = None
    exif: bytes | None = None
    icc: bytes | None = None
    grey16: np.ndarray | None = None


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray  # H x W x 3 uint8
    meta: ImageMeta


def pixel_limit() -> int:
    """The largest image accepted before decoding: ``INPAINT_MAX_PIXELS`` when set, else 150 megapixels."""
    value = os.environ.get("INPAINT_MAX_PIXELS", "").strip()
    if not value:
        return DEFAULT_MAX_PIXELS
    try:
        limit = float(value.replace("_", ""))
    except ValueError:
        limit = -1.0
    if not 1 <= limit < float("inf"):
        raise InputError(f"INPAINT_MAX_PIXELS must be a number of pixels such as 300000000; it is {value!r}.")
    return int(limit)


def pixel_count(pixels: float) -> str:
    """``3,072 pixels``, ``12.6 megapixels``, ``1,600 megapixels``: never "0 megapixels"."""
    if pixels < 1e6:
        return f"{pixels:,.0f} pixels"
    return f"{pixels / 1e6:,.{1 if pixels < 1e8 else 0}f}".removesuffix(".0") + " megapixels"


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder (by extension, not recursive), sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def open_image(path: str | os.PathLike, max_pixels: int | None = None) -> Image.Image:
    """The image at ``path``, opened and decoded; one sentence naming the file for whatever is wrong with it."""
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"{path.name}: is a folder, not an image file.")
    if not path.exists():
        what = "a link that leads nowhere (its target is missing, or links lead in a circle)" if path.is_symlink() else "no such file"
        raise ImageFileError(f"{path.name}: {what}.")
    if not path.is_file():
        raise ImageFileError(f"{path.name}: not a regular file (a pipe, socket or device); give an image file.")
    max_pixels = max_pixels or pixel_limit()
    if path.stat().st_size == 0:
        raise ImageFileError(f"{path.name}: the file is empty (0 bytes).")
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise ImageFileError(f"{path.name}: not an image, or in a format this editor cannot read.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise _unreadable(path, error) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageFileError(
            f"{path.name}: {width} x {height} is {pixel_count(width * height)}, over the limit of "
            f"{pixel_count(max_pixels)} (set INPAINT_MAX_PIXELS to raise it)."
        )
    loose = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # face_recognition turns this on for the whole process when imported
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        image.close()
        raise _unreadable(path, error) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = loose
    return image


def _unreadable(path: Path, error: BaseException) -> ImageFileError:
    if isinstance(error, OSError) and error.errno is not None:  # the file system's refusal, not the content
        return ImageFileError(f"{path.name}: cannot be read ({_reason(error)}).")
    return ImageFileError(f"{path.name}: the file is damaged or truncated ({_reason(error)}).")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def load_image(path: str | os.PathLike, max_pixels: int | None = None) -> LoadedImage:
    """Load any supported image as RGB uint8 plus the metadata needed to save it back faithfully."""
    with open_image(path, max_pixels) as opened:
        exif = opened.info.get("exif")
        icc = opened.info.get("icc_profile")
        image = ImageOps.exif_transpose(opened)
        if exif is not None:
            exif = image.getexif().tobytes()  # orientation now applied: the tag is reset
        mode = image.mode
        alpha = grey16 = None
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            grey16 = np.clip(np.asarray(image, dtype=np.int64), 0, 65535).astype(np.uint16)
            grey = (grey16 >> 8).astype(np.uint8)
            rgb = np.repeat(grey[..., None], 3, axis=2)
        elif mode == "CMYK":
            rgb, icc = _cmyk_to_rgb(image, icc)
        else:
            if mode == "P":
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = image.convert("RGBA")
                alpha = np.asarray(image)[..., 3].copy()
            rgb = np.asarray(image.convert("RGB"))
    return LoadedImage(np.ascontiguousarray(rgb), ImageMeta(mode, alpha, exif, icc, grey16))


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """Through the embedded CMYK profile to sRGB when there is one (the result carries no profile)."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            return np.asarray(converted), None
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return np.asarray(image.convert("RGB")), None


def load_sketch(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """RGBA uint8 strokes of ``shape``; an image without alpha counts every non-white pixel as a stroke."""
    with open_image(path) as image:
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        rgba = np.array(image.convert("RGBA"))
    if not has_alpha:
        rgba[..., 3] = np.where(rgba[..., :3].min(axis=2) < 250, 255, 0)
    if rgba.shape[:2] != shape:
        rgba = cv2.resize(rgba, shape[::-1], interpolation=cv2.INTER_NEAREST)
    return rgba


def image_format(path: str | os.PathLike) -> str:
    """The Pillow format that the extension of ``path`` asks for."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageFileError(f"{path.name}: unknown image type {path.suffix!r}; use one of {', '.join(IMAGE_SUFFIXES)}.")
    return fmt


def check_output(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> None:
    """Refuse, before any work, an output that could not be written: an unknown type, a folder, a missing or
    read-only folder, or (with ``shape``, H x W) a size that its format cannot hold."""
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"{path}: is a folder; give a file name, such as {path / 'filled.png'}.")
    fmt = image_format(path)
    if shape is not None and max(shape) > _MAX_SIDE.get(fmt, max(shape)):
        raise ImageFileError(f"{path.name}: {shape[1]} x {shape[0]} is too large for {fmt} (at most {_MAX_SIDE[fmt]} px a "
                             "side); save as .png or .tif instead.")
    check_writable_folder(path.parent)


def check_writable_folder(folder: str | os.PathLike) -> None:
    """The folder exists and a file can be created in it (tried, then removed)."""
    folder = Path(folder)
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "no such folder"
        raise ImageFileError(f"{folder}: {problem}.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", suffix=".part", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise ImageFileError(f"{folder}: cannot write in this folder ({_reason(error)}).") from None


def real_path(path: str | os.PathLike) -> Path:
    """``path`` with its links followed as far as they go; unlike ``Path.resolve()`` on Python 3.11 and 3.12, links
    that lead in a circle are no error (what is then done with the path says what is wrong)."""
    return Path(os.path.realpath(path))


def refuse_overwriting(outputs: list[Path], inputs: list[Path]) -> None:
    """An output that is one of the inputs (by name, link or symlink) is refused: originals are never overwritten."""
    for path in outputs:
        for original in inputs:
            if real_path(path) == real_path(original) or (
                    Path(path).exists() and Path(original).exists() and os.path.samefile(path, original)):
                raise InputError(f"{path} is an input file; originals are never overwritten. Choose another output.")


def save_image(path: str | os.PathLike, rgb: np.ndarray, meta: ImageMeta | None = None, quality: int = 95) -> None:
    """Write ``rgb`` atomically; the format follows the extension; alpha, EXIF, ICC and 16-bit grey are
    restored from ``meta`` where the format allows."""
    path = Path(path)
    check_output(path, rgb.shape[:2])
    fmt = image_format(path)
    meta = meta or ImageMeta()
    image = _to_pil(rgb, meta, fmt)
    params: dict = {}
    if meta.exif and fmt in _EXIF_FORMATS:
        params["exif"] = meta.exif
    if meta.icc:
        params["icc_profile"] = meta.icc
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = quality
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **params)
    except (OSError, ValueError) as error:
        raise ImageFileError(f"{path.name}: could not be encoded as {fmt} ({_reason(error)}).") from None
    write_atomic(path, buffer.getvalue())


def _to_pil(rgb: np.ndarray, meta: ImageMeta, fmt: str) -> Image.Image:
    grey = meta.mode in ("L", "LA", "I;16", "I;16B", "I;16L", "I") and bool(
        (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
    )
    if grey and meta.grey16 is not None and fmt in ("PNG", "TIFF"):
        # unchanged pixels keep their exact 16-bit value; filled ones are scaled up from 8 bits
        values = rgb[..., 0].astype(np.uint16) * 257
        unchanged = (meta.grey16 >> 8) == rgb[..., 0]
        values[unchanged] = meta.grey16[unchanged]
        return Image.fromarray(values.astype("<u2"))
    image = Image.fromarray(np.ascontiguousarray(rgb[..., 0] if grey else rgb))
    if meta.alpha is not None and fmt in _ALPHA_FORMATS and meta.alpha.shape == rgb.shape[:2]:
        image.putalpha(Image.fromarray(meta.alpha))
    return image


def save_mask(path: str | os.PathLike, mask: np.ndarray) -> None:
    """A mask as a black-and-white PNG (white = fill)."""
    save_image(path, np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2), ImageMeta(mode="L"))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# A part file is named .NAME.PID-XXXXXXXX.part (older versions: .NAME.XXXXXXXX.part, no PID).
_PART_TOKEN = re.compile(r"(?:(?P<pid>\d+)-)?[a-z0-9_]{8}")


def remove_leftovers(folder: str | os.PathLike, name: str = "*") -> list[Path]:
    """Remove the part files that a killed writer left in ``folder`` (for file ``name``); a writer that is still
    running keeps its own. Returns what was removed."""
    removed = []
    for part in Path(folder).glob(f".{glob.escape(name) if name != '*' else '*'}.*.part"):
        token = part.name[:-len(".part")].rsplit(".", 1)[-1]
        match = _PART_TOKEN.fullmatch(token)
        if match and not _alive(match["pid"]):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


def _alive(pid: str | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place: readers never see half a file, and a
    write that fails (a full disk, a read-only folder) leaves what was there and says so in one sentence."""
    path = Path(path)
    if path.parent.is_dir():
        remove_leftovers(path.parent, path.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".part", dir=path.parent)
    except OSError as error:
        raise ImageFileError(f"{path}: cannot write here ({_reason(error)}).") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise ImageFileError(f"{path}: could not be written ({_reason(error)}); nothing was changed.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
