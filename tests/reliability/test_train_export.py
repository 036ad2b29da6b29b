"""``train``, ``eval`` and ``export`` with bad folders, bad runs and damaged checkpoints, and the weights loader with
files that match their card but cannot be used (see cases.py). A run folder is the user's: byte-identical after."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from engines import registry
from tests.reliability.cases import Case, table
from tests.reliability.conftest import train_args
from tests.reliability.harness import assert_refused, cli, mask, photo, snapshot


@pytest.fixture(scope="module")
def trained_run(train_data, tmp_path_factory):
    run = tmp_path_factory.mktemp("trained") / "run"
    done = cli(*train_args(train_data, run, 2))
    assert done.code == 0, done.text
    return run


def _train(data_of, *extra: str, new_run: bool = False):
    """A new run is written beside the inputs; a refused one is asked for among them (and must not appear)."""

    def setup(inputs, tmp, ctx):
        return train_args(data_of(inputs, ctx), (tmp if new_run else inputs) / "run", 2, *extra)

    return setup


def _data(inputs, ctx):
    return ctx["data"]


def _folder(name: str, make=None):
    def data_of(inputs, ctx):
        if make:
            make(inputs / name)
        return inputs / name

    return data_of


def _with_a_damaged_image(inputs, ctx):
    shutil.copytree(ctx["data"], inputs / "data")
    (inputs / "data" / "bad.png").write_bytes(b"\x89PNG not really")
    return inputs / "data"


def _engine(engine: str, *extra: str):
    def setup(inputs, tmp, ctx):
        args = train_args(ctx["data"], inputs / "run", 2, *extra)
        args[1] = engine
        return args

    return setup


def _resume(damage=None, engine: str = "crg-quality"):
    """A copy of a trained run (the user's), damaged, then resumed."""

    def setup(inputs, tmp, ctx):
        run = inputs / "run"
        shutil.copytree(ctx["run"], run)
        if damage:
            damage(run / "checkpoint")
        args = train_args(ctx["data"], run, 4, "--resume")
        args[1] = engine
        return args

    return setup


def _truncate(name: str):
    return lambda folder: (folder / name).write_bytes((folder / name).read_bytes()[:100])


def _pickled(folder):
    torch.save({"weight": torch.zeros(3)}, folder / "quality.safetensors")


def _narrower(folder):
    """Weights of a network of another width: every tensor fits nowhere."""
    from engines.crg.quality import QualityDiscriminator

    state = {k: v[..., :1].contiguous() if v.ndim else v for k, v in QualityDiscriminator().state_dict().items()}
    save_file(state, str(folder / "quality.safetensors"))


def _exported(action: str, engine: str = "crg-quality", damage=None, run: str = "run"):
    def setup(inputs, tmp, ctx):
        if run == "run":
            shutil.copytree(ctx["run"], inputs / "run")
            if damage:
                damage(inputs / "run" / "checkpoint")
        if action == "export":
            return ["export", inputs / run, "--engine", engine, "--to", tmp / "weights"]
        photo(inputs / "val" / "a.png", size=(32, 32))
        mask(inputs / "masks" / "a.png", size=(32, 32))
        return ["eval", engine, "--run", inputs / run, "--images", inputs / "val", "--masks", inputs / "masks", "--size", "32"]

    return setup


def _failing(target: str, number: int):
    """``target`` (a function that writes files) fails as on a full disk or a read-only file system."""

    def fail(*args, **kwargs):
        raise OSError(number, os.strerror(number))

    return lambda ctx: ctx["mp"].setattr(target, fail)


def _faulty(setup, fault):
    def faulty(inputs, tmp, ctx):
        args = setup(inputs, tmp, ctx)
        fault(ctx)
        return args

    return faulty


CASES = {
    "data-missing": Case(_train(_folder("nowhere")), 2, ("--data", "nowhere", "no such folder")),
    "data-empty": Case(_train(_folder("empty", lambda p: p.mkdir())), 2, ("--data", "empty", "no images")),
    "data-is-a-file": Case(_train(_folder("a.png", lambda p: photo(p))), 2, ("a.png", "is a file")),
    "data-with-a-damaged-image": Case(_train(_with_a_damaged_image), 2, ("bad.png", "not a readable image")),
    "engine-needs-no-training": Case(_engine("telea"), 2, ("'telea' needs no training", "trainable engines")),
    "engine-unknown": Case(_engine("nope"), 2, ("'nope' cannot be trained",)),
    "domain-missing": Case(_engine("regionwise"), 2, ("regionwise", "add --domain")),
    "domain-unknown": Case(_engine("regionwise", "--domain", "moon"), 2, ("no domain 'moon'",)),
    "masks-missing": Case(_train(_data, "--masks", "/nowhere/masks"), 2, ("--masks", "nowhere", "no such folder")),
    "landmarks-missing": Case(_engine("maskedface", "--landmarks", "/nowhere/l.npz"), 2, ("l.npz", "no such file")),
    "landmarks-not-given": Case(_engine("maskedface"), 2, ("maskedface needs --landmarks",)),
    "resume-without-a-run": Case(_train(_data, "--resume"), 2, ("run", "no training run to resume")),
    "resume-as-another-engine": Case(_resume(engine="cfs"), 2, ("is a crg-quality run, not cfs",)),
    "resume-truncated-optimizers": Case(_resume(_truncate("optimizers.pt")), 2, ("optimizers.pt", "damaged or truncated")),
    "resume-truncated-weights": Case(_resume(_truncate("quality.safetensors")), 2, ("quality.safetensors", "truncated")),
    "resume-pickle-as-weights": Case(_resume(_pickled), 2, ("quality.safetensors", "pickle", "not loaded")),
    "resume-weights-of-another-width": Case(_resume(_narrower), 2, ("quality.safetensors", "do not fit", "another shape")),
    "resume-damaged-config": Case(_resume(lambda f: (f / "config.json").write_text("{not json")), 2, ("config.json", "damaged")),
    "resume-without-state": Case(_resume(lambda f: (f / "state.json").unlink()), 2, ("no checkpoint to resume from",)),
    "start-over-an-existing-run": Case(_resume(), 0, ("Run in",)),
    "export-missing-run": Case(_exported("export", run="nowhere"), 2, ("nowhere", "no training run to export")),
    "export-as-another-engine": Case(_exported("export", engine="lskfnet"), 2, ("is a crg-quality run, not lskfnet",)),
    "export-truncated-weights": Case(_exported("export", damage=_truncate("quality.safetensors")), 2,
                                     ("quality.safetensors", "truncated")),
    "train-disk-full-at-a-checkpoint": Case(_faulty(_train(_data, new_run=True), _failing("engines.training.checkpoint.write_tensors", errno.ENOSPC)),
                                            2, ("run: No space left on device while training", "last checkpoint")),
    "export-to-a-read-only-folder": Case(_faulty(_exported("export"), _failing("engines.training.export.write_tensors", errno.EROFS)),
                                         2, ("weights: Read-only file system while installing", "unchanged")),
    "eval-missing-run": Case(_exported("eval", run="nowhere"), 2, ("nowhere", "no training run to evaluate")),
}


@pytest.mark.parametrize("case", table(CASES))
def test_train_export(case: Case, tmp_path, monkeypatch, train_data, trained_run):
    inputs = tmp_path / "in"
    inputs.mkdir()
    args = case.setup(inputs, tmp_path, {"data": train_data, "run": trained_run, "mp": monkeypatch})
    before = snapshot(inputs)
    outcome = cli(*args)
    monkeypatch.undo()
    assert_refused(outcome, case.code, *case.needles)
    if case.code:
        assert snapshot(inputs) == before


def test_training_on_a_gpu_that_is_not_there(tmp_path, train_data):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    outcome = cli(*train_args(train_data, tmp_path / "run", 2, "--device", "cuda"))
    assert_refused(outcome, 2, "CUDA", "sees no GPU")
    assert not (tmp_path / "run").exists()


def _installed(root, damage=None, card=None) -> None:
    """lskfnet weights (random, width 8) installed under ``root`` with a card that matches the files as they are."""
    from engines.lskfnet.networks import EdgeGenerator, ImageGenerator

    folder = root / "lskfnet"
    folder.mkdir(parents=True)
    for name, make in (("edge", EdgeGenerator), ("image", ImageGenerator)):
        save_file(make(8).state_dict(), str(folder / f"{name}.safetensors"), metadata={"base": "8"})
    if damage:
        damage(folder)
    sha = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in folder.glob("*.safetensors")}
    (folder / "card.json").write_text(card if card is not None else json.dumps({"sha256": sha}))


def _labelled(base: str):
    """The same tensors, labelled with another width in the file's metadata."""

    def damage(folder):
        path = folder / "edge.safetensors"
        save_file(load_file(str(path)), str(path), metadata={"base": base})

    return damage


WEIGHTS = {
    "weights-truncated": (_truncate("edge.safetensors"), None, ("edge.safetensors", "truncated")),
    "weights-empty": (lambda f: (f / "edge.safetensors").write_bytes(b""), None, ("edge.safetensors", "empty")),
    "weights-a-renamed-pickle": (lambda f: torch.save({"w": torch.zeros(2)}, f / "edge.safetensors"), None,
                                 ("edge.safetensors", "pickle", "not loaded")),
    "weights-of-another-width": (_labelled("4"), None, ("edge.safetensors", "do not fit")),
    "weights-width-not-a-number": (_labelled("wide"), None, ("edge.safetensors", "'wide'")),
    "card-sha256-not-a-table": (None, json.dumps({"sha256": "abc"}), ("lskfnet", "do not match their card")),
    "card-not-json": (None, "{oops", ("lskfnet", "do not match their card")),
}


@pytest.mark.parametrize(("damage", "card", "needles"), [pytest.param(*v, id=k) for k, v in WEIGHTS.items()])
def test_weights_that_cannot_be_used(tmp_path, monkeypatch, damage, card, needles):
    _installed(tmp_path / "weights", damage, card)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path / "weights")
    photo(tmp_path / "in" / "photo.png")
    mask(tmp_path / "in" / "mask.png")
    before = snapshot(tmp_path / "weights", tmp_path / "in")
    listing = cli("engines")
    assert listing.code == 0 and "Traceback" not in listing.text
    outcome = cli("inpaint", "--engine", "lskfnet", "--image", tmp_path / "in" / "photo.png", "--mask", tmp_path / "in" / "mask.png",
                  "--out", tmp_path / "out.png")
    assert_refused(outcome, 2, *needles)
    assert snapshot(tmp_path / "weights", tmp_path / "in") == before
