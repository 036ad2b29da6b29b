"""A really full and a really read-only file system (a tiny tmpfs), for the cases the rest of the suite simulates
in-process. Needs root and a kernel that lets it mount; skipped, with the reason, elsewhere."""
from __future__ import annotations

import contextlib
import os
import subprocess

import pytest

from tests.reliability.conftest import train_args
from tests.reliability.harness import assert_refused, cli, main_process, mask, photo, snapshot


@contextlib.contextmanager
def _tmpfs(path, size: str = "256k"):
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def inputs(tmp_path):
    photo(tmp_path / "in" / "photo.png", size=(120, 160))
    mask(tmp_path / "in" / "mask.png", size=(120, 160))
    return tmp_path / "in"


def test_a_full_disk(inputs, tmp_path):
    with _tmpfs(tmp_path / "full") as full:
        (full / "old.png").write_bytes(b"kept")
        with contextlib.suppress(OSError), (full / "filler").open("wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        before = snapshot(inputs, full)
        done = main_process("inpaint", "--engine", "telea", "--image", inputs / "photo.png", "--mask", inputs / "mask.png", "--out", full / "old.png")
        assert_refused(done, 2, "old.png", "No space left on device", "nothing was changed")
        assert snapshot(inputs, full) == before and not list(full.glob(".*.part"))


def test_a_read_only_file_system(inputs, tmp_path):
    with _tmpfs(tmp_path / "ro") as ro:
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        fill = main_process("inpaint", "--engine", "telea", "--image", inputs / "photo.png", "--mask", inputs / "mask.png", "--out", ro / "out.png")
        assert_refused(fill, 2, "ro", "Read-only file system")
        batch = main_process("batch", "--engine", "telea", "--images", inputs, "--masks", inputs / "mask.png", "--out", ro / "new")
        assert_refused(batch, 2, "new", "cannot create this folder", "Read-only file system")


def test_training_and_exporting_onto_a_full_or_read_only_disk(tmp_path, train_data):
    with _tmpfs(tmp_path / "small", "64k") as small:
        assert_refused(cli(*train_args(train_data, small / "run", 2)), 2, "run: No space left on device while training",
                       "the last checkpoint written there is kept")
        run = tmp_path / "run"
        assert cli(*train_args(train_data, run, 2)).code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)
        exported = cli("export", run, "--engine", "crg-quality", "--to", small / "weights")
        assert_refused(exported, 2, "weights: Read-only file system while installing the weights")
