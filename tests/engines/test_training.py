"""Training end to end on tiny data: one step per model, exact resume, 2-process DDP (gloo), train/eval/export."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from engines import registry
from engines.contract import CancelToken, drive
from engines.registry import WeightsState
from engines.training.config import TrainConfig
from engines.training.loop import train
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """Six 128 px crops of the astronaut's head (face engines are evaluated on faces), shifted and flipped."""
    folder = tmp_path_factory.mktemp("faces")
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(6):
        variant = np.roll(head if i % 2 else head[:, ::-1], 4 * i, axis=1)
        Image.fromarray(variant).resize((128, 128), Image.Resampling.LANCZOS).save(folder / f"{i}.png")
    return folder


def _config(data: Path, out: Path, steps: int = 4) -> TrainConfig:
    return TrainConfig(engine="lskfnet", data=str(data), out=str(out), steps=steps, batch=2, size=32, base=8,
                       generated_masks=16, sample_every=2, log_every=1, device="cpu")


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return {f"{name}.{k}": v for name in ("g1", "d1", "g2", "d2")
            for k, v in load_file(str(run / "checkpoint" / f"{name}.safetensors")).items()}


def test_every_phase_trains_each_model(tiny_data, tmp_path):
    events = []
    drive(train(_config(tiny_data, tmp_path / "run", steps=3)), events.append)
    assert [e.message.split(":")[0] for e in events] == ["edge", "inpaint", "joint"]
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["event"] == "start" and "vgg" in lines[0]
    assert "gen_edge_adv" in lines[1] and "gen_image_style" in lines[2] and "dis_image_adv" in lines[3]
    assert all(np.isfinite(v) for line in lines[1:] for k, v in line.items() if k.startswith(("gen_", "dis_")))
    assert (tmp_path / "run" / "samples" / "0000002.png").is_file()
    assert any((tmp_path / "run" / "tensorboard").iterdir())


def test_resume_after_a_stop_gives_the_same_weights(tiny_data, tmp_path):
    torch.use_deterministic_algorithms(True)
    try:
        drive(train(_config(tiny_data, tmp_path / "straight")))
        token = CancelToken()
        stopped = []

        def stop_after_two(event):
            stopped.append(event.step)
            if event.step == 2:
                token.cancel()

        drive(train(_config(tiny_data, tmp_path / "resumed"), cancel=token), stop_after_two)
        assert json.loads((tmp_path / "resumed" / "checkpoint" / "state.json").read_text())["step"] == 3
        drive(train(TrainConfig.load(tmp_path / "resumed" / "checkpoint" / "config.json"), resume=True))
    finally:
        torch.use_deterministic_algorithms(False)
    straight, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_stop_file_checkpoints_and_exits(tiny_data, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "STOP").touch()  # left over from an earlier stop: not a request to this run
    events = []

    def stop_after_two(event):
        events.append(event)
        if event.step == 2:
            (run / "STOP").touch()

    drive(train(_config(tiny_data, run, steps=50)), stop_after_two)
    assert events[-1].message == "stopped; checkpoint saved" and events[-1].step == 3, "checked after every step"
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == 3


def _main(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_two_process_ddp_with_gloo(tiny_data, tmp_path):
    done = _main("-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "main.py", "train", "lskfnet",
                 "--data", str(tiny_data), "--out", str(tmp_path / "ddp"), "--steps", "3", "--batch", "2", "--size", "32",
                 "--base", "8", "--device", "cpu", env={"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    start = json.loads((tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()[0])
    assert start["world"] == 2
    assert json.loads((tmp_path / "ddp" / "checkpoint" / "state.json").read_text())["step"] == 3


def test_train_eval_export_from_the_command_line(tiny_data, tmp_path):
    run, weights = tmp_path / "run", tmp_path / "weights"
    masks = tmp_path / "masks"
    masks.mkdir()
    for i, side in enumerate((56, 68, 80, 88, 52, 64, 76, 84)):  # holes of about 19 .. 47 % of 128 x 128
        mask = np.zeros((128, 128), np.uint8)
        mask[30:30 + side, 20:20 + side] = 255
        Image.fromarray(mask).save(masks / f"{i}.png")
    trained = _main("main.py", "train", "lskfnet", "--data", str(tiny_data), "--out", str(run), "--steps", "3", "--batch", "2",
                    "--size", "32", "--base", "8", "--device", "cpu")
    assert trained.returncode == 0, trained.stderr[-3000:]
    again = _main("main.py", "train", "lskfnet", "--data", str(tiny_data), "--out", str(run), "--steps", "3")
    assert again.returncode == 2 and "use --resume" in again.stderr
    evaluated = _main("main.py", "eval", "lskfnet", "--run", str(run), "--images", str(tiny_data), "--masks", str(masks),
                      "--limit", "2", "--per-bin", "1", "--size", "128", "--device", "cpu")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "40-50 %  telea" in evaluated.stdout and "lskfnet" in evaluated.stdout
    exported = _main("main.py", "export", str(run), "--engine", "lskfnet", "--to", str(weights))
    assert exported.returncode == 0, exported.stderr[-3000:]
    card = json.loads((weights / "lskfnet" / "card.json").read_text())
    assert card["steps"] == 3 and card["device"] == "cpu" and len(card["eval"]) == 8
    assert "research" in card["data"]["note"] and set(card["sha256"]) == {"edge.safetensors", "image.safetensors"}
    assert registry.weights_state("lskfnet", weights) is WeightsState.TRAINED
    assert (weights / "lskfnet" / "edge.safetensors").stat().st_size < 16 * 2**20
