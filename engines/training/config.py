"""TrainConfig: every setting of a run, saved with each checkpoint; the one place its defaults live.

A run's settings are resolved in three layers: these generic defaults, then the engine's paper hyper-parameters
(each trainer's ``DEFAULTS``), then what the user gave. The CLI and the editor's training tab pass only what the
user set, so a default is written down once, here or beside the trainer that owns it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from engines.errors import InputError

DEFAULT_STEPS = 20_000  # a run given neither --steps nor --minutes


@dataclass
class TrainConfig:
    engine: str
    data: str
    out: str
    masks: str | None = None
    landmarks: str | None = None  # .npz from `main.py landmarks` (maskedface)
    domain: str | None = None  # engines with several weight sets (regionwise: faces or scenes)
    val: str | None = None
    steps: int | None = None  # None with minutes: bounded by time only
    minutes: float | None = None  # the run ends this long after it starts (data loading included), every phase inside
    batch: int = 16
    lr: float = 1e-4
    size: int = 128
    base: int = 32  # generator width
    seed: int = 0
    amp: str = "auto"  # auto: bf16 on CUDA, none on the CPU; or none / bf16
    limit: int | None = None  # use only the first N images (smoke runs)
    generated_masks: int = 2000
    edge_sigma: float = 2.0
    gan: str = "nsgan"
    checkpoint_minutes: float = 5.0
    export_every: float | None = None  # minutes between exports into RUN/export (fp16 weights, card, sample grid)
    init_from: str | None = None  # an exported folder (weights/E, RUN/export) to start from
    vgg: str | None = None  # the VGG features file; None: looked for (INPAINT_VGG_WEIGHTS, ../shared, torch hub)
    random_vgg: bool = False  # train with a fixed-seed random VGG when no file is found (weak losses; asked for)
    compile: bool = False  # torch.compile the networks (measure first: bench/train_speed.py --compile)
    sample_every: int = 500
    log_every: int = 20
    device: str = "auto"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(path.read_text()).items() if k in known})


# Settings a resumed run may change; the others define what the checkpoint's networks and data are.
RESUMABLE = frozenset({"steps", "minutes", "batch", "lr", "amp", "checkpoint_minutes", "export_every", "sample_every",
                       "log_every", "device", "compile", "data", "masks", "landmarks", "val", "vgg", "random_vgg"})


def resolve(engine: str, given: dict, paper_defaults: dict | None = None) -> TrainConfig:
    """A new run's config: generic defaults < the engine's paper defaults < ``given`` (None = not given)."""
    chosen = {k: v for k, v in given.items() if v is not None}
    unknown = set(chosen) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
    merged = {**(paper_defaults or {}), **chosen, "engine": engine}
    if merged.get("steps") is None and merged.get("minutes") is None:
        merged["steps"] = DEFAULT_STEPS
    missing = [name for name in ("data", "out") if not merged.get(name)]
    if missing:
        raise InputError(f"Give --{missing[0]} for a new training run.")
    return TrainConfig(**merged)


def resumed(saved: TrainConfig, given: dict, out: str) -> TrainConfig:
    """The saved config of a run being resumed, with what the user changed (only ``RESUMABLE`` settings)."""
    chosen = {k: v for k, v in given.items() if v is not None and k not in ("engine", "out")}
    fixed = sorted(k for k, v in chosen.items() if k not in RESUMABLE and v != getattr(saved, k))
    if fixed:
        name = fixed[0]
        raise InputError(f"--{name.replace('_', '-')} cannot change when resuming (the run has {getattr(saved, name)!r}); "
                         "start a new run with --init-from RUN/export instead.")
    if given.get("engine") not in (None, saved.engine):
        raise InputError(f"{out} is a {saved.engine} run, not {given['engine']}.")
    for budget, other in (("minutes", "steps"), ("steps", "minutes")):
        if budget in chosen and other not in chosen:
            chosen[other] = None  # a new budget replaces the saved one of the other kind rather than racing it
    return replace(saved, **chosen, out=out)
