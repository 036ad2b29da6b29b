"""Issue 17's data-loss cases: each of these overwrote or lost something of the user's before it was fixed."""
from __future__ import annotations

import json
import shutil
import signal

from tests.reliability.conftest import train_args
from tests.reliability.harness import assert_refused, cli, mask, photo, signalled, snapshot


def _step(run) -> int:
    return json.loads((run / "checkpoint" / "state.json").read_text())["step"]


def test_several_results_never_overwrite_the_photo_given_as_out(tmp_path):
    photo(tmp_path / "photo.jpg")
    mask(tmp_path / "mask.png")
    before = snapshot(tmp_path)
    done = cli("inpaint", "--engine", "telea", "--image", tmp_path / "photo.jpg", "--mask", tmp_path / "mask.png",
               "--out", tmp_path / "photo.jpg", "--n-results", "2")  # telea gives one result: it would go to --out itself
    assert_refused(done, 2, "photo.jpg", "originals are never overwritten")
    assert snapshot(tmp_path) == before


def test_paired_batch_into_the_parent_of_its_inputs_is_refused(tmp_path):
    ds = tmp_path / "ds"
    photo(ds / "original" / "a.jpg")
    mask(ds / "mask" / "a.png", colour=(200, 200, 200))
    before = snapshot(ds)
    done = cli("batch", "--engine", "telea", "--paired", "--images", ds / "original", "--masks", ds / "mask", "--out", ds)
    assert_refused(done, 2, "original", "input folder")
    assert snapshot(ds) == before


def test_paired_batch_refuses_two_photos_that_share_a_stem(tmp_path):
    photo(tmp_path / "in" / "a.jpg", 1)
    photo(tmp_path / "in" / "a.png", 2)
    mask(tmp_path / "m.png")
    done = cli("batch", "--engine", "telea", "--paired", "--images", tmp_path / "in", "--masks", tmp_path / "m.png", "--out", tmp_path / "out")
    assert_refused(done, 2, "a.jpg", "a.png", "same name")
    assert not (tmp_path / "out" / "mask").exists(), "checked before any work"


def test_resume_trains_the_run_in_out_not_the_one_it_was_copied_from(train_data, tmp_path):
    a, b = tmp_path / "runs" / "A", tmp_path / "runs" / "B"
    assert cli(*train_args(train_data, a, 2)).code == 0
    shutil.copytree(a, b)
    before = snapshot(a)
    done = cli(*train_args(train_data, b, 3, "--resume"))
    assert done.code == 0, done.text
    assert snapshot(a) == before, "the run it was copied from is untouched"
    assert _step(b) == 3


def test_resume_of_a_moved_run_continues_it_where_it_now_is(train_data, tmp_path):
    a, c = tmp_path / "runs" / "A", tmp_path / "runs" / "C"
    assert cli(*train_args(train_data, a, 2)).code == 0
    a.rename(c)
    done = cli(*train_args(train_data, c, 3, "--resume"))
    assert done.code == 0, done.text
    assert not a.exists(), "the old folder is not recreated"
    assert _step(c) == 3
    assert json.loads((c / "metrics.jsonl").read_text().splitlines()[-1])["step"] == 3, "continued from step 2, not 0"


def test_ctrl_c_during_training_writes_a_checkpoint(train_data, tmp_path):
    run = tmp_path / "run"

    def stepping() -> bool:
        metrics = run / "metrics.jsonl"
        return metrics.is_file() and '"step"' in metrics.read_text().split("\n", 1)[-1]

    done = signalled(train_args(train_data, run, 100_000), stepping, signal.SIGINT)
    assert "Traceback" not in done.err, done.err
    assert done.code == 128 + signal.SIGINT, done.err
    assert _step(run) >= 1 and "checkpoint" in done.text
