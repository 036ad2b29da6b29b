"""The command line, run as a user runs it: through a subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, timeout=120)


def _photo(path: Path, seed: int, size=(48, 64)) -> np.ndarray:
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def _mask(path: Path, size=(48, 64)) -> np.ndarray:
    mask = np.zeros(size, bool)
    mask[10:20, 20:40] = True
    Image.fromarray(mask.astype(np.uint8) * 255).save(path)
    return mask


def test_help_and_engine_list():
    assert "inpaint" in run("--help").stdout
    listing = run("engines")
    assert listing.returncode == 0
    assert "telea" in listing.stdout and "ready (no weights needed)" in listing.stdout
    assert "no trained weights" not in listing.stdout or "main.py train ENGINE" in listing.stdout, "and what to do"


@pytest.mark.parametrize(("argv0", "usage"), [("/opt/venv/bin/inpaint-editor", "usage: inpaint-editor"),
                                              ("/src/inpaint_editor.py", "usage: python -m inpaint_editor"),
                                              ("main.py", "usage: main.py")])
def test_help_names_the_command_as_it_was_typed(monkeypatch, argv0, usage):
    """Installed, `inpaint-editor --help` said 'usage: main.py', a file the user does not have."""
    from cli.main import build_parser

    monkeypatch.setattr(sys, "argv", [argv0, "--help"])
    assert build_parser().format_usage().startswith(usage)


def test_inpaint_writes_the_result_and_keeps_pixels_outside_the_mask(tmp_path):
    photo = _photo(tmp_path / "in.png", 0)
    mask = _mask(tmp_path / "mask.png")
    done = run("inpaint", "--engine", "telea", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"),
               "--out", str(tmp_path / "out.png"), "--opt", "method=ns", "--opt", "radius=3")
    assert done.returncode == 0, done.stderr
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert np.array_equal(out[~mask], photo[~mask])
    assert not np.array_equal(out[mask], photo[mask])


def test_inpaint_never_overwrites_the_original(tmp_path):
    _photo(tmp_path / "in.png", 0)
    _mask(tmp_path / "mask.png")
    before = (tmp_path / "in.png").read_bytes()
    done = run("inpaint", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"), "--out", str(tmp_path / "in.png"))
    assert done.returncode == 2
    assert "originals are never overwritten" in done.stderr
    assert (tmp_path / "in.png").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--engine", "nope"), "Unknown engine 'nope'"),
        (("--engine", "telea", "--opt", "radius=big"), "Option 'radius' must be a int"),
        (("--opt", "radius"), "--opt expects NAME=VALUE"),
    ],
)
def test_bad_arguments_give_one_line_not_a_traceback(tmp_path, args, message):
    _photo(tmp_path / "in.png", 0)
    _mask(tmp_path / "mask.png")
    done = run("inpaint", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"), "--out", str(tmp_path / "o.png"), *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_batch_skips_a_corrupt_file_fills_the_rest_and_exits_non_zero(tmp_path):
    images, masks, out = tmp_path / "images", tmp_path / "masks", tmp_path / "out"
    images.mkdir()
    masks.mkdir()
    photos = {name: _photo(images / f"{name}.png", i) for i, name in enumerate(["a", "b", "c"])}
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (images / "notes.txt").write_text("ignored: not an image")
    mask = _mask(masks / "a.png")
    for name in ["b", "c", "broken"]:
        _mask(masks / f"{name}.png")
    done = run("batch", "--images", str(images), "--masks", str(masks), "--out", str(out))
    assert done.returncode == 1
    assert "Filled 3 of 4 images" in done.stdout
    assert "failed: broken.jpg: the file is damaged or truncated" in done.stdout
    assert "broken.jpg" not in done.stderr, "each failed file is reported once, in the summary"
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    for name, photo in photos.items():
        result = np.asarray(Image.open(out / f"{name}.png"))
        assert np.array_equal(result[~mask], photo[~mask])
    assert sorted(p.name for p in images.iterdir()) == ["a.png", "b.png", "broken.jpg", "c.png", "notes.txt"]


def test_batch_with_one_mask_for_all_and_concat(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    _photo(images / "a.png", 1)
    _photo(images / "b.jpg", 2)
    _mask(tmp_path / "mask.png")
    done = run("batch", "--images", str(images), "--masks", str(tmp_path / "mask.png"), "--out", str(tmp_path / "out"), "--concat")
    assert done.returncode == 0, done.stdout + done.stderr
    assert Image.open(tmp_path / "out" / "a.png").size == (64 * 3, 48)
    assert Image.open(tmp_path / "out" / "b.jpg").format == "JPEG"


def test_batch_reports_images_without_a_mask(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    _photo(images / "a.png", 1)
    done = run("batch", "--images", str(images), "--masks", str(masks), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "no mask named a.*" in done.stdout


def test_batch_never_writes_into_an_input_folder(tmp_path):
    _photo(tmp_path / "a.png", 1)
    _mask(tmp_path / "mask.png")
    done = run("batch", "--images", str(tmp_path), "--masks", str(tmp_path / "mask.png"), "--out", str(tmp_path))
    assert done.returncode == 2
    assert "is an input folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "mask.png"]


def test_inpaint_with_an_automatic_face_mask(tmp_path):
    done = run("inpaint", "--image", str(ROOT / "resources" / "samples" / "astronaut.jpg"), "--auto-face-mask", "mouth",
               "--out", str(tmp_path / "out.png"))
    assert done.returncode == 0, done.stderr
    assert "mouth region of 1 face" in done.stderr
    before = np.asarray(Image.open(ROOT / "resources" / "samples" / "astronaut.jpg"))
    after = np.asarray(Image.open(tmp_path / "out.png"))
    changed = (before != after).any(axis=-1)
    assert 50 < changed.sum() < 5000


def test_batch_with_automatic_face_masks_reports_photos_without_a_face(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "astronaut.jpg").write_bytes((ROOT / "resources" / "samples" / "astronaut.jpg").read_bytes())
    _photo(images / "noise.png", 3)
    done = run("batch", "--images", str(images), "--auto-face-mask", "worn_mask", "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "Filled 1 of 2 images" in done.stdout and "noise.png: No face was found" in done.stdout


def test_a_mask_given_beside_the_automatic_face_mask_is_filled_when_no_face_is_found(tmp_path):
    """The face region is added to --mask: a photo without a face still gets its hand-made mask filled (QA)."""
    photo = _photo(tmp_path / "in.png", 4)
    hand = np.zeros(photo.shape[:2], np.uint8)
    hand[10:20, 10:20] = 255
    Image.fromarray(hand).save(tmp_path / "mask.png")
    done = run("inpaint", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"), "--auto-face-mask",
               "worn_mask", "--out", str(tmp_path / "out.png"))
    assert done.returncode == 0, done.stderr
    assert "in.png: no face found: the mask given is filled alone" in done.stderr
    changed = (np.asarray(Image.open(tmp_path / "out.png")) != photo).any(axis=-1)
    assert changed[10:20, 10:20].any() and not changed[30:].any()


def test_inpaint_needs_a_mask_of_some_kind(tmp_path):
    _photo(tmp_path / "in.png", 0)
    done = run("inpaint", "--image", str(tmp_path / "in.png"), "--out", str(tmp_path / "o.png"))
    assert done.returncode == 2 and "Give --mask, --auto-face-mask REGION, or both." in done.stderr


def test_batch_paired_export_for_datasets(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    photo = _photo(images / "a.png", 1)
    mask = _mask(tmp_path / "mask.png")
    done = run("batch", "--images", str(images), "--masks", str(tmp_path / "mask.png"), "--out", str(tmp_path / "out"), "--paired")
    assert done.returncode == 0, done.stdout + done.stderr
    for folder in ("original", "mask", "masked", "result"):
        assert [p.name for p in (tmp_path / "out" / folder).iterdir()] == ["a.png"], folder
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "original" / "a.png")), photo)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "mask" / "a.png")) > 127, mask)
    assert (np.asarray(Image.open(tmp_path / "out" / "masked" / "a.png"))[mask] == 255).all()
