from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def train_data(tmp_path_factory):
    """Four 32 px images: enough for two steps of the quickest trainer (crg-quality: no VGG; it works at 128 px)."""
    folder = tmp_path_factory.mktemp("train_data")
    for i in range(4):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (32, 32, 3), np.uint8)).save(folder / f"{i}.png")
    return folder


def train_args(data, out, steps: int = 2, *extra: str) -> list[str]:
    return ["train", "crg-quality", "--data", str(data), "--out", str(out), "--steps", str(steps), "--batch", "2",
            "--device", "cpu", "--masks-generated", "4", "--log-every", "1", *extra]
