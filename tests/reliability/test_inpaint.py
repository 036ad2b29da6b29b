"""``main.py inpaint`` against bad and odd inputs: the exit code, one sentence naming the file and the problem, no
traceback, and every input byte-identical afterwards (see cases.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.reliability.cases import (Case, converted, dead_pid, disk_full, exif_rotated, fill, grey16, png_header, read_only,
                                     rgba, run_case, table, truncated_png, with_photo_and_mask)
from tests.reliability.harness import ROOT, SIZE, mask, photo


def _mask_pixels(inputs, name: str, pixels: np.ndarray) -> None:
    Image.fromarray(pixels).save(inputs / name)


def _coloured(colour, size=SIZE) -> np.ndarray:
    pixels = np.zeros((*size, 3), np.uint8)
    pixels[6:12, 8:16] = colour
    return pixels


def _photo_named(name: str, make) -> Case:
    """An odd but valid photo: filled, exit 0."""

    def setup(inputs, tmp, mp):
        make(inputs / name)
        mask(inputs / "mask.png", size=Image.open(inputs / name).size[::-1] if name != "rotated.jpg" else SIZE[::-1])
        return fill(inputs, tmp / "out.png", image=name)

    return Case(setup, 0, ("Wrote",))


def _bad_photo(name: str, write, code: int = 2, *problem: str, env=None, fault=None) -> Case:
    """The message names the file, or the setting at fault (``env``)."""

    def setup(inputs, tmp, mp):
        write(inputs / name)
        mask(inputs / "mask.png")
        if fault:
            fault(mp)
        return fill(inputs, tmp / "out.png", image=name)

    return Case(setup, code, problem if env else (name, *problem), env or {})


def _loosened(monkeypatch) -> None:
    """What importing face_recognition does to the whole process: Pillow then loads truncated files silently."""
    monkeypatch.setattr("PIL.ImageFile.LOAD_TRUNCATED_IMAGES", True)


def _with_mask(pixels_or_write, code: int, *needles: str, name: str = "mask.png") -> Case:
    def setup(inputs, tmp, mp):
        photo(inputs / "photo.png")
        if callable(pixels_or_write):
            pixels_or_write(inputs / name)
        else:
            _mask_pixels(inputs, name, pixels_or_write)
        return fill(inputs, tmp / "out.png", mask_file=name)

    return Case(setup, code, needles)


def _out(out_of, code: int, *needles: str, fault=None, extra=()) -> Case:
    def setup(inputs, tmp, mp):
        with_photo_and_mask(inputs)
        out = out_of(inputs, tmp)
        if fault:
            fault(mp)
        return fill(inputs, out, *extra)

    return Case(setup, code, needles)


def _hard_link(inputs, tmp):
    os.link(inputs / "photo.png", tmp / "link.png")
    return tmp / "link.png"


def _big(width: int, name: str, out: str, code: int, *needles: str) -> Case:
    def setup(inputs, tmp, mp):
        photo(inputs / name, size=(2, width))
        mask(inputs / "mask.png", size=(2, width))
        return fill(inputs, tmp / out, image=name)

    return Case(setup, code, needles)


def _leftover(name: str) -> Case:
    def setup(inputs, tmp, mp):
        with_photo_and_mask(inputs)
        (tmp / name).write_bytes(b"half a file from a killed run")
        return fill(inputs, tmp / "out.png")

    return Case(setup, 0, ("Wrote",))


def _circle(path: Path) -> Path:
    """``path`` a link to a link back to it: Python 3.11's Path.resolve() raised RuntimeError on it."""
    path.with_name(f"other-{path.name}").symlink_to(path.name)
    path.symlink_to(f"other-{path.name}")
    return path


def _faces(size, region="eyes") -> Case:
    def setup(inputs, tmp, mp):
        photo(inputs / "photo.png", size=size)
        return ["inpaint", "--image", inputs / "photo.png", "--auto-face-mask", region, "--out", tmp / "out.png"]

    return Case(setup, 2, ("photo.png",) + (("too small to hold a face",) if min(size) < 32 else ("No face was found",)))


CASES = {
    # photos that cannot be read
    "photo-garbage-jpeg": _bad_photo("photo.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg"), 2, "damaged or truncated"),
    "photo-truncated-png": _bad_photo("photo.png", truncated_png, 2, "damaged or truncated"),
    "photo-truncated-after-pillow-was-loosened": _bad_photo("photo.png", truncated_png, 2, "damaged or truncated", fault=_loosened),
    "photo-empty-file": _bad_photo("photo.png", lambda p: p.write_bytes(b""), 2, "empty (0 bytes)"),
    "photo-text-file": _bad_photo("photo.png", lambda p: p.write_text("hello"), 2, "not an image"),
    "photo-missing": _bad_photo("photo.png", lambda p: None, 2, "no such file"),
    "photo-is-a-folder": _bad_photo("photo.png", lambda p: p.mkdir(), 2, "is a folder"),
    "photo-a-link-in-a-circle": _bad_photo("photo.png", _circle, 2, "a link that leads nowhere"),
    "photo-a-pipe": _bad_photo("photo.png", os.mkfifo, 2, "not a regular file"),
    "photo-bomb-header": _bad_photo("photo.png", lambda p: p.write_bytes(png_header(30000, 30000)), 2, "900 megapixels, over the limit"),
    "photo-over-a-small-limit": _bad_photo("photo.png", photo, 2, "768 pixels, over the limit of 100 pixels", env={"INPAINT_MAX_PIXELS": "100"}),
    "limit-not-a-number": _bad_photo("photo.png", photo, 2, "INPAINT_MAX_PIXELS must be a number", "'abc'", env={"INPAINT_MAX_PIXELS": "abc"}),
    "limit-negative": _bad_photo("photo.png", photo, 2, "INPAINT_MAX_PIXELS must be a number", env={"INPAINT_MAX_PIXELS": "-5"}),
    # odd photos that must simply work
    "photo-exif-rotated": _photo_named("rotated.jpg", exif_rotated),
    "photo-16-bit-grey": _photo_named("grey16.png", grey16),
    "photo-with-alpha": _photo_named("alpha.png", rgba),
    "photo-palette": _photo_named("palette.png", lambda p: converted(p, "P")),
    "photo-cmyk-jpeg": _photo_named("cmyk.jpg", lambda p: converted(p, "CMYK")),
    "photo-grey-jpeg": _photo_named("grey.jpg", lambda p: converted(p, "L")),
    "photo-limit-raised": _bad_photo("photo.png", photo, 0, "Wrote", env={"INPAINT_MAX_PIXELS": "1e9"}),
    # masks: one rule, and what was read is said
    "mask-red": _with_mask(_coloured((255, 0, 0)), 0, "mask.png: read 6 % of pixels as hole (colour (255, 0, 0))"),
    "mask-dark-grey": _with_mask(_coloured((100, 100, 100)), 0, "mask.png: read 6 % of pixels as hole (grey level 100)"),
    "mask-label-0-1": _with_mask(_coloured((1, 1, 1))[..., 0], 0, "label mask"),
    "mask-transparent": _with_mask(np.dstack([_coloured((0, 0, 0)), _coloured((255,) * 3)[..., 0]]), 0, "(opaque pixels)"),
    "mask-half-size": _with_mask(_coloured((255,) * 3, (12, 16)), 0, "resized from 16 x 12"),
    "mask-all-black": _with_mask(np.zeros((*SIZE, 3), np.uint8), 2, "mask.png", "no pixel is marked to fill"),
    "mask-transposed": _with_mask(_coloured((255,) * 3, SIZE[::-1]), 2, "mask.png", "turned by 90 degrees"),
    "mask-other-proportions": _with_mask(_coloured((255,) * 3, (24, 24)), 2, "mask.png", "needs the photo's proportions"),
    "mask-colour-photo": _with_mask(lambda p: Image.open(ROOT / "resources" / "samples" / "coffee.jpg").resize(SIZE[::-1]).save(p),
                                    2, "mask.png", "looks like a colour photo"),
    "mask-missing": _with_mask(lambda p: None, 2, "mask.png", "no such file"),
    "mask-corrupt": _with_mask(truncated_png, 2, "mask.png", "damaged or truncated"),
    # outputs: checked before any work, never an input
    "out-is-the-photo": _out(lambda i, t: i / "photo.png", 2, "photo.png", "originals are never overwritten"),
    "out-is-the-mask": _out(lambda i, t: i / "mask.png", 2, "mask.png", "originals are never overwritten"),
    "out-is-a-hard-link-to-the-photo": _out(_hard_link, 2, "link.png", "originals are never overwritten"),
    "out-unknown-type": _out(lambda i, t: t / "out.xyz", 2, "out.xyz", "unknown image type"),
    "out-is-a-folder": _out(lambda i, t: t, 2, "is a folder"),
    "out-a-link-in-a-circle": _out(lambda i, t: _circle(t / "out.png"), 0, "Wrote"),
    "out-in-a-missing-folder": _out(lambda i, t: t / "no" / "out.png", 2, "no such folder"),
    "out-read-only-folder": _out(lambda i, t: t / "out.png", 2, "cannot write in this folder", "Read-only file system", fault=read_only),
    "out-disk-full": _out(lambda i, t: t / "out.png", 2, "out.png", "No space left on device", "nothing was changed", fault=disk_full),
    "out-webp-too-wide": _big(16400, "wide.png", "out.webp", 2, "out.webp", "too large for WEBP"),
    "out-jpeg-too-wide": _big(65501, "wide.png", "out.jpg", 2, "out.jpg", "too large for JPEG"),
    "out-leftover-of-a-killed-write": _leftover(f".out.png.{dead_pid()}-abcd1234.part"),
    "out-leftover-of-an-older-version": _leftover(".out.png.x7_ab9k2.part"),
    # arguments
    "engine-unknown": _out(lambda i, t: t / "o.png", 2, "Unknown engine 'nope'", extra=("--engine", "nope")),
    "engine-untrained": _out(lambda i, t: t / "o.png", 2, "lskfnet", "no trained weights", extra=("--engine", "lskfnet")),
    "option-not-a-number": _out(lambda i, t: t / "o.png", 2, "Option 'radius' must be a int", extra=("--opt", "radius=big")),
    "option-nan": _out(lambda i, t: t / "o.png", 2, "Option 'context' must be a number", extra=("--engine", "patchmatch", "--opt",
                                                                                              "context=nan")),
    "results-zero": _out(lambda i, t: t / "o.png", 2, "number of results", extra=("--n-results", "0")),
    "face-mask-on-3x3": _faces((3, 3)),
    "face-mask-without-a-face": _faces((40, 40), "worn_mask"),
}


@pytest.mark.parametrize("case", table(CASES))
def test_inpaint(case: Case, tmp_path, monkeypatch):
    run_case(case, tmp_path, monkeypatch)
