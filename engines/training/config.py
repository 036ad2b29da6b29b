"""TrainConfig: every setting of a run, saved with each checkpoint."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass
class TrainConfig:
    engine: str
    data: str
    out: str
    masks: str | None = None
    landmarks: str | None = None  # .npz from `main.py landmarks` (maskedface)
    domain: str | None = None  # engines with several weight sets (regionwise: faces or scenes)
    val: str | None = None
    steps: int = 20_000
    batch: int = 16
    lr: float = 1e-4
    size: int = 128
    base: int = 32  # generator width
    seed: int = 0
    amp: str = "none"  # "bf16" on CUDA
    limit: int | None = None  # use only the first N images (smoke runs)
    generated_masks: int = 2000
    edge_sigma: float = 2.0
    gan: str = "nsgan"
    checkpoint_minutes: float = 5.0
    sample_every: int = 500
    log_every: int = 20
    device: str = "auto"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(path.read_text()).items() if k in known})
