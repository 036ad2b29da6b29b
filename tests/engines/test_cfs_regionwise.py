"""CFS and the region-wise GAN: sketches, networks, a training step each, the engines through the pipeline
(CFS with the user's strokes, region-wise per domain), domain weights and the sketch accuracy in eval."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from engines import registry
from engines.cfs.networks import Discriminator, ImageGenerator, SketchGenerator
from engines.contract import InpaintRequest, drive
from engines.data.sketch import sketch_map
from engines.errors import EngineUnavailable, InputError
from engines.evaluation.evaluate import format_table
from engines.pipeline import inpaint
from engines.regionwise.networks import PerceivingNet, RegionDiscriminator, SemanticNet
from engines.training.config import TrainConfig
from engines.training.export import export
from engines.training.loop import train
from engines.training.metrics import logged_steps
from tests.conftest import SAMPLES, square_mask
from tests.engines.faces.test_faces import synthetic_landmarks


def test_sketches_are_soft_lines_on_structure_and_empty_on_flat_grey():
    grey = cv2.cvtColor(cv2.imread(str(SAMPLES / "astronaut.jpg")), cv2.COLOR_BGR2GRAY)
    sketch = sketch_map(grey)
    assert sketch.shape == grey.shape and sketch.dtype == np.uint8
    assert 0.02 < (sketch > 127).mean() < 0.4, "lines, not everything"
    assert ((sketch > 20) & (sketch < 235)).mean() > 0.01, "soft, not binary like Canny"
    assert sketch_map(np.full((64, 64), 128, np.uint8)).max() == 0
    with pytest.raises(ValueError, match="uint8 grey"):
        sketch_map(grey.astype(np.float32))


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_network_shapes(batch):
    torch.manual_seed(0)
    x, hole = torch.rand(batch, 3, 32, 32), torch.zeros(batch, 1, 32, 32)
    grey = x[:, :1]
    with torch.no_grad():
        sketch = SketchGenerator(8).eval()(grey, grey, hole)
        assert sketch.shape == (batch, 1, 32, 32)
        assert ImageGenerator(8).eval()(x, sketch, hole).shape == (batch, 3, 32, 32)
        assert Discriminator(2, 8)(torch.cat([sketch, grey], 1))[0].shape == (batch, 1, 4, 4)
        assert SemanticNet(8).eval()(x, hole).shape == (batch, 3, 32, 32)
        assert PerceivingNet(8).eval()(x, hole).shape == (batch, 3, 32, 32)
        assert RegionDiscriminator(8)(x, hole).shape == (batch, 1, 4, 4)


def test_shipped_widths_fit_the_weights_limit():
    for model in (SketchGenerator(), ImageGenerator(), SemanticNet(), PerceivingNet()):
        assert sum(p.numel() for p in model.parameters()) * 2 < 16 * 2**20, type(model).__name__


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), cv2.resize(np.roll(head, 4 * i, axis=1), (64, 64)))
    return folder


def _train(engine, data, out, steps, **extra):
    config = TrainConfig(engine=engine, data=str(data), out=str(out), steps=steps, batch=2, size=64, base=8,
                         generated_masks=4, sample_every=steps, log_every=1, device="cpu", **extra)
    events = []
    drive(train(config), events.append)
    return [e.message.split(":")[0] for e in events], logged_steps(out)


def test_cfs_trains_the_sketch_then_the_image_generator(faces, tmp_path):
    phases, logged = _train("cfs", faces, tmp_path / "run", 3)
    assert phases == ["sketch", "sketch", "image"]
    assert {"gen_sketch_adv", "gen_sketch_fm", "gen_sketch_accuracy", "dis_sketch_adv"} <= set(logged[0])
    assert 0 <= logged[0]["gen_sketch_accuracy"] <= 1
    assert {"gen_image_l1", "gen_image_perceptual", "gen_image_style", "gen_image_fm", "dis_image_adv"} <= set(logged[-1])
    assert all(np.isfinite(v) for entry in logged for k, v in entry.items() if k.startswith("gen_"))
    assert cv2.imread(str(tmp_path / "run" / "samples" / "0000003.png")).shape == (64 * 2, 64 * 5, 3)


def test_regionwise_trains_per_domain_and_installs_into_the_domain_folder(faces, tmp_path):
    with pytest.raises(ValueError, match="--domain faces or scenes|--domain scenes or faces"):
        _train("regionwise", faces, tmp_path / "none", 1)
    phases, logged = _train("regionwise", faces, tmp_path / "run", 4, domain="faces")
    assert phases == ["pretrain", "pretrain", "pretrain", "adversarial"]
    assert "gen_adv" not in logged[0] and {"gen_reconstruction", "gen_correlation", "gen_style"} <= set(logged[0])
    assert {"gen_adv", "dis_adv"} <= set(logged[-1])
    folder = export(tmp_path / "run", "regionwise", tmp_path / "weights")
    assert folder == tmp_path / "weights" / "regionwise" / "faces"
    assert json.loads((folder / "card.json").read_text())["domain"] == "faces"
    assert registry.trained_domains("regionwise", tmp_path / "weights") == ["faces"]
    assert registry.weights_state("regionwise", tmp_path / "weights") is registry.WeightsState.TRAINED
    assert registry.weights_state("regionwise", tmp_path / "weights", "scenes") is registry.WeightsState.MISSING


def test_domains_choose_resolution_and_face_alignment(photo):
    scenes = registry.create("regionwise", "cpu", allow_untrained=True)
    assert scenes.spec.resolution == 256 and not scenes.spec.uses("face")
    mask = square_mask(photo.shape[:2], 30, 40, 30)
    result = drive(inpaint(scenes, InpaintRequest(photo, mask)))
    assert np.array_equal(result.image[~mask], photo[~mask]) and (result.image[mask] != photo[mask]).any()
    faces = registry.create("regionwise", "cpu", allow_untrained=True, domain="faces")
    assert faces.spec.resolution == 128 and faces.spec.uses("face")
    with pytest.raises(InputError, match="No face was found"):
        drive(inpaint(faces, InpaintRequest(photo, mask)))
    with pytest.raises(InputError, match="no domain 'cats' .domains: scenes, faces"):
        registry.create("regionwise", "cpu", allow_untrained=True, domain="cats")
    with pytest.raises(EngineUnavailable, match="--domain does not apply"):
        registry.create("telea", domain="faces")
    with pytest.raises(EngineUnavailable, match="cannot run for faces: no trained weights"):
        registry.create("regionwise", "cpu", domain="faces")


def _face_photo():
    image = cv2.resize(cv2.imread(str(SAMPLES / "coffee.jpg"))[:, :, ::-1], (100, 120))
    mask = np.zeros((120, 100), bool)
    mask[36:46, 25:75] = True
    return np.ascontiguousarray(image), mask


def test_cfs_takes_the_users_strokes_as_the_sketch_in_the_hole():
    engine = registry.create("cfs", "cpu", allow_untrained=True)
    given = []
    colour = engine.gi
    engine.gi = lambda image, sketch, hole: (given.append(sketch.clone()), colour(image, sketch, hole))[1]
    image, mask = _face_photo()
    sketch = np.zeros((*mask.shape, 4), np.uint8)
    sketch[40:42, 25:75] = (0, 0, 0, 255)  # a line across the hole
    faces = (synthetic_landmarks(),)
    events = []
    drawn = drive(inpaint(engine, InpaintRequest(image, mask, sketch, faces=faces)), events.append)
    previews = [e for e in events if e.preview is not None]
    assert "your sketch" in previews[0].message
    assert previews[0].preview[41, 50].max() < 60, "the stroke shows as a dark line in the sketch preview"
    plain_events = []
    plain = drive(inpaint(engine, InpaintRequest(image, mask, faces=faces)), plain_events.append)
    assert "sketch completed" in [e for e in plain_events if e.preview is not None][0].message
    assert np.array_equal(drawn.image[~mask], image[~mask]) and np.array_equal(plain.image[~mask], image[~mask])
    drawn_sketch, plain_sketch = given
    assert not torch.equal(drawn_sketch, plain_sketch), "the image generator is guided by the user's lines"


def test_cfs_reports_its_sketch_accuracy_in_eval():
    engine = registry.create("cfs", "cpu", allow_untrained=True)
    original = cv2.resize(cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320][:, :, ::-1], (128, 128))
    figures = engine.diagnostics(np.ascontiguousarray(original), square_mask((128, 128), 40, 40, 40))
    assert 0 <= figures["sketch_accuracy_percent"] <= 100
    row = {"engine": "cfs", "bin": "10-20 %", "count": 1, "l1_percent": 1.0, "psnr": 30.0, "ssim": 0.9, **figures}
    assert "sketch accuracy percent" in format_table([row]).splitlines()[0]
