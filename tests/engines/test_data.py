"""Training data: edges, generated masks, mask folders with index.csv, bins, deterministic batches."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engines.data.bank import Crop, draw_batch, load_bank
from engines.data.edges import canny
from engines.data.masks import bin_label, bin_of, free_form_mask, mask_index
from engines.evaluation.metrics import l1, psnr, ssim


def test_canny_finds_the_edge_of_a_square():
    grey = np.zeros((40, 40), np.uint8)
    grey[10:30, 10:30] = 200
    edges = canny(grey, sigma=1.0)
    assert edges[10:30, 9:12].any() and not edges[20, 20] and not edges[0, 0]
    with pytest.raises(ValueError, match="uint8 grey"):
        canny(grey.astype(float))


def test_free_form_masks_are_seeded_and_sensible():
    a, b = free_form_mask(64, np.random.default_rng(1)), free_form_mask(64, np.random.default_rng(1))
    assert np.array_equal(a, b) and 0.01 < a.mean() < 0.9


def test_bins():
    assert bin_of(0.15) == (0.1, 0.2) and bin_of(0.05) is None and bin_of(0.5) is None
    assert bin_label(0.4, 0.5) == "40-50 %"


def test_mask_index_reads_ratios_from_a_parent_index(tmp_path):
    (tmp_path / "train").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "train" / "a.png")
    (tmp_path / "index.csv").write_text("file,hole_ratio\na.png,0.25\n")
    assert mask_index(tmp_path) == [(tmp_path / "train" / "a.png", 0.25)]
    assert mask_index(tmp_path / "train") == [(tmp_path / "train" / "a.png", 0.25)]


@pytest.fixture
def faces(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), np.uint8)).save(tmp_path / f"{i}.png")
    return tmp_path


def test_bank_and_batches_are_deterministic(faces):
    bank = load_bank(faces, None, 32, Crop.CENTRE, generated_masks=20)
    assert bank.images.shape == (5, 3, 32, 32) and bank.edges.shape == (5, 1, 32, 32) and bank.masks.shape == (20, 1, 32, 32)
    a, b, c = draw_batch(bank, 3, 0, 7), draw_batch(bank, 3, 0, 7), draw_batch(bank, 3, 0, 8)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["image"], c["image"]) or not torch.equal(a["mask"], c["mask"])
    assert a["image"].dtype == torch.float32 and 0 <= a["image"].min() and a["image"].max() <= 1
    assert set(a) == {"image", "mask", "grey", "edge"} and a["grey"].shape == (3, 1, 32, 32)


def test_random_crops_for_scenes(faces):
    bank = load_bank(faces, None, 16, Crop.RANDOM, generated_masks=4)
    assert bank.images.shape[-1] == 20 and bank.edges is None
    assert draw_batch(bank, 2, 0, 0)["image"].shape == (2, 3, 16, 16)


def test_metrics_hand_computed():
    a = np.zeros((8, 8, 3), np.uint8)
    b = np.full((8, 8, 3), 51, np.uint8)
    assert l1(a, b) == pytest.approx(0.2)
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 51**2))
    assert psnr(a, a) == float("inf")
    noisy = np.random.default_rng(0).integers(0, 255, (32, 32, 3), np.uint8)
    assert ssim(noisy, noisy) == pytest.approx(1.0) and ssim(noisy, 255 - noisy) < 0
