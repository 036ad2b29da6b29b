"""gpu-plan: a window's device commands fit the window and the tool's limits, train first, and continue installed
weight sets when the shards carry them."""
from __future__ import annotations

import json

import pytest

from cli.main import main
from engines.training import window
from engines.training.window import plan

SHARDS = ["kit/data/kit-data-1.tgz", "kit/data/kit-data-2.tgz"]


@pytest.mark.parametrize("minutes", [15, 30])
@pytest.mark.parametrize("first, speed", [(False, False), (True, False), (True, True)])
def test_every_command_fits_the_window_and_training_comes_first(minutes, first, speed):
    trains, calls = plan(minutes, SHARDS, first=first, measure_speed=speed)
    assert calls[-1].ends_min <= minutes and all(a.ends_min < b.ends_min for a, b in zip(calls, calls[1:]))
    assert [c.carry for c in calls if c.carry] == [(s,) for s in SHARDS], "each shard carried once, in order"
    assert all(len(c.command) <= window.COMMAND_MAX for c in calls)
    fleet = [i for i, c in enumerate(calls) if "main.py fleet " in c.command]
    checks = [i for i, c in enumerate(calls) if "first_window.sh" in c.command]
    assert len(fleet) == 1 and f"--minutes {trains:g} " in calls[fleet[0]].command
    assert checks == ([len(calls) - 1] if first else []), "the checks run once the fleet is done and collected"
    assert ("MEASURE_SPEED=1" in calls[-1].command) == speed
    fleet_end = window.START_MIN + len(SHARDS) * (window.CALL_MIN + window.UNPACK_MIN) + trains
    assert [c for c in calls if "--watch" in c.command][-1].ends_min >= fleet_end, "watched until the fleet's deadline"
    assert trains >= minutes - 7 - (2.8 if first else 0) - (5.5 if speed else 0)


def test_shards_with_installed_sets_make_the_fleet_continue_them():
    _, fresh = plan(15, SHARDS)
    _, continued = plan(15, SHARDS, continue_installed=True, fleet_options="--batch 64")
    assert "--init-from-installed" not in " ".join(c.command for c in fresh)
    assert "--data-root /tmp/kitdata --init-from-installed --batch 64 >" in " ".join(c.command for c in continued)


def test_a_window_too_short_to_train_is_refused():
    with pytest.raises(ValueError, match="leaves .* minutes to train"):
        plan(8, SHARDS, first=True)


def test_gpu_plan_says_to_move_committed_weights_aside(tmp_path, monkeypatch, capsys):
    from engines.data import pack

    shards = tmp_path / "kit" / "data"
    shards.mkdir(parents=True)
    (shards / "kit-data-1.tgz").write_bytes(b"")
    (shards / "kit-data.json").write_text(json.dumps({"totals": {"faces128/train": 3, "installed/crg": 2}}))
    assert main(["gpu-plan", "--window", "15", "--shards", str(shards)]) == 2
    assert "outside the repository" in capsys.readouterr().err, "a device command carries only the repository"

    monkeypatch.setattr(pack, "ROOT", tmp_path)
    monkeypatch.setattr(pack, "aside_bytes", lambda root: 70 * pack.MIB)
    assert main(["gpu-plan", "--window", "15", "--shards", str(shards)]) == 0
    out = capsys.readouterr().out
    assert "mv weights ../weights-aside" in out and "70.0 MiB" in out and "mv ../weights-aside weights" in out
    assert "continuing the installed weight sets" in out and "--init-from-installed" in out
    assert "carry kit/data/kit-data-1.tgz" in out
    assert "After every command, fetch the files it handed back" in out and "install dl/*.tar" in out, "nothing left behind"


def test_a_fleet_that_continues_installed_sets_trains_every_set_unless_named(tmp_path):
    from engines.training.families import WEIGHT_SETS
    from engines.training.fleet import chosen_sets

    assert chosen_sets(None, tmp_path, every=True) == list(WEIGHT_SETS), "installed ones continue, the rest start"
    assert [s.name for s in chosen_sets(["crg", "regionwise/scenes"], tmp_path, every=True)] == ["crg", "regionwise/scenes"]
