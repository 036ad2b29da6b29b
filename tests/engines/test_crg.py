"""CRG: the networks, the cycle loop (known pixels, stopping rule, best cycle), initial fills, the engine through
the pipeline with every cycle reported, a training run through both phases, and a quality score that falls as
artifacts grow (a discriminator trained here on small faces)."""
from __future__ import annotations


import cv2
import numpy as np
import pytest
import torch

from engines import registry
from engines.contract import CancelToken, InpaintRequest, drive
from engines.crg.cycles import InitialFill, initial_fill, run_cycles
from engines.crg.networks import Discriminator, Encoder, Generator, Refiner
from engines.crg.quality import HEAVY, QualityDiscriminator, apply_artifact, artifact_batch
from engines.errors import Cancelled
from engines.pipeline import inpaint
from engines.training.config import TrainConfig
from engines.training.loop import train
from engines.training.metrics import logged_steps
from tests.conftest import SAMPLES
from tests.engines.faces.test_faces import synthetic_landmarks


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_network_shapes(batch):
    torch.manual_seed(0)
    g, e, d, r = (m.eval() for m in (Generator(8), Encoder(8), Discriminator(8), Refiner(8)))
    with torch.no_grad():
        faces = g(torch.randn(batch, 128))
        assert faces.shape == (batch, 3, 128, 128) and (faces.min() >= 0 if batch else True)
        assert e(faces).shape == (batch, 128) and d(faces).shape == (batch,)
        assert r(faces, torch.zeros(batch, 1, 128, 128)).shape == (batch, 3, 128, 128)
    with pytest.raises(ValueError, match="multiples of 64"):
        r(torch.rand(1, 3, 96, 96), torch.zeros(1, 1, 96, 96))
    with pytest.raises(ValueError, match="128 x 128"):
        e(torch.rand(1, 3, 64, 64))


def test_shipped_widths_fit_the_weights_limit():
    for cls in (Generator, Encoder, Refiner):
        assert sum(p.numel() for p in cls(64).parameters()) * 2 < 16 * 2**20, f"{cls.__name__} at the shipping width 64"


def _scene():
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    hole = torch.zeros(1, 1, 16, 16)
    hole[..., 4:12, 4:12] = 1
    return image, hole


def _scripted(scores):
    """A step that moves the hole towards 1 and a score that reads the next scripted value."""
    calls = iter(scores)
    return (lambda x: x * 0.5 + 0.5), (lambda x: next(calls))


def _run(scores, min_cycles=10, max_cycles=30):
    image, hole = _scene()
    step, score = _scripted(scores)
    cycles = []
    work = run_cycles(step, score, image, hole, initial_fill(image, hole, InitialFill.MEAN, None, torch.Generator()),
                      min_cycles, max_cycles, CancelToken())
    while True:
        try:
            cycles.append(next(work))
        except StopIteration as stop:
            best = stop.value
            break
    return image, hole, cycles, best


def test_every_cycle_keeps_the_known_pixels_exact():
    image, hole, cycles, _ = _run(np.linspace(0.1, 0.5, 30))
    for cycle in cycles:
        assert torch.equal(cycle.image * (1 - hole), image * (1 - hole))
        assert not torch.equal(cycle.image * hole, image * hole)


def test_runs_at_least_min_cycles_then_stops_when_the_score_stops_rising():
    peak_early = [0.1, 0.3, 0.5, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    _, _, cycles, best = _run(peak_early)
    assert len(cycles) == 10 and best.index == 4 and best.score == 0.9
    rising_then_falling = list(np.linspace(0.1, 0.6, 13)) + [0.5, 0.4]
    _, _, cycles, best = _run(rising_then_falling)
    assert len(cycles) == 14 and best.index == 13, "past the minimum it stops at the first fall and keeps the peak"
    _, _, cycles, best = _run(np.linspace(0.1, 0.9, 30), max_cycles=20)
    assert len(cycles) == 20 and best.index == 20, "a score that keeps rising stops at the maximum"


def test_without_a_scorer_it_runs_the_minimum_and_keeps_the_last():
    image, hole = _scene()
    work = run_cycles(lambda x: x * 0.5, None, image, hole, image, 3, 30, CancelToken())
    seen = []
    with pytest.raises(StopIteration) as stop:
        while True:
            seen.append(next(work))
    assert [c.index for c in seen] == [1, 2, 3] and stop.value.value.index == 3 and stop.value.value.score is None


def test_the_loop_can_be_cancelled_between_cycles():
    image, hole = _scene()
    token = CancelToken()
    work = run_cycles(lambda x: x, None, image, hole, image, 10, 10, token)
    next(work)
    token.cancel()
    with pytest.raises(Cancelled):
        next(work)


def test_initial_fills_mean_noise_and_strokes():
    image, hole = _scene()
    generator = torch.Generator().manual_seed(0)
    mean = initial_fill(image, hole, InitialFill.MEAN, None, generator)
    known = image[..., hole[0, 0] == 0]
    assert torch.allclose(mean[..., 8, 8], known.mean(-1), atol=1e-6)
    noise = initial_fill(image, hole, InitialFill.NOISE, None, generator)
    assert abs(noise[..., 4:12, 4:12].mean().item() - 0.5) < 0.1 and noise[..., 4:12, 4:12].std() > 0.2
    strokes = torch.zeros(1, 4, 16, 16)
    strokes[:, 3, 6, :] = 1  # an opaque black line across the image
    drawn = initial_fill(image, hole, InitialFill.MEAN, strokes, generator)
    assert torch.equal(drawn[..., 6, 4:12], torch.zeros(1, 3, 8)), "strokes are laid in the hole as drawn"
    assert torch.equal(drawn[..., 6, :4], image[..., 6, :4]), "strokes outside the hole do not touch known pixels"


def _face_photo():
    image = cv2.resize(cv2.imread(str(SAMPLES / "coffee.jpg"))[:, :, ::-1], (100, 120))
    mask = np.zeros((120, 100), bool)
    mask[40:60, 25:75] = True  # the eye band of the synthetic landmarks
    return np.ascontiguousarray(image), mask


class _FakeScorer:
    """Scores rise for four cycles, then fall: the engine must stop after min_cycles and keep cycle 4."""

    def __init__(self):
        self.calls = 0
        self.model = self
        self.device = "cpu"

    def __call__(self, image):
        self.calls += 1
        cycle = (self.calls - 1) % 7 + 1
        return torch.tensor([1.0 - abs(cycle - 4) * 0.1])

    def to(self, device):
        return self


def _diffusing_crg():
    """The engine with E(G(.)) replaced by a 3x3 box blur and the refiner by a pass-through: random networks map
    every input to nearly the same face, so the plumbing of initial fills is tested with a map that keeps them."""
    engine = registry.create("crg", "cpu", allow_untrained=True)
    engine.encoder = torch.nn.Identity()
    engine.generator = torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    engine.refiner = lambda coarse, hole: coarse
    return engine


def test_engine_reports_every_cycle_and_different_initial_fills_give_different_results():
    engine = _diffusing_crg()
    engine.scorer = _FakeScorer()
    image, mask = _face_photo()
    request = InpaintRequest(image, mask, n_results=2, faces=(synthetic_landmarks(),),
                             options={"min_cycles": 6, "max_cycles": 12, "refine": "yes"})
    events = []
    result = drive(inpaint(engine, request), events.append)
    cycles = [e for e in events if "cycle" in e.message and e.preview is not None]
    assert [e.score for e in cycles[:6]] == pytest.approx([0.7, 0.8, 0.9, 1.0, 0.9, 0.8])
    assert any("refined (from cycle 4)" in e.message for e in events)
    assert all(np.array_equal(e.preview[~mask], image[~mask]) for e in cycles)
    first, second = (c.image for c in result.candidates)
    assert np.array_equal(first[~mask], image[~mask]) and np.array_equal(second[~mask], image[~mask])
    assert np.abs(first[mask].astype(int) - second[mask].astype(int)).mean() > 1, "mean fill and noise fill differ"


def test_engine_without_a_scorer_says_so_and_uses_the_strokes():
    engine = _diffusing_crg()
    engine.scorer = None
    image, mask = _face_photo()
    sketch = np.zeros((*mask.shape, 4), np.uint8)
    sketch[48:52, 25:75] = (0, 0, 0, 255)
    options = {"min_cycles": 2, "max_cycles": 4, "refine": "no"}
    events = []
    plain = drive(inpaint(engine, InpaintRequest(image, mask, faces=(synthetic_landmarks(),), options=options)), events.append)
    assert sum("not scored" in e.message for e in events) == 2
    drawn = drive(inpaint(engine, InpaintRequest(image, mask, sketch, faces=(synthetic_landmarks(),), options=options)))
    assert not np.array_equal(plain.image, drawn.image), "strokes change the initial fill and so the result"
    untrained = registry.create("crg", "cpu", allow_untrained=True)
    untrained.scorer = None
    result = drive(inpaint(untrained, InpaintRequest(image, mask, faces=(synthetic_landmarks(),), options=options)))
    assert np.array_equal(result.image[~mask], image[~mask]) and (result.image[mask] != image[mask]).any()


def test_training_runs_both_phases_and_exports(tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        cv2.imwrite(str(faces / f"{i}.png"), cv2.resize(np.roll(head, 4 * i, axis=1), (128, 128)))
    config = TrainConfig(engine="crg", data=str(faces), out=str(tmp_path / "run"), steps=4, batch=2, base=8,
                         generated_masks=4, sample_every=4, log_every=1, device="cpu")
    events = []
    drive(train(config), events.append)
    assert [e.message.split(":")[0] for e in events] == ["gan", "gan", "gan", "refine"]
    logged = logged_steps(tmp_path / "run")
    assert {"gen_adv", "gen_rec_l1", "gen_latent", "dis_adv"} <= set(logged[0])
    assert {"gen_refine_l1", "gen_refine_style", "gen_coarse_hole_l1"} <= set(logged[-1])
    assert all(np.isfinite(v) for entry in logged for k, v in entry.items() if k.startswith("gen_"))
    assert cv2.imread(str(tmp_path / "run" / "samples" / "0000004.png")).shape == (128 * 2, 128 * 6, 3)
    from engines.training.export import export

    folder = export(tmp_path / "run", "crg", tmp_path / "weights")
    assert registry.weights_state("crg", tmp_path / "weights") is registry.WeightsState.TRAINED
    engine = registry.create("crg", "cpu", weights_dir=folder)
    assert engine.generator.first == 64, "the width comes from the file"


def test_score_falls_as_artifacts_grow_after_a_short_training():
    """A synthetic check on this machine: the quality discriminator, trained briefly on 32 px faces, ranks four
    strengths of each artifact in order (averaged over held-out faces)."""
    torch.manual_seed(0)
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320][:, :, ::-1]
    faces = torch.stack([torch.from_numpy(cv2.resize(np.roll(head, s, axis=a), (32, 32), interpolation=cv2.INTER_AREA).copy())
                         for s in range(-12, 13, 3) for a in (0, 1)]).permute(0, 3, 1, 2).float() / 255
    mask = torch.zeros(len(faces), 1, 32, 32)
    mask[..., 8:24, 6:26] = 1
    model = QualityDiscriminator(32)
    optimiser = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    train_faces, held_out = faces[:14], faces[14:]
    for _ in range(150):
        images, labels = artifact_batch(train_faces, mask[:14], generator)
        loss = torch.nn.functional.binary_cross_entropy(model(images), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    for kind, (low, high) in HEAVY.items():
        strengths = np.linspace(low, high, 4) if kind == "blur" else np.linspace(high, low, 4)
        with torch.no_grad():
            scores = [model(torch.stack([apply_artifact(f, m, kind, float(v)) for f, m in zip(held_out, mask)])).mean().item()
                      for v in strengths]
        assert scores == sorted(scores, reverse=True), (kind, scores)
