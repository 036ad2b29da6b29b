"""Reading a mask file, with one rule for every kind of mask people make, and a sentence that says what was read.

- A transparent image (some alpha below 255): the opaque pixels are the hole.
- Otherwise a pixel's level is its brightest channel. Black (level <= 32, JPEG noise included) is kept; the
  mask colour is the median of the other pixels, and a pixel is hole when its level is above half the mask
  colour's: white, red or dark-grey masks all work, and soft (feathered or antialiased) edges split at half.
  A label mask of 0 and 1 (or any two levels both <= 32) reads its upper level as hole.
- A photo is refused, not read as a mask: a colour photo has many pixels, away from any black/hole edge, in
  colours other than the mask colour; a grey photo has many such pixels at in-between levels and few pixels
  that are black or at the mask level. (bench/mask_rule.py measures the rule on real masks and photos.)
- A mask of the photo's proportions but another size is resized; other proportions are refused (a mask the
  photo's size turned by 90 degrees usually means the photo was rotated by its EXIF orientation).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageOps

from engines.errors import ImageFileError, InputError
from engines.imageio import open_image

BLACK = 32  # levels at or below this are black (kept), JPEG noise included
STRAY_SHARE = 0.05  # a photo: more than this share of pixels in other colours or levels, away from any edge
EXTREME_SHARE = 0.5  # a grey photo also has less than this share of pixels black or at the mask level
ANALYSE_SIDE = 512  # the photo test looks at a copy at most this large


@dataclass(frozen=True)
class MaskFile:
    mask: np.ndarray  # H x W bool, True = fill
    note: str  # what was read, one sentence: "mask.png: read 12 % of pixels as hole (white)."


def read_mask(path: str | os.PathLike, shape: tuple[int, int]) -> MaskFile:
    """The mask at ``path`` for a photo of ``shape`` (H, W), and what was read; a photo or a mask of other
    proportions is refused with the reason."""
    path = Path(path)
    with open_image(path) as image:
        image = ImageOps.exif_transpose(image)
        alpha = None
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            alpha = np.asarray(image.convert("RGBA"))[..., 3]
        if alpha is not None and alpha.min() < 255:
            hole, read_as = alpha > 127, "opaque pixels"
        else:
            hole, read_as = _hole_of(np.asarray(image.convert("RGB")), path.name)
    hole, resized = _fit(hole, shape, path.name)
    share = 100 * hole.mean()
    amount = f"{share:.0f} %" if share >= 1 or share == 0 else f"{share:.2f} %"
    return MaskFile(hole, f"{path.name}: read {amount} of pixels as hole ({read_as}){resized}.")


def load_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """Only the mask of :func:`read_mask`."""
    return read_mask(path, shape).mask


def require_hole(mask: np.ndarray, where: str) -> None:
    """Refuse to fill nothing: an empty mask is almost always a mask read the wrong way."""
    if not mask.any():
        raise InputError(f"{where}: no pixel is marked to fill (the mask is all black); nothing was written.")


def _hole_of(rgb: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    level = rgb.max(axis=2)
    top = int(level.max())
    if top <= BLACK:
        values = np.unique(level)
        if values.size == 2:  # a label mask: 0 and 1, or two other dark levels
            return level == top, f"level {top} of a {values[0]}/{top} label mask"
        return np.zeros(level.shape, bool), "all black"
    colour = np.median(rgb[level > BLACK], axis=0).astype(int)
    _refuse_photo(_small(rgb), colour, name)
    return level > max(BLACK, colour.max() // 2), _colour_name(colour)


def _small(rgb: np.ndarray) -> np.ndarray:
    step = max(1, -(-max(rgb.shape[:2]) // ANALYSE_SIDE))
    return rgb[::step, ::step]


def _refuse_photo(rgb: np.ndarray, colour: np.ndarray, name: str) -> None:
    level = rgb.max(axis=2).astype(np.int32)
    lit = level > BLACK
    top = max(int(colour.max()), 1)
    chroma = rgb.astype(np.float32) / np.maximum(level, 1)[..., None]
    other_colour = lit & (np.abs(chroma - colour / top).max(axis=2) > 0.25)
    between = lit & (np.abs(level - top) > max(24, top // 4))
    kernel = np.ones((5, 5), np.uint8)
    near_black = cv2.dilate((~lit).astype(np.uint8), kernel).astype(bool)

    def away_from_edges(stray: np.ndarray) -> float:
        near_hole = cv2.dilate((lit & ~stray).astype(np.uint8), kernel).astype(bool)
        return float((stray & ~(near_black & near_hole)).mean())

    colours = away_from_edges(other_colour)
    if colours > STRAY_SHARE:
        raise ImageFileError(f"{name}: this looks like a colour photo, not a mask ({100 * colours:.0f} % of its pixels are "
                             "in many colours); a mask is black where the photo stays and white, or one colour, where "
                             "it is filled.")
    levels, extreme = away_from_edges(between), float((~lit | (np.abs(level - top) <= 0.15 * top)).mean())
    if levels > STRAY_SHARE and extreme < EXTREME_SHARE:
        raise ImageFileError(f"{name}: this looks like a grey photo, not a mask (only {100 * extreme:.0f} % of its pixels "
                             "are black or one mask level); a mask is black where the photo stays and white where it is "
                             "filled.")


def _colour_name(colour: np.ndarray) -> str:
    if colour.max() - colour.min() <= 16:
        return "white" if colour.min() >= 200 else f"grey level {colour.max()}"
    return f"colour ({colour[0]}, {colour[1]}, {colour[2]})"


def _fit(hole: np.ndarray, shape: tuple[int, int], name: str) -> tuple[np.ndarray, str]:
    if hole.shape == shape:
        return hole, ""
    (h, w), (mh, mw) = shape, hole.shape
    if abs(mw / mh - w / h) > 0.02 * (w / h) + 1 / min(mh, mw):
        turned = " (it is the photo's size turned by 90 degrees: was one of them rotated by its EXIF orientation?)"
        raise InputError(f"{name}: the mask is {mw} x {mh} but the photo is {w} x {h}; a mask needs the photo's "
                         f"proportions{turned if (mh, mw) == (w, h) else ''}.")
    resized = cv2.resize(hole.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    return resized, f", resized from {mw} x {mh}"
