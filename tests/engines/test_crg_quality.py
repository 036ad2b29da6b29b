"""CRG's quality discriminator: size, artifacts, a training step, and (with trained weights) falling scores."""
from __future__ import annotations


import numpy as np
import pytest
import torch
from PIL import Image

from engines.contract import drive
from engines.crg.quality import HEAVY, KINDS, QualityDiscriminator, apply_artifact, artifact_batch
from engines.crg.scorer import load_scorer
from engines.training.config import TrainConfig
from engines.training.loop import train
from engines.training.metrics import logged_steps
from tests.conftest import SAMPLES


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_shapes_and_size(batch):
    model = QualityDiscriminator().eval()
    scores = model(torch.rand(batch, 3, 128, 128))
    assert scores.shape == (batch,) and ((scores > 0) & (scores < 1)).all()
    assert abs(sum(p.numel() for p in model.parameters()) - 437_000) < 2_000, "about 437k parameters, as in the paper"


def _face() -> tuple[torch.Tensor, torch.Tensor]:
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg").resize((256, 256)))[20:148, 64:192]
    image = torch.from_numpy(head.astype(np.float32) / 255).permute(2, 0, 1)
    mask = torch.zeros(1, 128, 128)
    mask[:, 40:100, 30:100] = 1
    return image, mask


@pytest.mark.parametrize("kind", KINDS)
def test_artifacts_stay_in_the_mask_and_grow_with_strength(kind):
    image, mask = _face()
    low, high = HEAVY[kind]
    mild, strong = (high, low) if kind != "blur" else (low, high)  # brightness/contrast: lower factor = stronger
    changes = []
    for value in (mild, strong):
        out = apply_artifact(image, mask, kind, value)
        assert torch.equal(out * (1 - mask), image * (1 - mask)), "pixels outside the mask are kept"
        changes.append((out - image).abs().sum().item())
    assert 0 < changes[0] < changes[1]
    with pytest.raises(ValueError, match="unknown artifact"):
        apply_artifact(image, mask, "noise", 1.0)


def test_artifact_batch_labels_half_real_half_distorted():
    image, mask = _face()
    images, labels = artifact_batch(image.expand(6, -1, -1, -1), mask.expand(6, -1, -1, -1), torch.Generator().manual_seed(0))
    assert labels.tolist() == pytest.approx([0.9, 0.1] * 3)
    assert all(not torch.equal(images[i], image) for i in (1, 3, 5))


def test_one_training_step_and_export(tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        Image.fromarray(np.roll(head, 5 * i, axis=1)).resize((64, 64)).save(faces / f"{i}.png")
    config = TrainConfig(engine="crg-quality", data=str(faces), out=str(tmp_path / "run"), steps=2, batch=4, size=128,
                         generated_masks=8, sample_every=1, log_every=1, device="cpu")
    drive(train(config))
    last = logged_steps(tmp_path / "run")[-1]
    assert {"dis_bce", "dis_real_score", "dis_artifact_score"} <= set(last) and np.isfinite(last["dis_bce"])
    from engines.training.export import export

    export(tmp_path / "run", "crg-quality", tmp_path / "weights")
    assert (tmp_path / "weights" / "crg-quality" / "quality.safetensors").is_file()


def test_no_scorer_without_trained_weights(tmp_path):
    assert load_scorer(tmp_path) is None


@pytest.mark.skipif(load_scorer() is None, reason="no trained quality discriminator in weights/crg-quality (needs a GPU run)")
def test_trained_scores_fall_as_artifacts_grow():
    scorer = load_scorer()
    image, mask = _face()
    for kind in KINDS:
        low, high = HEAVY[kind]
        values = np.linspace(low, high, 4) if kind == "blur" else np.linspace(high, low, 4)
        crops = [(apply_artifact(image, mask, kind, float(v)).permute(1, 2, 0).numpy() * 255).astype(np.uint8) for v in values]
        scores = scorer.score_faces(crops)
        assert scores == sorted(scores, reverse=True), (kind, scores)
