"""main.py eval's additions: thin scratch and text masks, the VGG distance in the hole, seconds per fill."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from engines import registry
from engines.contract import drive
from engines.data.masks import thin_masks
from engines.evaluation.evaluate import evaluate, format_table
from engines.losses.vgg import find_vgg_weights
from tests.conftest import SAMPLES


def test_thin_masks_are_seeded_thin_and_not_empty():
    masks = thin_masks(128, 3, seed=1)
    assert set(masks) == {"scratches", "text"} and all(len(v) == 3 for v in masks.values())
    assert all(np.array_equal(a, b) for a, b in zip(masks["text"], thin_masks(128, 3, seed=1)["text"]))
    for mask in masks["scratches"] + masks["text"]:
        assert mask.any() and mask.mean() < 0.1
        inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)
        assert inside.max() <= 4, "no part of a scratch or a letter is wider than 8 px at 128 px"


@pytest.mark.skipif(find_vgg_weights() is None, reason="no VGG weights file (../shared/weights or INPAINT_VGG_WEIGHTS)")
def test_eval_on_thin_masks_with_the_perceptual_distance(tmp_path):
    from engines.evaluation.perceptual import HoleDistance

    image = cv2.resize(cv2.imread(str(SAMPLES / "coffee.jpg"))[:, :, ::-1], (64, 64), interpolation=cv2.INTER_AREA)
    for i in range(2):
        Image.fromarray(np.ascontiguousarray(np.roll(image, 5 * i, axis=1))).save(tmp_path / f"{i}.png")
    distance = HoleDistance()
    hole = np.zeros((64, 64), bool)
    hole[20:40, 20:40] = True
    assert distance(image, image, hole) == 0
    assert distance(image, cv2.blur(image, (9, 9)), hole) > 0.1
    rows = drive(evaluate({"telea": registry.create("telea")}, tmp_path, thin_masks(64, 2), size=64, per_bin=2, perceptual=True))
    assert {row["bin"] for row in rows} == {"scratches", "text"}
    assert all(row["vgg_hole_l1"] > 0 and row["s_per_fill"] > 0 for row in rows)
    assert "vgg hole l1" in format_table(rows).splitlines()[0]
