"""CRG at inference: for each result, an initial fill (result 1: the chosen one; the others: seeded noise), the
scored cycle loop with every cycle shown, the best cycle, then the U-Net refiner. Results are ranked by score.

Weights exported from a run that stopped before the refiner trained have no refiner file: the engine then runs
with refine off whatever the option says, and every result says so (it never runs an untrained refiner).

Scores come from the quality discriminator in weights/crg-quality when it is installed; without it the cycles
are not scored, the loop runs ``min_cycles`` cycles and keeps the last, and the result's message says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Crop, Engine
from engines.contract import CancelToken, Progress, Work
from engines.crg import SPEC
from engines.crg.cycles import InitialFill, initial_fill, run_cycles
from engines.crg.networks import Encoder, Generator, Refiner
from engines.crg.scorer import QualityScorer, load_scorer
from engines.nn.gated import bake_spectral_norm
from engines.nn.images import composite, image_to_tensor, mask_to_tensor, tensor_to_image
from engines.nn.weights import load_network
from engines.registry import WEIGHTS_DIR


class CrgEngine(Engine):
    spec = SPEC
    uses_device = True

    def __init__(self, device: str = "cpu", weights_dir: Path | None = None) -> None:
        super().__init__(device, weights_dir)
        folder = weights_dir or WEIGHTS_DIR / SPEC.name
        self.encoder = load_network(Encoder, folder / "encoder.safetensors").eval().to(device)
        self.generator = bake_spectral_norm(load_network(Generator, folder / "generator.safetensors")).to(device)
        shipped = (folder / "generator.safetensors").is_file()  # else random weights for tests, the refiner too
        refiner_file = folder / SPEC.optional_weights[0].file
        self.refiner = load_network(Refiner, refiner_file).eval().to(device) if refiner_file.is_file() or not shipped else None
        if self.refiner is None:
            self.note = "Refine off: these CRG weights have no trained U-Net refiner (training stopped before its phase)."
        self.scorer: QualityScorer | None = load_scorer(device=device)

    def _score(self, image: torch.Tensor) -> float:
        return float(self.scorer.model(image))

    def fill(self, crop: Crop, options: Mapping[str, Any], rng: np.random.Generator, cancel: CancelToken) -> Work[list[np.ndarray]]:
        device = self.device
        image, hole = image_to_tensor(crop.image, device), mask_to_tensor(crop.mask, device)
        strokes = None
        if crop.sketch is not None and (crop.sketch[..., 3][crop.mask] > 0).any():
            strokes = torch.from_numpy(crop.sketch.astype(np.float32) / 255).permute(2, 0, 1)[None].to(device)
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
        score = self._score if self.scorer is not None else None
        min_cycles = min(options["min_cycles"], options["max_cycles"])
        runs: list[tuple[float, np.ndarray]] = []
        with torch.inference_mode():
            for run in range(crop.n_results):
                kind = InitialFill(options["initial"]) if run == 0 else InitialFill.NOISE
                start = initial_fill(image, hole, kind, strokes, generator)
                label = f"result {run + 1}/{crop.n_results}, " if crop.n_results > 1 else ""
                unscored = "" if score is not None else " (not scored: no quality discriminator installed)"
                cycles = run_cycles(lambda x: self.generator(self.encoder(x)), score, image, hole, start,
                                    min_cycles, options["max_cycles"], cancel)
                while True:
                    try:
                        cycle = next(cycles)
                    except StopIteration as stop:
                        best = stop.value
                        break
                    yield Progress(cycle.index, options["max_cycles"], f"{label}cycle {cycle.index}{unscored}",
                                   tensor_to_image(cycle.image, "CRG"), cycle.score)
                result, result_score = best.image, best.score
                if options["refine"] == "yes" and self.refiner is not None:
                    cancel.raise_if_cancelled()
                    result = composite(self.refiner(best.image, hole), image, hole)
                    result_score = None if score is None else score(result)
                    yield Progress(best.index, options["max_cycles"], f"{label}refined (from cycle {best.index})",
                                   tensor_to_image(result, "the CRG refiner"), result_score)
                runs.append((-1.0 if result_score is None else result_score, tensor_to_image(result, "CRG")))
        order = sorted(range(len(runs)), key=lambda i: -runs[i][0]) if score is not None else range(len(runs))
        return [runs[i][1] for i in order]
