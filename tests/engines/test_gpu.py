"""On a CUDA GPU (skipped without one): every learned engine fills in bf16 and agrees with its CPU result, and one
training step of every weight set runs with the GPU path on (bf16 autocast, channels_last, fused Adam, batches drawn
on the GPU). Run there with `python -m pytest -m gpu tests/engines/test_gpu.py` (the README's runbook does)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engines import registry
from engines.contract import drive
from engines.training.families import WEIGHT_SETS

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; this machine has none")]

ENGINES = [("lskfnet", None), ("maskedface", None), ("crg", None), ("cfs", None), ("regionwise", "faces"), ("regionwise", "scenes")]
MEAN_TOLERANCE = 12.0  # mean |CUDA bf16 - CPU float32| over the hole, of 255 (random weights; bf16 keeps 8 bits of mantissa)


@pytest.mark.parametrize("name, domain", ENGINES, ids=[f"{n}-{d}" if d else n for n, d in ENGINES])
def test_fills_on_cuda_in_bf16_like_on_the_cpu(name, domain):
    from bench.fill_speed import OPTIONS, crop_for, fill

    engines = {}
    for device in ("cpu", "cuda"):  # the same random weights on both: networks are built on the CPU, then moved
        torch.manual_seed(0)
        engines[device] = registry.create(name, device, allow_untrained=True, domain=domain)
    crop = crop_for(engines["cpu"].spec.resolution)
    options = engines["cpu"].spec.parse_options(OPTIONS.get(name, {}))
    on_cpu = fill(engines["cpu"], crop, options)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        on_gpu = fill(engines["cuda"], crop, options)
    assert on_gpu.shape == on_cpu.shape and on_gpu.dtype == np.uint8
    assert np.array_equal(on_gpu[~crop.mask], crop.image[~crop.mask]), "pixels outside the hole unchanged"
    difference = np.abs(on_gpu.astype(float) - on_cpu)[crop.mask].mean()
    print(f"{name} {domain or ''}: mean difference in the hole {difference:.2f} / 255")
    assert difference < MEAN_TOLERANCE


@pytest.mark.parametrize("chosen", WEIGHT_SETS, ids=[s.slug for s in WEIGHT_SETS])
def test_one_training_step_of_every_set_on_cuda(chosen, tmp_path):
    from bench.train_speed import synthetic_data
    from engines.training.config import resolve
    from engines.training.families import DataKind, paper_defaults
    from engines.training.loop import train
    from engines.training.metrics import logged_steps

    synthetic_data(tmp_path / "data", count=8)
    images = tmp_path / "data" / ("scenes" if chosen.data is DataKind.SCENES else "faces")
    landmarks = str(tmp_path / "data" / "landmarks.npz") if chosen.data is DataKind.MASKED_FACES else None
    config = resolve(chosen.trainer, {"data": str(images), "out": str(tmp_path / "run"), "steps": 2, "batch": 4, "log_every": 1,
                                      "domain": chosen.domain, "landmarks": landmarks, "random_vgg": True, "device": "cuda",
                                      "generated_masks": 8}, paper_defaults(chosen.trainer, chosen.domain))
    drive(train(config))
    logged = logged_steps(tmp_path / "run")
    assert logged[-1]["step"] == 2 and logged[-1]["gpu_mem_gb"] > 0
    assert all(np.isfinite(v) for e in logged for k, v in e.items() if k.startswith(("gen_", "dis_")))
