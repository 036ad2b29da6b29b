"""Safe early stopping: phases as shares of a step or time budget, steps counted per network, exports that refuse
or leave out untrained networks (and engines that run correctly with what they got), a deadline-stopped run that
resumes, and --init-from shipped weights."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from engines import registry
from engines.base import Crop
from engines.contract import CancelToken, drive
from engines.errors import InputError
from engines.training.config import TrainConfig, resolve, resumed
from engines.training.export import stage_run
from engines.training.families import paper_defaults, trainer_class
from engines.training.loop import train
from engines.training.metrics import logged_steps
from engines.training.schedule import Phase, Schedule, check_phases
from tests.conftest import SAMPLES

PHASES = (Phase("a", 0.25, ("g1", "d1")), Phase("b", 0.75, ("g2",)))


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faces")
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), cv2.resize(np.roll(head, 4 * i, axis=1), (128, 128), interpolation=cv2.INTER_AREA))
    return folder


def test_phases_follow_the_step_budget_or_the_clock_whichever_runs_out_first():
    by_steps = Schedule(PHASES, steps=8, seconds=None)
    assert [by_steps.phase(by_steps.progress(s, 0.0)).name for s in range(8)] == ["a", "a"] + ["b"] * 6
    by_time = Schedule(PHASES, steps=None, seconds=100.0)
    assert [by_time.phase(by_time.progress(10**6, t)).name for t in (0, 24, 26, 99)] == ["a", "a", "b", "b"]
    assert by_time.progress(0, 100.0) == 1.0
    both = Schedule(PHASES, steps=100, seconds=100.0)
    assert both.progress(50, 10.0) == 0.5 and both.progress(10, 60.0) == 0.6
    resumed_run = Schedule(PHASES, steps=None, seconds=10.0, start_progress=0.5)
    assert resumed_run.progress(0, 0.0) == 0.5 and resumed_run.progress(0, 5.0) == 0.75, "new time spent on what remains"
    by_steps.trained(PHASES[0])
    by_steps.trained(PHASES[1])
    assert by_steps.network_steps == {"g1": 1, "d1": 1, "g2": 1}
    with pytest.raises(ValueError, match="add up to 1"):
        check_phases(PHASES[:1], {"g1", "d1"})
    with pytest.raises(ValueError, match="unknown networks: g2"):
        check_phases(PHASES, {"g1", "d1"})


def test_defaults_live_in_one_place_and_resume_takes_only_what_may_change(tmp_path):
    config = resolve("maskedface", {"data": "d", "out": "o", "batch": None}, paper_defaults("maskedface", None))
    assert (config.lr, config.batch, config.steps, config.amp) == (2e-4, 16, 20_000, "auto"), "the paper's lr, generic rest"
    assert resolve("crg-quality", {"data": "d", "out": "o"}, paper_defaults("crg-quality", None)).batch == 128
    assert resolve("regionwise", {"data": "d", "out": "o", "domain": "scenes"}, paper_defaults("regionwise", "scenes")).size == 256
    timed = resolve("lskfnet", {"data": "d", "out": "o", "minutes": 5.0}, {})
    assert timed.steps is None and timed.minutes == 5.0
    again = resumed(config, {"steps": 20_000, "amp": "bf16", "data": "moved"}, str(tmp_path / "copy"))
    assert (again.steps, again.amp, again.data, again.out) == (20_000, "bf16", "moved", str(tmp_path / "copy"))
    assert resumed(timed, {"steps": 50}, "o").minutes is None, "a new budget replaces the other kind"
    with pytest.raises(InputError, match="--base cannot change when resuming"):
        resumed(config, {"base": 64}, "o")


# engine, extra settings, steps: enough for each phase to get at least one step
PHASED = [("lskfnet", {"size": 32}, 3), ("cfs", {"size": 32}, 3), ("regionwise", {"size": 32, "domain": "faces"}, 4),
          ("crg", {}, 4)]


@pytest.mark.parametrize("engine, extra, steps", PHASED, ids=[p[0] for p in PHASED])
def test_an_export_of_a_run_stopped_in_any_phase_ships_only_trained_networks(engine, extra, steps, faces, tmp_path):
    config = TrainConfig(engine=engine, data=str(faces), out=str(tmp_path / "run"), steps=steps, batch=2, base=4,
                         generated_masks=4, checkpoint_minutes=0, sample_every=10**6, log_every=10**6, device="cpu", **extra)
    family = trainer_class(engine)
    outcomes = []

    def export_now(event):  # a checkpoint is written after every step: export it as if the run had been stopped here
        folder = tmp_path / f"export{event.step}"
        counted = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())["network_steps"]
        try:
            outcomes.append((event.step, counted, stage_run(tmp_path / "run", engine, folder), folder))
        except InputError as refused:
            outcomes.append((event.step, counted, str(refused), folder))

    drive(train(config), export_now)
    assert len(outcomes) == steps
    optional = {o.file for o in registry.spec(engine).optional_weights}
    for step, counted, card, folder in outcomes:
        needed_untrained = [m for m, file in family.EXPORTS.items() if not counted.get(m) and file not in optional]
        if isinstance(card, str):
            assert "not trained yet" in card and not folder.exists(), card
            assert needed_untrained, "refused only for an untrained network the engine needs"
            continue
        assert not needed_untrained
        steps_of = card["network_steps"]
        assert set(card["sha256"]) == {file for model, file in family.EXPORTS.items() if steps_of[model] > 0}
        assert all(steps_of[model] > 0 for model, file in family.EXPORTS.items() if file not in card["left_out"])
        domain = extra.get("domain")
        engine_instance = registry.create(engine, "cpu", weights_dir=folder, domain=domain)
        size = engine_instance.spec.resolution
        mask = np.zeros((size, size), bool)
        mask[size // 3:size // 2, size // 4:size // 2] = True
        crop = Crop(cv2.resize(cv2.imread(str(faces / "0.png"))[:, :, ::-1], (size, size)), mask, None, 1)
        options = engine_instance.spec.parse_options({})
        messages = []
        filled = drive(engine_instance.fill(crop, options, np.random.default_rng(0), CancelToken()), lambda e: messages.append(e.message))
        assert filled[0].shape == crop.image.shape and filled[0].dtype == np.uint8
        if engine == "crg":
            refined = "refiner.safetensors" in card["sha256"]
            assert refined == (step == steps), "the refiner trains in the last phase only"
            assert any("refined" in m for m in messages) == refined, "an untrained refiner never runs"
            assert ("Refine off" in engine_instance.note) == (not refined)
            if not refined:
                assert card["left_out"]["refiner.safetensors"].startswith("U-Net refiner not trained yet")
                assert registry.missing_optional("crg", folder)[0].option == "refine"
    refused = [step for step, _, card, _ in outcomes if isinstance(card, str)]
    expected_refusals = {"lskfnet": [1], "cfs": [1, 2], "regionwise": [], "crg": []}[engine]
    assert refused == expected_refusals, "only an export before a needed network's first step is refused"


class Clock:
    """The loop's monotonic clock, advancing a fixed tick per reading: a time budget then runs the same number of
    steps however busy the machine is."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def monotonic(self) -> float:
        self.now += self.tick
        return self.now

    def time(self) -> float:
        import time

        return time.time()


def test_a_run_stopped_by_its_deadline_resumes_and_init_from_loads_shipped_weights(faces, tmp_path, monkeypatch):
    monkeypatch.setattr("engines.training.loop.time", Clock(0.5))
    run = tmp_path / "run"
    config = resolve("lskfnet", {"data": str(faces), "out": str(run), "minutes": 0.2, "batch": 1, "size": 32, "base": 4,
                                 "generated_masks": 4, "sample_every": 10**6, "log_every": 1, "device": "cpu"}, {})
    drive(train(config))
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    assert state["progress"] == 1.0 and state["step"] >= 1, "the deadline ended the run, its schedule complete"
    card = json.loads((run / "export" / "card.json").read_text())
    assert card["network_steps"]["g2"] > 0 and (run / "export" / "sample.png").is_file(), "every phase trained in the time"
    drive(train(resumed(config, {"minutes": 0.2}, str(run)), resume=True))
    again = json.loads((run / "checkpoint" / "state.json").read_text())
    assert again["step"] > state["step"] and again["network_steps"]["g1"] > state["network_steps"]["g1"]
    second_pass = [e["phase"] for e in logged_steps(run) if e["step"] > state["step"]]
    assert second_pass[0] == "edge", "a finished schedule resumed with new time runs its phases again"

    assert all(v.dtype == torch.float16 for v in load_file(str(run / "export" / "image.safetensors")).values())
    started = resolve("lskfnet", {"data": str(faces), "out": str(tmp_path / "next"), "steps": 1, "batch": 1, "size": 32,
                                  "base": 4, "generated_masks": 4, "device": "cpu", "init_from": str(run / "export")}, {})
    work = train(started)
    next(work)  # the networks are built and loaded before the first step
    start = json.loads((tmp_path / "next" / "metrics.jsonl").read_text().splitlines()[0])
    assert start["init_from"]["loaded"] == ["g1", "d1", "g2", "d2"], "generators and the discriminators from training/"
    drive(work)
    carried = json.loads((tmp_path / "next" / "checkpoint" / "state.json").read_text())["network_steps"]
    previous = again["network_steps"]
    assert (carried["g1"], carried["g2"]) == (previous["g1"] + 1, previous["g2"]), "counts continue from the shipped card"
    wider = resolve("lskfnet", {"data": str(faces), "out": str(tmp_path / "wide"), "steps": 1, "size": 32, "base": 8,
                                "device": "cpu", "init_from": str(run / "export")}, {})
    with pytest.raises(InputError, match="does not fit this run"):
        drive(train(wider))
