from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines import registry
from tests.engines import fakes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"


@pytest.fixture
def photo() -> np.ndarray:
    """A small real photo (96 x 128) for fills that should look like something."""
    import cv2

    image = cv2.imread(str(SAMPLES / "coffee.jpg"))[:, :, ::-1]
    return np.ascontiguousarray(cv2.resize(image, (128, 96), interpolation=cv2.INTER_AREA))


@pytest.fixture
def mean_engine():
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:MeanEngine"):
        fakes.MeanEngine.crops = []
        yield registry.create("test-mean")


def square_mask(shape: tuple[int, int], y: int, x: int, size: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y:y + size, x:x + size] = True
    return mask
