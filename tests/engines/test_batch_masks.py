"""Masks in the same folder as the photos (issue 14, item 1): found by name, never a photo, never filled."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engines.batch import BatchJob, run_batch
from engines.batch_masks import batch_inputs, photo_stem
from engines.contract import drive
from engines.errors import ImageFileError, InputError
from engines.mask_file import read_mask
from engines.pipeline import inpaint
from tests.conftest import SAMPLES


def _photo(path, seed=0, size=(24, 32)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*size, 3), np.uint8)).save(path)


def _mask(path, size=(24, 32), value=255):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.zeros(size, np.uint8)
    pixels[6:12, 8:16] = value
    Image.fromarray(pixels).save(path)


@pytest.mark.parametrize(("name", "stem"), [("photo_mask.png", "photo"), ("photo.mask.png", "photo"), ("Photo-Mask.jpg", "Photo"),
                                            ("photo.png", None), ("mask.png", None), ("_mask.png", None)])
def test_mask_names(tmp_path, name, stem):
    assert photo_stem(tmp_path / name) == stem


def test_masks_beside_the_photos_are_found_and_not_filled(tmp_path):
    for name in ("a.jpg", "b.png", "c.png"):
        _photo(tmp_path / name)
    _mask(tmp_path / "a_mask.png")
    _mask(tmp_path / "b.mask.png")
    (tmp_path / "masks").mkdir()
    _mask(tmp_path / "masks" / "c.png")
    found = batch_inputs(tmp_path, None, mask_required=True)
    assert [p.name for p in found.photos] == ["a.jpg", "b.png", "c.png"]
    assert sorted(p.name for p in found.masks_beside) == ["a_mask.png", "b.mask.png"]
    assert [found.find(p).relative_to(tmp_path).as_posix() for p in found.photos] == ["a_mask.png", "b.mask.png", "masks/c.png"]


def test_the_photos_folder_given_as_the_masks_folder_never_gives_a_photo_as_its_own_mask(tmp_path):
    _photo(tmp_path / "a.png")
    _photo(tmp_path / "b.png")
    _mask(tmp_path / "a_mask.png")
    found = batch_inputs(tmp_path, tmp_path, mask_required=True)
    assert found.find(tmp_path / "a.png") == tmp_path / "a_mask.png"
    with pytest.raises(InputError, match="no mask named b.*"):
        found.find(tmp_path / "b.png")


def test_a_folder_of_photos_named_like_masks_is_all_photos(tmp_path):
    """Pictures of face masks: no file here has its photo beside it, so none of them is a mask."""
    _photo(tmp_path / "cloth_mask.jpg")
    _photo(tmp_path / "n95_mask.jpg")
    found = batch_inputs(tmp_path, tmp_path / "cloth_mask.jpg", mask_required=True)
    assert [p.name for p in found.photos] == ["n95_mask.jpg"], "the one given as the mask is not filled"


def test_two_masks_for_one_photo_are_reported(tmp_path):
    _photo(tmp_path / "a.png")
    _mask(tmp_path / "a_mask.png")
    _mask(tmp_path / "a-mask.png")
    with pytest.raises(InputError, match="2 masks for a.png"):
        batch_inputs(tmp_path, None, mask_required=True).find(tmp_path / "a.png")


def test_no_masks_anywhere_is_refused_before_any_work(tmp_path):
    _photo(tmp_path / "a.png")
    with pytest.raises(InputError, match="No masks found"):
        batch_inputs(tmp_path, None, mask_required=True)
    assert batch_inputs(tmp_path, None, mask_required=False).find(tmp_path / "a.png") is None, "a face mask will do"


def test_a_batch_of_photos_with_masks_beside_fills_only_the_photos(tmp_path, mean_engine):
    images, out = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        _photo(images / f"{name}.png")
        _mask(images / f"{name}_mask.png")
    report = drive(run_batch(lambda request, token: inpaint(mean_engine, request, token), BatchJob(images=images, out=out)))
    assert report.done == ["a.png", "b.png", "c.png"] and not report.failed
    assert report.masks_beside == ["a_mask.png", "b_mask.png", "c_mask.png"]
    assert "3 mask files beside the photos were used as masks" in report.summary(out)
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]


def test_a_colour_photo_is_refused_as_a_mask_and_says_why(tmp_path):
    Image.open(SAMPLES / "coffee.jpg").resize((64, 48)).save(tmp_path / "photo_mask.jpg")
    with pytest.raises(ImageFileError, match="photo_mask.jpg: this looks like a colour photo, not a mask"):
        read_mask(tmp_path / "photo_mask.jpg", (48, 64))


@pytest.mark.parametrize(("colour", "read_as"), [((255, 255, 255), "white"), ((255, 0, 0), "colour (255, 0, 0)"),
                                                  ((100, 100, 100), "grey level 100"), ((1, 1, 1), "label mask")])
def test_white_red_dark_grey_and_label_masks_all_read_as_the_same_hole(tmp_path, colour, read_as):
    pixels = np.zeros((24, 32, 3), np.uint8)
    pixels[6:12, 8:16] = colour
    Image.fromarray(pixels).save(tmp_path / "m.png")
    read = read_mask(tmp_path / "m.png", (24, 32))
    assert read.mask.sum() == 48 and read.mask[6:12, 8:16].all()
    assert read.note.startswith("m.png: read 6 % of pixels as hole (") and read_as in read.note
