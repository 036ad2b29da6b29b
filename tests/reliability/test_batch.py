"""``main.py batch`` against bad folders, faults and masks kept beside the photos (see cases.py)."""
from __future__ import annotations

import signal

import numpy as np
import pytest
from PIL import Image

from tests.reliability.cases import Case, disk_full, read_only, run_case, table, truncated_png
from tests.reliability.harness import ROOT, SIZE, mask, photo, signalled, snapshot


def _batch(layout, out_of=lambda inputs, tmp: tmp / "out", *extra: str, masks_of=lambda inputs: inputs / "masks",
           fault=None) -> callable:
    def setup(inputs, tmp, mp):
        layout(inputs)
        masks = masks_of(inputs)
        args = ["batch", "--engine", "telea", "--images", inputs / "photos", "--out", out_of(inputs, tmp), *extra]
        if fault:
            fault(mp)
        return args + (["--masks", masks] if masks is not None else [])

    return setup


def _photos(*names: str, masks: tuple[str, ...] = ()):
    def layout(inputs):
        for i, name in enumerate(names):
            photo(inputs / "photos" / name, i)
        for name in masks:
            mask(inputs / name)

    return layout


def _one_mask_each(*names: str):
    return _photos(*names, masks=tuple(f"masks/{n.rsplit('.', 1)[0]}.png" for n in names))


def _colour_photo_mask(inputs):
    photo(inputs / "photos" / "a.png")
    (inputs / "masks").mkdir()
    Image.open(ROOT / "resources" / "samples" / "chelsea.jpg").resize(SIZE[::-1]).save(inputs / "masks" / "a.png")


def _wide_webp(inputs):
    photo(inputs / "photos" / "wide.webp", size=(2, 5500))
    mask(inputs / "masks" / "wide.png", size=(2, 5500))


def _corrupt_b(inputs):
    _one_mask_each("a.png", "b.png")(inputs)
    truncated_png(inputs / "photos" / "b.png")


def _two_masks(inputs):
    photo(inputs / "photos" / "a.png")
    mask(inputs / "photos" / "a_mask.png")
    mask(inputs / "photos" / "a.mask.png")


def _beside(inputs):
    for name in ("a", "b", "c"):
        photo(inputs / "photos" / f"{name}.jpg")
        mask(inputs / "photos" / f"{name}_mask.png", colour=(255, 0, 0))


NONE = lambda inputs: None  # noqa: E731 - no --masks


def _circle(inputs, tmp):
    """An output folder that is a link to a link back to it (Python 3.11's Path.resolve() raised RuntimeError)."""
    (tmp / "other").symlink_to("out")
    (tmp / "out").symlink_to("other")
    return tmp / "out"


CASES = {
    "images-missing": Case(_batch(lambda i: None), 2, ("photos", "no such folder")),
    "images-is-a-file": Case(_batch(lambda i: (i / "photos").write_text("")), 2, ("photos", "is a file")),
    "images-empty-folder": Case(_batch(lambda i: (i / "photos").mkdir(), masks_of=lambda i: (i / "photos")), 2, ("no images",)),
    "out-is-a-file": Case(_batch(_one_mask_each("a.png"), lambda i, t: (t / "f.txt", (t / "f.txt").write_text(""))[0]), 2,
                          ("f.txt", "is a file, not a folder")),
    "out-a-link-in-a-circle": Case(_batch(_one_mask_each("a.png"), _circle), 2, ("out", "cannot create this folder")),
    "out-is-the-images-folder": Case(_batch(_one_mask_each("a.png"), lambda i, t: i / "photos"), 2, ("photos", "is an input folder")),
    "out-is-the-masks-folder": Case(_batch(_one_mask_each("a.png"), lambda i, t: i / "masks"), 2, ("masks", "is an input folder")),
    "out-new-folder-read-only": Case(_batch(_one_mask_each("a.png"), fault=read_only), 2, ("out", "cannot create this folder",
                                                                                          "Read-only file system")),
    "disk-full": Case(_batch(_one_mask_each("a.png", "b.png"), fault=disk_full), 1, ("a.png", "b.png", "No space left on device",
                                                                                     "Filled 0 of 2")),
    "corrupt-photo-among-good": Case(_batch(_corrupt_b), 1, ("b.png", "damaged or truncated", "Filled 1 of 2")),
    "corrupt-mask": Case(_batch(lambda i: (photo(i / "photos" / "a.png"), truncated_png(i / "masks" / "a.png"))), 1,
                         ("a.png", "damaged or truncated")),
    "colour-photo-as-a-mask": Case(_batch(_colour_photo_mask), 1, ("a.png", "looks like a colour photo")),
    "masks-missing": Case(_batch(_photos("a.png"), masks_of=lambda i: i / "nowhere"), 2, ("nowhere", "no such file or folder")),
    "no-masks-at-all": Case(_batch(_photos("a.png"), masks_of=NONE), 2, ("No masks found", "photos")),
    "photo-without-its-mask": Case(_batch(_photos("a.png", "b.png", masks=("masks/a.png",))), 1, ("b.png", "no mask named b.*")),
    "two-masks-for-one-photo": Case(_batch(_two_masks, masks_of=NONE), 1, ("2 masks for a.png",)),
    "concat-past-the-webp-limit": Case(_batch(_wide_webp, lambda i, t: t / "out", "--concat"), 1, ("wide.webp", "too large for WEBP")),
    "masks-beside-the-photos": Case(_batch(_beside, masks_of=NONE), 0, ("Filled 3 of 3", "3 mask files beside the photos")),
    "masks-folder-is-the-photos-folder": Case(_batch(_beside, masks_of=lambda i: i / "photos"), 0, ("Filled 3 of 3",)),
    "masks-in-a-masks-subfolder": Case(_batch(lambda i: (photo(i / "photos" / "a.png"), mask(i / "photos" / "masks" / "a.png")),
                                              masks_of=NONE), 0, ("Filled 1 of 1",)),
}


@pytest.mark.parametrize("case", table(CASES))
def test_batch(case: Case, tmp_path, monkeypatch):
    inputs = run_case(case, tmp_path, monkeypatch)
    if case.code == 0:
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
            p.name for p in (inputs / "photos").iterdir() if p.is_file() and "mask" not in p.name), "only photos are filled"


def test_sigterm_mid_batch_says_which_files_finished_and_leaves_no_part_file(tmp_path):
    images, out = tmp_path / "photos", tmp_path / "out"
    for i in range(40):
        photo(images / f"{i:02d}.png", i, size=(200, 200))
    hole = np.zeros((200, 200), np.uint8)
    hole[50:150, 50:150] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    before = snapshot(images)
    done = signalled(["batch", "--engine", "telea", "--images", images, "--masks", tmp_path / "m.png", "--out", out, "--opt", "radius=15"],
                     lambda: out.is_dir() and any(out.glob("*.png")), signal.SIGTERM)
    assert done.code == 128 + signal.SIGTERM, done.err
    assert "Traceback" not in done.err and "interrupted (SIGTERM)" in done.err
    finished = [p.name for p in sorted(out.glob("*.png"))]
    assert f"finished: {', '.join(finished)}" in done.err and f"Filled {len(finished)} of 40 images" in done.err
    assert not list(out.glob(".*.part"))
    assert snapshot(images) == before
