"""The trainer table: which engines can be trained, where their trainer lives, and the weight sets a fleet
trains (read without importing torch; the editor's training tab and `main.py fleet` list from here)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum

from engines.errors import InputError

TRAINERS = {
    "lskfnet": "engines.lskfnet.trainer:LskfnetTrainer",
    "maskedface": "engines.maskedface.trainer:MaskedFaceTrainer",
    "cfs": "engines.cfs.trainer:CfsTrainer",
    "regionwise": "engines.regionwise.trainer:RegionwiseTrainer",  # --domain faces or scenes
    "crg": "engines.crg.trainer:CrgTrainer",  # encoder, generator and U-Net refiner
    "crg-quality": "engines.crg.quality_trainer:QualityTrainer",  # CRG's quality discriminator, a face scorer
}


def trainer_class(engine: str):
    """The trainer of ``engine`` (imports torch)."""
    if engine not in TRAINERS:
        raise InputError(f"No trainer for {engine!r}; trainable engines: {', '.join(TRAINERS)}.")
    module, name = TRAINERS[engine].split(":")
    return getattr(importlib.import_module(module), name)


def paper_defaults(engine: str, domain: str | None) -> dict:
    """The engine's own hyper-parameters (its trainer's DEFAULTS); a domain brings its resolution as the size."""
    defaults = dict(trainer_class(engine).DEFAULTS)
    if fixed_size(engine):
        defaults["size"] = fixed_size(engine)
    if domain is not None:
        from engines import registry

        defaults.setdefault("size", registry.spec(engine).domain(domain).resolution)
    return defaults


def fixed_size(engine: str) -> int | None:
    """The one image size an engine's networks train at, when they are not fully convolutional."""
    return getattr(trainer_class(engine), "FIXED_SIZE", None)


class DataKind(StrEnum):
    """What a weight set trains on, in a data root laid out as ../shared/datasets is (and `main.py pack` packs)."""

    FACES = "faces"  # faces128/train + masks256/train
    MASKED_FACES = "masked_faces"  # faces128/train + their landmarks (Algorithm-1 face masks are drawn on them)
    SCENES = "scenes"  # scenes/train + masks256/train


@dataclass(frozen=True)
class WeightSet:
    trainer: str  # a key of TRAINERS
    domain: str | None
    data: DataKind

    @property
    def name(self) -> str:
        """As installed under weights/: ``crg``, ``regionwise/scenes``."""
        return f"{self.trainer}/{self.domain}" if self.domain else self.trainer

    @property
    def slug(self) -> str:
        """A file-name-safe name: ``regionwise-scenes``."""
        return self.name.replace("/", "-")


WEIGHT_SETS = (
    WeightSet("lskfnet", None, DataKind.FACES),
    WeightSet("maskedface", None, DataKind.MASKED_FACES),
    WeightSet("crg", None, DataKind.FACES),
    WeightSet("crg-quality", None, DataKind.FACES),
    WeightSet("cfs", None, DataKind.FACES),
    WeightSet("regionwise", "faces", DataKind.FACES),
    WeightSet("regionwise", "scenes", DataKind.SCENES),
)


def weight_set(name: str) -> WeightSet:
    """By name (``crg``, ``regionwise/scenes`` or ``regionwise-scenes``); an unknown name lists the known ones."""
    for candidate in WEIGHT_SETS:
        if name in (candidate.name, candidate.slug):
            return candidate
    raise InputError(f"No weight set {name!r}; weight sets: {', '.join(s.name for s in WEIGHT_SETS)}.")
