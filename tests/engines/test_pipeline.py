"""The any-size pipeline: regions, context boxes, resizing, padding, seams, progress (the OOM policy: test_service.py)."""
from __future__ import annotations

import numpy as np
import pytest

from engines import registry
from engines.contract import InpaintRequest, drive
from engines.errors import InputError
from engines.pipeline import feather_seam, find_regions, inpaint
from tests.conftest import square_mask
from tests.engines import fakes


def test_far_apart_holes_are_separate_regions_and_near_ones_merge():
    mask = square_mask((400, 600), 10, 10, 20) | square_mask((400, 600), 300, 500, 20)
    assert len(find_regions(mask, 64)) == 2
    mask |= square_mask((400, 600), 10, 33, 5)  # 3 px from the first hole
    assert len(find_regions(mask, 64)) == 2


def test_regions_cover_every_hole_pixel_exactly_once():
    rng = np.random.default_rng(0)
    mask = rng.random((300, 500)) > 0.995
    covered = np.zeros(mask.shape, int)
    for region in find_regions(mask, 64):
        y0, y1, x0, x1 = region.box
        covered[y0:y1, x0:x1] += region.hole
    assert np.array_equal(covered, mask.astype(int))


def test_context_box_is_square_around_the_hole_with_margin():
    mask = square_mask((1000, 1000), 400, 450, 100)
    (region,) = find_regions(mask, 128)
    y0, y1, x0, x1 = region.box
    assert (y1 - y0, x1 - x0) == (200, 200)
    assert (y0, x0) == (350, 400)


def test_border_holes_are_filled_with_boxes_inside_the_image(mean_engine, photo):
    h, w = photo.shape[:2]
    mask = square_mask((h, w), 0, 0, 12) | square_mask((h, w), h - 8, w - 30, 30) | square_mask((h, w), 40, w - 5, 10)
    out = drive(inpaint(mean_engine, InpaintRequest(photo, mask))).image
    assert np.array_equal(out[~mask], photo[~mask])
    assert (out[mask] != photo[mask]).any(axis=-1).mean() > 0.9
    assert all(shape == (64, 64, 3) for shape in fakes.MeanEngine.crops), "every crop is resized and padded to 64"


def test_a_box_narrower_than_square_is_padded_not_stretched(mean_engine):
    strip = np.full((20, 300, 3), 90, np.uint8)
    mask = square_mask((20, 300), 5, 100, 10)
    out = drive(inpaint(mean_engine, InpaintRequest(strip, mask))).image
    assert fakes.MeanEngine.crops == [(64, 64, 3)]
    assert np.abs(out[mask].astype(int) - 90).max() <= 4, "the fill sees only the strip's own colour"


def test_many_small_holes(mean_engine, photo):
    rng = np.random.default_rng(1)
    mask = rng.random(photo.shape[:2]) > 0.98
    result = drive(inpaint(mean_engine, InpaintRequest(photo, mask)))
    assert np.array_equal(result.image[~mask], photo[~mask])
    assert "Filled" in result.message


def test_one_huge_hole(mean_engine, photo):
    mask = np.ones(photo.shape[:2], bool)
    mask[:4] = False
    out = drive(inpaint(mean_engine, InpaintRequest(photo, mask))).image
    assert np.array_equal(out[:4], photo[:4])


def test_whole_image_mask_is_refused_with_one_sentence(mean_engine, photo):
    with pytest.raises(InputError, match=r"^The mask covers the whole image; .* needs some known pixels"):
        drive(inpaint(mean_engine, InpaintRequest(photo, np.ones(photo.shape[:2], bool))))


def test_small_hole_in_a_24_megapixel_photo_is_filled_in_a_small_crop(mean_engine):
    image = np.zeros((4000, 6000, 3), np.uint8)
    image[..., 1] = 200
    mask = square_mask((4000, 6000), 2000, 3000, 40)
    out = drive(inpaint(mean_engine, InpaintRequest(image, mask))).image
    (region,) = find_regions(mask, 64)
    y0, y1, x0, x1 = region.box
    assert (y1 - y0) * (x1 - x0) < 100 * 100
    assert np.array_equal(out[~mask], image[~mask])
    assert abs(int(out[2020, 3020, 1]) - 200) <= 4


def test_progress_counts_regions_and_ends_at_total(mean_engine, photo):
    mask = square_mask(photo.shape[:2], 5, 5, 8) | square_mask(photo.shape[:2], 70, 100, 8)
    events = []
    drive(inpaint(mean_engine, InpaintRequest(photo, mask)), events.append)
    assert [e.step for e in events] == [0, 1, 2] and events[-1].total == 2
    assert events[-1].message == "Done"


def test_engine_previews_come_back_as_whole_images_with_scores(photo):
    mask = square_mask(photo.shape[:2], 30, 30, 20)
    with registry.registered(fakes.ITERATIVE_SPEC, "tests.engines.fakes:IterativeEngine"):
        engine = registry.create("test-iterative")
        events = []
        result = drive(inpaint(engine, InpaintRequest(photo, mask)), events.append)
    previews = [e for e in events if e.preview is not None]
    assert [e.score for e in previews] == pytest.approx([0, 1 / 3, 2 / 3])
    assert all(e.preview.shape == photo.shape for e in previews)
    assert np.array_equal(previews[0].preview[~mask], photo[~mask])
    assert "cycle 3" in previews[-1].message
    assert np.abs(result.image[40, 40].astype(int) - 180).max() <= 3


def test_an_engine_returning_the_wrong_shape_is_caught(photo):
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:WrongShape"):
        engine = registry.create("test-mean")
        with pytest.raises(RuntimeError, match="expected 1 x"):
            drive(inpaint(engine, InpaintRequest(photo, square_mask(photo.shape[:2], 3, 3, 5))))


def test_several_results_differ_by_seeded_noise(mean_engine, photo):
    mask = square_mask(photo.shape[:2], 30, 30, 20)
    result = drive(inpaint(mean_engine, InpaintRequest(photo, mask, n_results=2, seed=5)))
    first, second = (c.image for c in result.candidates)
    assert not np.array_equal(first[mask], second[mask])
    assert np.array_equal(first[~mask], second[~mask])


def test_feather_seam_spreads_the_boundary_offset_into_the_hole():
    original = np.full((40, 40, 3), 100, np.uint8)
    filled = np.full((40, 40, 3), 80, np.uint8)
    hole = square_mask((40, 40), 10, 10, 20)
    out = feather_seam(original, filled, hole, hole, feather=3.0)
    assert np.array_equal(out[~hole], filled[~hole])
    assert abs(int(out[10, 20, 0]) - 100) <= 3, "at the seam the fill takes the known colour"
    assert int(out[20, 20, 0]) == 80, "deep inside the fill is untouched"
    column = out[10:20, 20, 0].astype(int)
    assert (np.diff(column) <= 0).all(), "the correction fades monotonically"


def test_feather_seam_ignores_other_unknown_pixels():
    original = np.full((30, 30, 3), 100, np.uint8)
    original[:, :10] = 250  # an unfilled hole beside ours: its old content must not leak in
    filled = np.full((30, 30, 3), 100, np.uint8)
    hole = square_mask((30, 30), 10, 10, 10)
    unknown = hole.copy()
    unknown[:, :10] = True
    out = feather_seam(original, filled, hole, unknown, feather=3.0)
    assert np.array_equal(out, filled)
