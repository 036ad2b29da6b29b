"""The table the reliability suite runs: one entry per hostile case.

Each case sets up files under ``inputs`` (photos, masks, runs: everything the user owns) and returns the command
line; the suite then checks the exit code, that the output names the file and the problem, that no traceback was
printed, and that every file under ``inputs`` is byte-identical afterwards.
"""
from __future__ import annotations

import errno
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.reliability.harness import SIZE, assert_refused, cli, mask, photo, snapshot


@dataclass(frozen=True)
class Case:
    setup: Callable[..., list]  # (inputs, tmp, monkeypatch) -> command line
    code: int
    needles: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def table(cases: dict[str, Case]) -> list:
    return [pytest.param(case, id=name) for name, case in cases.items()]


def run_case(case: Case, tmp: Path, monkeypatch) -> Path:
    """Set the case up in ``tmp/in``, run it, check it; returns the inputs folder."""
    inputs = tmp / "in"
    inputs.mkdir()
    args = case.setup(inputs, tmp, monkeypatch)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    before = snapshot(inputs)
    outcome = cli(*args)
    monkeypatch.undo()
    assert_refused(outcome, case.code, *case.needles)
    assert snapshot(inputs) == before
    assert not list(tmp.rglob("*.part")), "no part file is left behind"
    return inputs


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds no pixels: a decompression bomb costs nothing to make."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def truncated_png(path: Path) -> Path:
    photo(path)
    path.write_bytes(path.read_bytes()[:200])
    return path


def dead_pid() -> int:
    """A process id that no process has."""
    pid = 2**22 + 4321
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def disk_full(monkeypatch) -> None:
    """Every file write fails as on a full disk (in this process)."""

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("engines.imageio.os.fsync", no_space)


def read_only(monkeypatch) -> None:
    """No file or folder can be created anywhere (in this process), as on a read-only file system."""

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("engines.imageio.tempfile.mkstemp", refuse)
    monkeypatch.setattr(Path, "mkdir", refuse)


def fill(inputs: Path, out: Path | str, *extra: str, image: str = "photo.png", mask_file: str | None = "mask.png") -> list:
    args = ["inpaint", "--engine", "telea", "--image", inputs / image, "--out", out, *extra]
    return args + (["--mask", inputs / mask_file] if mask_file else [])


def with_photo_and_mask(inputs: Path, name: str = "photo.png", size=SIZE) -> None:
    photo(inputs / name, size=size)
    mask(inputs / "mask.png", size=size)


def grey16(path: Path) -> None:
    Image.fromarray((np.arange(SIZE[0] * SIZE[1], dtype=np.uint16) * 80).reshape(SIZE)).save(path)


def exif_rotated(path: Path) -> None:
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (*SIZE, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, exif=exif.tobytes())


def rgba(path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 255, (*SIZE, 4), np.uint8)
    Image.fromarray(pixels).save(path)


def converted(path: Path, mode: str) -> None:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (*SIZE, 3), np.uint8)).convert(mode).save(path)
