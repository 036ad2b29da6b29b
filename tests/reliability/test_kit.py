"""The GPU kit's commands (`pack`, `gpu-plan`) with bad input: one sentence naming the file, exit 2, no traceback,
and the user's files byte-identical afterwards."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.reliability.harness import assert_refused, cli, snapshot


@pytest.fixture
def shared(tmp_path):
    """A ../shared with the folders pack looks for (empty: the refusals come before any encoding)."""
    root = tmp_path / "shared"
    for folder in ("datasets/faces128/train", "datasets/masks256/train", "datasets/scenes/train", "weights"):
        (root / folder).mkdir(parents=True)
    (root / "weights" / "vgg19_normalised_relu3_1.safetensors").write_bytes(b"")
    return root


def _text(path):
    path.write_text("not a landmarks file")


def _pickled(path):
    np.savez(path, names=np.array([{"face": 1}], dtype=object))


def _other_arrays(path):
    np.savez(path, points=np.zeros((1, 68, 2)))


@pytest.mark.parametrize("make", [_text, _pickled, _other_arrays], ids=["text", "pickled", "other-arrays"])
def test_pack_refuses_a_landmarks_file_that_is_not_one(shared, tmp_path, make):
    landmarks = tmp_path / "mine" / "landmarks.npz"
    landmarks.parent.mkdir()
    make(landmarks)
    before = snapshot(tmp_path / "mine", shared)
    outcome = cli("pack", "--shared", shared, "--to", tmp_path / "out", "--landmarks", landmarks)
    assert_refused(outcome, 2, str(landmarks), "not a landmarks file")
    assert snapshot(tmp_path / "mine", shared) == before and not list((tmp_path / "out").glob("*.tgz"))


def test_pack_names_a_missing_landmarks_file(shared, tmp_path):
    assert_refused(cli("pack", "--shared", shared, "--to", tmp_path / "out", "--landmarks", tmp_path / "none.npz"),
                   2, "none.npz", "no such file")


def test_gpu_plan_without_shards_or_outside_the_repository(tmp_path):
    assert_refused(cli("gpu-plan", "--window", "15", "--shards", tmp_path), 2, str(tmp_path), "run `main.py pack` first")
    (tmp_path / "kit-data-1.tgz").write_bytes(b"")
    (tmp_path / "kit-data.json").write_text(json.dumps({"totals": {}}))
    assert_refused(cli("gpu-plan", "--window", "15", "--shards", tmp_path), 2, "outside the repository")


def test_gpu_plan_refuses_a_window_too_short_to_train(tmp_path, monkeypatch):
    from engines.data import pack

    shards = tmp_path / "kit" / "data"
    shards.mkdir(parents=True)
    (shards / "kit-data-1.tgz").write_bytes(b"")
    (shards / "kit-data.json").write_text(json.dumps({"totals": {}}))
    monkeypatch.setattr(pack, "ROOT", tmp_path)
    assert_refused(cli("gpu-plan", "--window", "5", "--shards", shards), 2, "leaves", "use a longer window")
