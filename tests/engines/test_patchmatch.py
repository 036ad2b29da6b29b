"""The PatchMatch engine: its options, its seeds, the context it is given and the scale a large box is filled at."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engines import registry
from engines.contract import InpaintRequest, drive
from engines.errors import InputError
from engines.pipeline import inpaint
from tests.conftest import square_mask
from tests.engines import fakes


@pytest.fixture
def engine():
    return registry.create("patchmatch")


def test_options_have_defaults_and_limits():
    spec = registry.spec("patchmatch")
    assert dict(spec.parse_options({})) == {"patch_size": 7, "context": 0.5}
    assert spec.parse_options({"patch_size": "11", "context": "2"})["context"] == 2.0
    for bad, message in [({"patch_size": 1}, "at least"), ({"context": 9}, "at most"), ({"radius": 3}, "no option")]:
        with pytest.raises(InputError, match=message):
            spec.parse_options(bad)


def test_the_context_around_a_hole_grows_with_the_option(engine):
    spec = registry.spec("patchmatch")
    assert engine.context_margin(100, spec.parse_options({})) == 50
    assert engine.context_margin(100, spec.parse_options({"context": 2})) == 200
    assert engine.context_margin(10, spec.parse_options({})) == 16, "never less than the classical margin"


def test_seeds_give_different_results_and_several_results_differ(engine, photo):
    mask = square_mask(photo.shape[:2], 30, 40, 28)
    first = drive(inpaint(engine, InpaintRequest(photo, mask, seed=1))).image
    other = drive(inpaint(engine, InpaintRequest(photo, mask, seed=2))).image
    assert not np.array_equal(first[mask], other[mask])
    results = drive(inpaint(engine, InpaintRequest(photo, mask, seed=1, n_results=2))).candidates
    assert not np.array_equal(results[0].image[mask], results[1].image[mask])


def test_the_fill_copies_texture_rather_than_blurring(engine):
    """Stripes 4 px wide around a hole: PatchMatch continues them (strong contrast inside), Telea smears them."""
    stripes = np.zeros((96, 96, 3), np.uint8)
    stripes[:, (np.arange(96) // 4) % 2 == 1] = 255
    mask = square_mask((96, 96), 32, 32, 32)
    filled = drive(inpaint(engine, InpaintRequest(stripes, mask, options={"context": 1.0}))).image
    smeared = drive(inpaint(registry.create("telea"), InpaintRequest(stripes, mask))).image
    assert filled[mask].std() > 100 > smeared[mask].std()


def test_a_context_box_over_max_crop_pixels_is_filled_at_a_reduced_scale(photo):
    engine = fakes.MeanEngine()
    engine.spec = replace(fakes.MEAN_SPEC, resolution=None, pad_multiple=1, max_crop_pixels=40 * 40)
    fakes.MeanEngine.crops = []
    mask = square_mask(photo.shape[:2], 20, 30, 50)
    drive(inpaint(engine, InpaintRequest(photo, mask)))
    (shape,) = fakes.MeanEngine.crops
    assert shape[0] * shape[1] <= 40 * 40 + 80 and shape[0] < 50 + 32
