"""The engine contract, checked on every registered engine (random weights where an engine has no trained ones)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engines import registry
from engines.contract import CancelToken, InpaintRequest, Need, drive
from engines.errors import Cancelled, InputError
from engines.pipeline import inpaint
from tests.conftest import SAMPLES, square_mask


@pytest.fixture(params=registry.names())
def engine(request):
    return registry.create(request.param, "cpu", allow_untrained=True)


@pytest.fixture
def photo(engine, photo):
    """Face engines get a photo with a face (160 x 160 around the astronaut's head); others the coffee cup."""
    if not engine.spec.uses(Need.FACE):
        return photo
    image = cv2.imread(str(SAMPLES / "astronaut.jpg"))[:, :, ::-1]
    return np.ascontiguousarray(cv2.resize(image[40:200, 140:300], (160, 160), interpolation=cv2.INTER_AREA))


def _inputs(photo):
    """A hole on the lower middle of the photo (the face's mouth for face engines) and one in a corner."""
    h, w = photo.shape[:2]
    mask = square_mask((h, w), int(h * 0.55), int(w * 0.4), 24) | square_mask((h, w), 0, 0, 10)
    sketch = np.zeros((h, w, 4), np.uint8)
    sketch[int(h * 0.6):int(h * 0.6) + 4, int(w * 0.45):int(w * 0.45) + 15] = (20, 20, 20, 255)
    return mask, sketch


def test_fills_only_the_hole_and_leaves_inputs_alone(engine, photo):
    mask, sketch = _inputs(photo)
    before = photo.copy(), mask.copy(), sketch.copy()
    result = drive(inpaint(engine, InpaintRequest(photo, mask, sketch, seed=1)))
    out = result.image
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert np.array_equal(out[~mask], photo[~mask]), "pixels outside the mask must come back bit-exact"
    assert not np.array_equal(out[mask], photo[mask]), "the hole must be filled"
    for original, now in zip(before, (photo, mask, sketch)):
        assert np.array_equal(original, now), "engines never modify their inputs"
    assert photo.flags.writeable and mask.flags.writeable, "the caller's arrays stay writable"
    assert out.flags.writeable


def test_same_seed_same_result_and_the_seed_matters_only_where_the_spec_says(engine, photo):
    """The editor shows the seed only for engines whose spec is ``seeded``: for the others it must change nothing."""
    mask, _ = _inputs(photo)
    first = drive(inpaint(engine, InpaintRequest(photo, mask, seed=3))).image
    second = drive(inpaint(engine, InpaintRequest(photo, mask, seed=3))).image
    assert np.array_equal(first, second)
    if not engine.spec.seeded:
        other = drive(inpaint(engine, InpaintRequest(photo, mask, seed=4))).image
        assert np.array_equal(first, other), f"{engine.spec.name} uses the seed but its spec does not say seeded"


def test_empty_mask_returns_the_input_and_says_so(engine, photo):
    result = drive(inpaint(engine, InpaintRequest(photo, np.zeros(photo.shape[:2], bool))))
    assert np.array_equal(result.image, photo)
    assert result.image is not photo
    assert "empty" in result.message


def test_number_of_results_follows_the_spec(engine, photo):
    mask, _ = _inputs(photo)
    result = drive(inpaint(engine, InpaintRequest(photo, mask, n_results=3)))
    assert len(result.candidates) == (3 if engine.spec.multiple_results else 1)


def test_whole_mask_is_a_clear_error_for_engines_that_need_context(engine, photo):
    if not engine.spec.uses(Need.CONTEXT):
        pytest.skip(f"{engine.spec.name} does not need context")
    with pytest.raises(InputError, match="covers the whole image"):
        drive(inpaint(engine, InpaintRequest(photo, np.ones(photo.shape[:2], bool))))


def test_cancel_stops_before_filling(engine, photo):
    mask, _ = _inputs(photo)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        drive(inpaint(engine, InpaintRequest(photo, mask), token))


@pytest.mark.parametrize(
    ("image", "mask", "message"),
    [
        (np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), bool), "RGB uint8"),
        (np.zeros((8, 8), np.uint8), np.zeros((8, 8), bool), "RGB uint8"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool), "mask is 9x8 but the image is 8x8"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float64), "bool or uint8"),
        (np.zeros((0, 8, 3), np.uint8), np.zeros((0, 8), bool), "empty"),
    ],
)
def test_request_rejects_bad_arrays_with_a_clear_message(image, mask, message):
    with pytest.raises(InputError, match=message):
        InpaintRequest(image, mask)


def test_request_converts_uint8_masks_and_keeps_read_only_views():
    image = np.zeros((4, 4, 3), np.uint8)
    mask = np.zeros((4, 4), np.uint8)
    mask[1, 2] = 255
    request = InpaintRequest(image, mask)
    assert request.mask.dtype == np.bool_ and request.mask.sum() == 1
    assert not request.image.flags.writeable
    with pytest.raises(InputError, match="sketch"):
        InpaintRequest(image, mask, sketch=np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="between 1 and 16"):
        InpaintRequest(image, mask, n_results=0)


def test_options_are_checked_against_the_spec():
    spec = registry.spec("telea")
    assert dict(spec.parse_options({})) == {"method": "telea", "radius": 5}
    assert spec.parse_options({"radius": "9", "method": "ns"})["radius"] == 9
    for bad, message in [({"radius": "x"}, "must be a int"), ({"radius": 0}, "at least"), ({"method": "fmm"}, "one of"), ({"size": 3}, "no option")]:
        with pytest.raises(InputError, match=message):
            spec.parse_options(bad)
    context = registry.spec("patchmatch")  # a float option: NaN compares false with both its limits
    for bad, message in [({"context": "nan"}, "must be a number, not 'nan'"), ({"context": "inf"}, "at most")]:
        with pytest.raises(InputError, match=message):
            context.parse_options(bad)
