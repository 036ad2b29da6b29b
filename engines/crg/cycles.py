"""The CRG loop (paper section 3.1, eq. 1): I_{i+1} = known + hole of G(E(I_i)), scored every cycle.

I_0 is the known pixels plus an initial fill of the hole: the mean known colour or zero-mean noise, with the
user's colour strokes laid over it as drawn. The loop runs at least ``min_cycles`` cycles, then stops as soon as
the score stops rising (or at ``max_cycles``) and keeps the best-scored cycle. Without a scorer every cycle
scores None and the loop runs ``min_cycles`` cycles and keeps the last.
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import torch

from engines.contract import CancelToken
from engines.nn.images import composite


class InitialFill(StrEnum):
    MEAN = "mean"  # the mean known colour
    NOISE = "noise"  # zero-mean noise (around mid-grey in [0, 1], zero in the networks' [-1, 1])


@dataclass(frozen=True)
class Cycle:
    index: int  # 1-based
    image: torch.Tensor  # 1 x 3 x S x S composite: known pixels exact, the hole from G(E(previous))
    score: float | None


def initial_fill(image: torch.Tensor, hole: torch.Tensor, kind: InitialFill, strokes: torch.Tensor | None,
                 generator: torch.Generator) -> torch.Tensor:
    """I_0 from images N x 3 x S x S in [0, 1] and holes N x 1 x S x S; the user's strokes (N x 4 x S x S RGBA in
    [0, 1]), when given, are laid over the fill as drawn."""
    if kind is InitialFill.NOISE:
        noise = torch.rand(image.shape, generator=generator, device=generator.device).to(image.device) - 0.5
        fill = 0.5 + noise
    else:
        known = 1 - hole
        fill = ((image * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp_min(1)).expand_as(image)
    if strokes is not None:
        alpha = strokes[:, 3:]
        fill = fill * (1 - alpha) + strokes[:, :3] * alpha
    return composite(fill, image, hole)


def run_cycles(step: Callable[[torch.Tensor], torch.Tensor], score: Callable[[torch.Tensor], float] | None,
               image: torch.Tensor, hole: torch.Tensor, start: torch.Tensor, min_cycles: int, max_cycles: int,
               cancel: CancelToken) -> Generator[Cycle, None, Cycle]:
    """Yield every cycle as it is made; return the best one. ``step`` is G(E(.)) on a 1 x 3 x S x S batch."""
    if not 1 <= min_cycles <= max_cycles:
        raise ValueError(f"need 1 <= min_cycles <= max_cycles; got {min_cycles}, {max_cycles}")
    current, cycles = start, []
    for index in range(1, max_cycles + 1):
        cancel.raise_if_cancelled()
        current = composite(step(current), image, hole)
        cycle = Cycle(index, current, None if score is None else score(current))
        cycles.append(cycle)
        yield cycle
        if index >= min_cycles and (score is None or (index > 1 and cycle.score <= cycles[-2].score)):
            break
    if score is None:
        return cycles[-1]
    return cycles[int(np.argmax([c.score for c in cycles]))]
