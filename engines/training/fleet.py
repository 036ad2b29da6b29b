"""Every weight set trained at once on one machine: `main.py fleet`.

One `main.py train` child process per weight set (lskfnet, maskedface, crg, crg-quality, cfs, regionwise/faces,
regionwise/scenes: the missing ones, or those named), all bounded by the same deadline, each exporting into its run
folder every few minutes. Child processes rather than threads: each gets its own CUDA context and stream, so the
small networks' kernels interleave on the one GPU (with CUDA MPS, when asked for, they even run side by side), and a
crash takes one set down, not the fleet. The fleet writes FLEET_FILE (the plan and each child's exit code) so that
`main.py fleet-status` can show the same table from another command while the fleet runs detached.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engines.errors import InputError
from engines.imageio import write_atomic
from engines.training.families import WEIGHT_SETS, DataKind, WeightSet, fixed_size, weight_set

FLEET_FILE = "fleet.json"
ROOT = Path(__file__).resolve().parents[2]
START_MARGIN_S = 15.0  # a child's own clock starts after its imports; it ends this much before the fleet's deadline
GRACE_S = 90.0  # past the deadline a child still running gets SIGTERM (checkpoint + export), then SIGKILL
OOM_RETRIES = 2  # a child that runs out of GPU memory restarts with half its batch, this often


@dataclass(frozen=True)
class DataRoot:
    """Where a fleet's data is: a folder laid out as ../shared/datasets or as `main.py unpack` leaves it."""

    faces: Path
    masks: Path
    scenes: Path
    landmarks: Path | None
    vgg: Path | None

    @classmethod
    def find(cls, root: Path, landmarks: Path | None = None, vgg: Path | None = None) -> DataRoot:
        def first(*names: str) -> Path:
            found = next((root / n for n in names if (root / n).exists()), None)
            if found is None:
                raise InputError(f"{root}: no {' or '.join(names)} folder; give --data-root (../shared/datasets, or where "
                                 "`main.py unpack` put the shards).")
            return found

        from engines.data.pack import LANDMARKS, landmarks_cache

        landmarks = landmarks or next((p for p in (root / LANDMARKS, landmarks_cache(root / "faces128" / "train"))
                                       if p.is_file()), None)
        vgg = vgg or next((p for p in (root / "weights" / "vgg19_normalised_relu3_1.safetensors",
                                       root.parent / "weights" / "vgg19_normalised_relu3_1.safetensors") if p.is_file()), None)
        return cls(first("faces128/train"), first("masks128/train", "masks256/train"), first("scenes320/train", "scenes/train"),
                   landmarks, vgg)

    def arguments(self, chosen: WeightSet) -> list[str]:
        """The data options of `main.py train` for one weight set."""
        if chosen.data is DataKind.MASKED_FACES:
            if self.landmarks is None:
                raise InputError("maskedface needs the training faces' landmarks: run `main.py pack` (it computes them "
                                 "with dlib) or give --landmarks FILE.")
            return ["--data", str(self.faces), "--landmarks", str(self.landmarks)]
        images = self.scenes if chosen.data is DataKind.SCENES else self.faces
        return ["--data", str(images), "--masks", str(self.masks)]


def missing_sets(weights_root: Path | None = None) -> list[WeightSet]:
    """The weight sets without trained weights installed."""
    from engines import registry
    from engines.training.export import install_folder
    from engines.training.families import trainer_class

    missing = []
    for chosen in WEIGHT_SETS:
        folder = install_folder(chosen.trainer, chosen.domain, weights_root or registry.WEIGHTS_DIR)
        files = tuple(trainer_class(chosen.trainer).EXPORTS.values())
        if chosen.trainer in registry.names():
            files = registry.spec(chosen.trainer).weights  # the optional networks are not needed to count as trained
        if registry.files_state(folder, files) is not registry.WeightsState.TRAINED:
            missing.append(chosen)
    return missing


def chosen_sets(names: list[str] | None, weights_root: Path | None = None, every: bool = False) -> list[WeightSet]:
    """The sets named, else every set (``every``: a window that continues the installed ones), else the missing ones."""
    sets = [weight_set(n) for n in names] if names else list(WEIGHT_SETS) if every else missing_sets(weights_root)
    if not sets:
        raise InputError("Every weight set is trained already; name the ones to train again (--sets crg cfs ...).")
    return sets


def _write(path: Path, plan: dict) -> None:
    write_atomic(path, json.dumps(plan, indent=2).encode())


def read_plan(out: Path) -> dict:
    path = out / FLEET_FILE
    if not path.is_file():
        raise InputError(f"{out}: no fleet has run here ({FLEET_FILE} is missing).")
    return json.loads(path.read_text())


class Fleet:
    """The child processes of one `main.py fleet` and their plan (out/FLEET_FILE)."""

    def __init__(self, sets: list[WeightSet], out: Path, minutes: float, data: DataRoot, train_options: list[str],
                 batch: int | None = None, env: dict | None = None) -> None:
        self.sets, self.out, self.data, self.options = sets, out, data, train_options
        self.deadline = time.time() + 60 * minutes
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1",
                    "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // len(sets)))}
        self.processes: dict[str, subprocess.Popen] = {}
        self.plan = {"minutes": minutes, "deadline": self.deadline, "started": time.time(), "pid": os.getpid(),
                     "members": {s.slug: {"name": s.name, "batch": batch, "rc": None, "retries": 0, "init_from": None}
                                 for s in sets}}
        out.mkdir(parents=True, exist_ok=True)

    def init_from_installed(self, weights_root: Path | None = None) -> None:
        """Start each weight set that is installed from its installed weights (a later window continues training)."""
        from engines import registry
        from engines.training.export import install_folder

        for chosen in self.sets:
            folder = install_folder(chosen.trainer, chosen.domain, weights_root or registry.WEIGHTS_DIR)
            if (folder / "card.json").is_file():
                self.plan["members"][chosen.slug]["init_from"] = str(folder)

    def command(self, chosen: WeightSet) -> list[str]:
        member = self.plan["members"][chosen.slug]
        run = self.out / chosen.slug
        minutes = max(0.05, (self.deadline - time.time() - START_MARGIN_S) / 60)
        args = [sys.executable, str(ROOT / "main.py"), "train", chosen.trainer, "--out", str(run), "--minutes", f"{minutes:.3f}"]
        if (run / "checkpoint" / "state.json").is_file():  # checkpoint.has_checkpoint, without importing torch here
            args.append("--resume")
        else:
            args += self.data.arguments(chosen) + (["--domain", chosen.domain] if chosen.domain else [])
            args += ["--vgg", str(self.data.vgg)] if self.data.vgg else []
            args += ["--init-from", member["init_from"]] if member["init_from"] else []
        options = self.options
        if "--size" in options and fixed_size(chosen.trainer):
            at = options.index("--size")
            options = options[:at] + options[at + 2:]  # its networks are built for one size
        return args + options + (["--batch", str(member["batch"])] if member["batch"] else [])

    def start(self, chosen: WeightSet) -> None:
        member = self.plan["members"][chosen.slug]
        member["command"] = self.command(chosen)
        member["rc"] = None
        with (self.out / f"{chosen.slug}.log").open("a") as log:
            self.processes[chosen.slug] = subprocess.Popen(member["command"], cwd=ROOT, env=self.env, stdout=log,
                                                           stderr=subprocess.STDOUT, start_new_session=True)
        member["pid"] = self.processes[chosen.slug].pid
        _write(self.out / FLEET_FILE, self.plan)

    def start_all(self) -> None:
        for chosen in self.sets:
            self.start(chosen)

    def poll(self) -> bool:
        """Record the children that ended (restarting one that ran out of GPU memory); True while any runs."""
        now = time.time()
        for chosen in self.sets:
            process, member = self.processes[chosen.slug], self.plan["members"][chosen.slug]
            rc = process.poll()
            if rc is None:
                if now > self.deadline + GRACE_S:
                    process.send_signal(signal.SIGTERM if now < self.deadline + 2 * GRACE_S else signal.SIGKILL)
                continue
            if member["rc"] is not None:
                continue
            member["rc"] = rc
            if rc and self._out_of_memory(chosen) and member["retries"] < OOM_RETRIES and now < self.deadline - 60:
                member["retries"] += 1
                member["batch"] = max(1, (member["batch"] or _default_batch(chosen)) // 2)
                self.start(chosen)
            _write(self.out / FLEET_FILE, self.plan)
        return any(m["rc"] is None for m in self.plan["members"].values())

    def _out_of_memory(self, chosen: WeightSet) -> bool:
        log = self.out / f"{chosen.slug}.log"
        return "out of memory" in log.read_text(errors="replace")[-4000:].lower() if log.is_file() else False

    def terminate(self) -> None:
        """Ask every child to stop now: each writes its checkpoint and export, then exits."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)


def _default_batch(chosen: WeightSet) -> int:
    from engines.training.config import TrainConfig
    from engines.training.families import paper_defaults

    return paper_defaults(chosen.trainer, chosen.domain).get("batch", TrainConfig("", "", "").batch)


@contextlib.contextmanager
def mps_daemon(enabled: bool, folder: Path):
    """CUDA MPS for the fleet's lifetime (the children's kernels then share the GPU's multiprocessors at once);
    yields the environment the children need."""
    if not enabled:
        yield {}
        return
    control = shutil.which("nvidia-cuda-mps-control")
    if control is None:
        raise InputError("--mps: nvidia-cuda-mps-control is not on this machine's PATH.")
    env = {"CUDA_MPS_PIPE_DIRECTORY": str(folder / "pipe"), "CUDA_MPS_LOG_DIRECTORY": str(folder / "log")}
    for path in env.values():
        Path(path).mkdir(parents=True, exist_ok=True)
    subprocess.run([control, "-d"], env={**os.environ, **env}, check=True)
    try:
        yield env
    finally:
        subprocess.run([control], input="quit\n", text=True, env={**os.environ, **env}, check=False)


def run(fleet: Fleet, show, refresh: float) -> dict:
    """Start every child, call ``show()`` every ``refresh`` seconds until all have ended; returns the plan."""
    stopping = []

    def stop(*_):
        stopping.append(True)
        fleet.terminate()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        fleet.start_all()
        last = 0.0
        while fleet.poll():
            if time.monotonic() - last >= refresh:
                show()
                last = time.monotonic()
            time.sleep(min(1.0, refresh))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    show()
    return fleet.plan
