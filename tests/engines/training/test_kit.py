"""The GPU training kit on the CPU: data shards packed and unpacked, the fleet training weight sets at once (with
PySide6 and dlib unimportable, as on the GPU machine), its exports collected within the download limits,
installed, and filled with by `main.py inpaint`."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from cli.main import main
from engines.contract import drive
from engines.errors import InputError
from engines.data.pack import pack, unpack
from engines.training.collect import MAX_FILE, MAX_FILES, collect, install
from engines.training.families import WEIGHT_SETS
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[3]
VGG = ROOT.parent / "shared" / "weights" / "vgg19_normalised_relu3_1.safetensors"
MIB = 2**20
GPU_MACHINE_LACKS = """import sys
class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'dlib'):
            raise ImportError('not on the GPU machine: ' + name)
sys.meta_path.insert(0, _Absent())
"""

needs_vgg = pytest.mark.skipif(not VGG.is_file(), reason="../shared/weights has no VGG file (the pack carries it)")


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A tiny ../shared: three faces, three masks, two scenes, the VGG file."""
    root = tmp_path_factory.mktemp("shared")
    datasets = root / "datasets"
    for folder in ("faces128/train", "masks256/train", "scenes/train"):
        (datasets / folder).mkdir(parents=True)
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        face = cv2.resize(np.roll(head if i % 2 == 0 else head[:, ::-1], 3 * i, axis=1), (128, 128), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(datasets / "faces128/train" / f"{i}.jpg"), face, [cv2.IMWRITE_JPEG_QUALITY, 90])
        mask = np.zeros((256, 256), np.uint8)
        mask[40 + 20 * i:150 + 20 * i, 30:160] = 255
        cv2.imwrite(str(datasets / "masks256/train" / f"{i:05d}.png"), mask)
    for name in ("coffee.jpg", "chelsea.jpg"):
        cv2.imwrite(str(datasets / "scenes/train" / name), cv2.imread(str(SAMPLES / name)))
    (root / "weights").mkdir()
    if VGG.is_file():
        (root / "weights" / VGG.name).write_bytes(VGG.read_bytes())
    return root


@pytest.fixture(scope="module")
def shards(shared, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kitdata")
    if not VGG.is_file():
        pytest.skip("../shared/weights has no VGG file (the pack carries it)")
    limit = VGG.stat().st_size + 100 * 1024  # the faces, their landmarks and the VGG file; then masks and scenes
    installed = out / "installed"  # one installed set, as weights/ holds it: it travels in the shards
    (installed / "crg" / "training").mkdir(parents=True)
    for name in ("crg/card.json", "crg/generator.safetensors", "crg/training/critic.safetensors"):
        (installed / name).write_bytes(name.encode())
    (installed / "crg" / "samples.png").write_bytes(b"not needed to continue")
    drive(pack(shared, out, limit=3, weights_root=installed, shard_bytes=limit, cache=out / "cache"))
    return out


@needs_vgg
def test_pack_takes_landmarks_made_before_and_refuses_another_folders(shared, shards, tmp_path):
    made_before = next((shards / "cache").glob("landmarks-*.npz"))
    limit = VGG.stat().st_size + 100 * 1024
    manifest = drive(pack(shared, tmp_path / "a", limit=3, weights_root=tmp_path / "none", shard_bytes=limit,
                          cache=tmp_path / "cache", landmarks=made_before))
    assert manifest["totals"]["landmarks"] == 1 and not (tmp_path / "cache").exists(), "dlib did not run again"
    other = tmp_path / "other.npz"
    np.savez(other, names=np.array(["elsewhere.jpg"]), landmarks=np.zeros((1, 68, 2)), sizes=np.array([[128, 128]]))
    with pytest.raises(InputError, match="no landmarks of the faces being packed"):
        drive(pack(shared, tmp_path / "b", limit=3, weights_root=tmp_path / "none", shard_bytes=limit,
                   cache=tmp_path / "cache", landmarks=other))


def _run(code: str, tmp_path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Python with PySide6, pyqtgraph and dlib unimportable, in this process and every child it starts."""
    site = tmp_path / "gpu-machine-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GPU_MACHINE_LACKS)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@needs_vgg
def test_shards_fit_the_limit_and_unpack_into_a_data_root(shards, tmp_path):
    manifest = json.loads((shards / "kit-data.json").read_text())
    files = sorted(shards.glob("kit-data-*.tgz"))
    limit = VGG.stat().st_size + 100 * 1024
    assert len(files) == len(manifest["shards"]) == 2 and all(f.stat().st_size <= limit for f in files), "a small limit splits"
    assert manifest["quality"]["faces128/train"]["psnr_db"] > 33, "WebP close to the original JPEGs"
    assert manifest["totals"] == {"faces128/train": 3, "landmarks": 1, "weights": 1, "masks128/train": 3, "scenes320/train": 2,
                                  "installed/crg": 2, "installed/crg/training": 1}
    done = _run("import cli.main, cli.kit, engines.training.fleet, engines.training.loop, engines.data.pack", tmp_path)
    assert done.returncode == 0, done.stderr
    assert any("send the other shards" in line for line in unpack(files[:1], tmp_path / "data")), "a missing shard is named"
    lines = unpack(files, tmp_path / "data", tmp_path / "weights")
    assert not any("send the other" in line for line in lines) and any("reads 0.webp" in line for line in lines), lines
    with np.load(tmp_path / "data" / "landmarks" / "faces128-train.npz") as landmarks:
        assert sorted(landmarks["names"]) == ["0.webp", "1.webp", "2.webp"] and landmarks["landmarks"].shape == (3, 68, 2)
    restored = sorted(p.relative_to(tmp_path / "weights").as_posix() for p in (tmp_path / "weights").glob("**/*") if p.is_file())
    assert restored == ["crg/card.json", "crg/generator.safetensors", "crg/training/critic.safetensors"]
    assert (tmp_path / "weights" / "crg" / "card.json").read_bytes() == b"crg/card.json"
    mask = cv2.imread(str(tmp_path / "data" / "masks128" / "train" / "00001.png"), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (128, 128) and set(np.unique(mask)) == {0, 255}


@needs_vgg
def test_pack_refuses_at_once_when_the_project_leaves_no_room(shared, tmp_path, monkeypatch):
    """A repository that carries too much (kit/'s 123 MiB were once committed) is refused before the landmarks and the
    encoding (20 minutes and 1.5 minutes on the full data), naming what takes the room."""
    import engines.data.pack as packing

    monkeypatch.setattr(packing, "folder_sizes", lambda repo=None: {"kit": 123 * MIB, "engines": 2 * MIB, "weights": 9 * MIB})
    monkeypatch.setattr(packing, "cached_landmarks", lambda *a: pytest.fail("slow work before the room was checked"))
    with pytest.raises(packing.InputError, match=r"125.0 MiB \(largest: kit 123.0 MiB, engines 2.0 MiB\)"):
        drive(pack(shared, tmp_path / "out", limit=3, cache=tmp_path / "cache"))
    assert not (tmp_path / "out").exists()

def _fake_fleet(out: Path, sizes: dict[str, tuple[list[float], list[float]]]) -> dict:
    """Exports of the real sets' sizes (MiB of generators, of discriminators) filled with random bytes."""
    plan = {"minutes": 1.0, "deadline": 0, "members": {}}
    for chosen in WEIGHT_SETS:
        generators, discriminators = sizes[chosen.slug]
        export = out / chosen.slug / "export"
        (export / "training").mkdir(parents=True)
        digests = {}
        for kind, names in (("g", generators), ("training/d", discriminators)):
            for i, mib in enumerate(names):
                path = export / f"{kind}{i}.safetensors"
                path.write_bytes(os.urandom(int(mib * MIB)))
                digests[path.relative_to(export).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        card = {"sha256": {k: v for k, v in digests.items() if not k.startswith("training/")},
                "training_sha256": {k: v for k, v in digests.items() if k.startswith("training/")}, "left_out": {}}
        (export / "card.json").write_text(json.dumps(card))
        plan["members"][chosen.slug] = {"name": chosen.name, "rc": 0, "pid": None}
    return plan


def test_collect_hands_back_everything_within_the_limits_generators_first(tmp_path):
    sizes = {"lskfnet": ([9.8, 9.8], [5.3, 5.3]), "maskedface": ([14.8], [0.7]), "crg": ([2.9, 4.4, 9.0], [3.4]),
             "crg-quality": ([0.8], []), "cfs": ([2.1, 10.1], [3.5, 3.5]), "regionwise-faces": ([2.3, 2.0], [4.3]),
             "regionwise-scenes": ([2.3, 2.0], [4.3])}  # measured at the default widths, fp16
    out = tmp_path / "runs"
    plan = _fake_fleet(out, sizes)
    rounds = []
    for index in range(3):
        target = tmp_path / f"download{index}"
        rounds.append((target, collect(out, plan, target)))
        files = list(target.iterdir())
        assert len(files) <= MAX_FILES and all(f.stat().st_size <= MAX_FILE for f in files)
        assert sum(f.stat().st_size for f in files) <= 64 * MIB
    first = rounds[0][1]["delivered"]
    assert sum(":weights:" in key for key in first) >= 5, "generators come first (smaller units fill what is left)"
    assert sum(":weights:" in key for key in first + rounds[1][1]["delivered"]) == 7
    assert not rounds[1][1]["waiting"] and rounds[2][1]["delivered"] == [], "two collects bring all; a third brings nothing new"
    weights = tmp_path / "weights"
    tars = [p for target, _ in rounds for p in target.glob("weights-*.tar")]
    lines = install(tars, weights)
    assert len(lines) == 7 and all("installed in" in line for line in lines), lines
    assert (weights / "regionwise" / "scenes" / "training" / "d0.safetensors").is_file()
    assert not (weights / "crg-quality" / "training").exists()
    damaged = tmp_path / "damaged"
    for path in tars:
        with tarfile.open(path) as tar:
            tar.extractall(damaged, filter="data")
    victim = damaged / "maskedface" / "g0.safetensors"
    victim.write_bytes(b"0" + victim.read_bytes()[1:])
    lines = install([damaged], tmp_path / "fresh")
    assert "maskedface: not installed, g0.safetensors missing or damaged (another collect brings them)" in lines, lines
    assert sum("installed in" in line for line in lines) == 6


def _fleet_and_fill(sets: list[str], shards: Path, tmp_path: Path, monkeypatch, steps: int) -> None:
    """unpack, fleet and collect as on the GPU machine; install and inpaint here."""
    data, runs, download = tmp_path / "data", tmp_path / "runs", tmp_path / "download"
    commands = [["unpack", *map(str, sorted(shards.glob("kit-data-*.tgz"))), "--to", str(data)],
                ["fleet", "--out", str(runs), "--minutes", "10", "--steps", str(steps), "--sets", *sets, "--data-root",
                 str(data), "--size", "32", "--base", "4", "--batch", "2", "--device", "cpu", "--refresh", "5"],
                ["fleet-status", "--out", str(runs), "--collect", str(download)]]
    code = "import sys; from cli.main import main\nfor args in %r:\n    assert main(args) == 0, args" % commands
    done = _run(code, tmp_path, {"INPAINT_WEIGHTS_DIR": str(tmp_path / "gpu-machine-weights")})
    assert (tmp_path / "gpu-machine-weights" / "crg" / "card.json").is_file(), "the installed set the shards carry"
    logs = "".join(p.read_text() for p in runs.glob("*.log")) if runs.is_dir() else ""
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + logs[-3000:]
    assert "handed back:" in done.stdout and "still to collect" not in done.stdout
    weights = tmp_path / "weights"
    lines = install(sorted(download.glob("weights-*.tar")), weights)
    assert len(lines) == len(sets) and all("installed in" in line for line in lines), lines
    monkeypatch.setattr("engines.registry.WEIGHTS_DIR", weights)
    mask = np.zeros((512, 512), np.uint8)
    mask[110:170, 200:270] = 255  # on the astronaut's face
    cv2.imwrite(str(tmp_path / "face_mask.png"), mask)
    scene_mask = np.zeros((400, 600), np.uint8)
    scene_mask[150:230, 250:350] = 255
    cv2.imwrite(str(tmp_path / "scene_mask.png"), scene_mask)
    for name in sets:
        if name == "crg-quality":
            continue  # a scorer: crg's fills use it once installed
        engine, _, domain = name.partition("/")
        photo, hole = ("coffee.jpg", "scene_mask.png") if domain == "scenes" else ("astronaut.jpg", "face_mask.png")
        out = tmp_path / f"filled-{engine}-{domain}.png"
        args = ["inpaint", "--engine", engine, "--image", str(SAMPLES / photo), "--mask", str(tmp_path / hole), "--out", str(out)]
        assert main(args + (["--domain", domain] if domain else [])) == 0, name
        before, after = cv2.imread(str(SAMPLES / photo)), cv2.imread(str(out))
        changed = np.abs(after.astype(int) - before).sum(-1) > 0
        assert changed[cv2.imread(str(tmp_path / hole), 0) > 0].mean() > 0.5, f"{name} filled the hole"


@needs_vgg
def test_fleet_of_two_sets_trains_collects_installs_and_fills(shards, tmp_path, monkeypatch):
    _fleet_and_fill(["lskfnet", "regionwise/scenes"], shards, tmp_path, monkeypatch, steps=3)


@needs_vgg
@pytest.mark.slow
def test_fleet_of_every_weight_set(shards, tmp_path, monkeypatch):
    _fleet_and_fill([s.name for s in WEIGHT_SETS], shards, tmp_path, monkeypatch, steps=4)
