"""Reading and writing images, masks and sketches: every format quirk is handled here and nowhere else.

On load: EXIF orientation is applied; grey, palette, LA, RGBA, 16-bit and CMYK become RGB uint8, with the
alpha channel, EXIF, ICC profile and 16-bit grey values kept aside in :class:`ImageMeta` so that a save
restores them where the output format allows. Writes are atomic (temp file + rename).
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from engines.errors import ImageFileError

DEFAULT_MAX_PIXELS = int(os.environ.get("INPAINT_MAX_PIXELS", 150_000_000))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
_ALPHA_FORMATS = {"PNG", "WEBP", "TIFF"}
_EXIF_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF"}

# Pillow's own bomb check is replaced by ours in _open, which reads the size from the header and refuses
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


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder (by extension, not recursive), sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _open(path: str | os.PathLike, max_pixels: int) -> Image.Image:
    path = Path(path)
    if not path.is_file():
        raise ImageFileError(f"{path.name}: no such file.")
    if path.stat().st_size == 0:
        raise ImageFileError(f"{path.name}: the file is empty (0 bytes).")
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise ImageFileError(f"{path.name}: not an image, or in a format this editor cannot read.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageFileError(f"{path.name}: the file is damaged or truncated ({_reason(error)}).") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageFileError(
            f"{path.name}: {width} x {height} is {width * height / 1e6:.0f} megapixels, over the limit of "
            f"{max_pixels / 1e6:.0f} (set INPAINT_MAX_PIXELS to raise it)."
        )
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageFileError(f"{path.name}: the file is damaged or truncated ({_reason(error)}).") from None
    return image


def _reason(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def load_image(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Load any supported image as RGB uint8 plus the metadata needed to save it back faithfully."""
    with _open(path, max_pixels) as opened:
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


def load_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask of ``shape`` (H, W): white (or opaque, for a transparent PNG) = fill. Resized if needed."""
    with _open(path, DEFAULT_MAX_PIXELS) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = np.asarray(image.convert("RGBA"))
            values = rgba[..., 3] if rgba[..., 3].min() < 255 else np.asarray(image.convert("L"))
        else:
            values = np.asarray(image.convert("L"))
    return _fit(values > 127, shape)


def load_sketch(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """RGBA uint8 strokes of ``shape``; an image without alpha counts every non-white pixel as a stroke."""
    with _open(path, DEFAULT_MAX_PIXELS) as image:
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        rgba = np.array(image.convert("RGBA"))
    if not has_alpha:
        rgba[..., 3] = np.where(rgba[..., :3].min(axis=2) < 250, 255, 0)
    if rgba.shape[:2] != shape:
        rgba = cv2.resize(rgba, shape[::-1], interpolation=cv2.INTER_NEAREST)
    return rgba


def _fit(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    return cv2.resize(mask.astype(np.uint8), shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)


def save_image(path: str | os.PathLike, rgb: np.ndarray, meta: ImageMeta | None = None, quality: int = 95) -> None:
    """Write ``rgb`` atomically; the format follows the extension; alpha, EXIF, ICC and 16-bit grey are
    restored from ``meta`` where the format allows."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageFileError(f"{path.name}: unknown image type {path.suffix!r}; use one of {', '.join(IMAGE_SUFFIXES)}.")
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
    image.save(buffer, format=fmt, **params)
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


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place: readers never see half a file."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise ImageFileError(f"{path}: cannot write here ({error.strerror}).") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
