"""The fill service: the one way the CLI, the batch command, the editor and its dialogs run engines.

It owns what is policy rather than mechanics (engines/pipeline.py does the mechanics):
- the engine cache: an engine loads its weights once per (name, device, domain) and is never changed afterwards;
- the device: each call runs where its request asks (``InpaintRequest.device``; ``auto`` = the GPU when there is
  one); a CUDA out-of-memory error finishes *that call* on the CPU instance, and the next call tries the GPU again;
- scoring and ranking: face results are scored by CRG's quality discriminator once trained weights are installed,
  best first, the same for the CLI and the editor;
- comparing engines: each engine with the user's domain and options, timed, scored, each result handed over as
  soon as it is ready (``Progress.partial``).
Every long call is a progress generator with a cancel token, like the engines themselves. No Qt, no torch import
until a learned engine or the scorer is needed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from engines import registry
from engines.base import Engine
from engines.batch import BatchJob, BatchReport, run_batch
from engines.contract import CancelToken, InpaintRequest, InpaintResult, Need, Progress, Work
from engines.device import is_out_of_memory, resolve_device
from engines.pipeline import inpaint

OUT_OF_MEMORY = "The GPU ran out of memory; finishing this fill on the CPU."


@dataclass(frozen=True)
class EngineChoice:
    """An engine as the user set it up: its weight set and its options (defaults for those not given)."""

    name: str
    domain: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Compared:
    """One engine's result in a comparison."""

    name: str
    title: str
    image: np.ndarray
    seconds: float
    score: float | None = None


class FillService:
    def __init__(self) -> None:
        self._engines: dict[tuple[str, str, str | None], Engine] = {}
        self._lock = threading.Lock()
        self._scorer: Any = None
        self._scorer_loaded = False

    # -- engines ----------------------------------------------------------------------------------
    def engine(self, name: str, device: str = "auto", domain: str | None = None) -> Engine:
        """The cached engine for (name, device, domain), created (weights loaded) on first use."""
        registry.require_runnable(name, domain)
        resolved = resolve_device(device) if registry.engine_class(name).uses_device else "cpu"
        key = (name, resolved, domain)
        with self._lock:
            if key not in self._engines:
                self._engines[key] = registry.create(name, resolved, domain=domain)
            return self._engines[key]

    def forget(self) -> None:
        """Drop every cached engine and the scorer (new weights were installed)."""
        with self._lock:
            self._engines.clear()
            self._scorer, self._scorer_loaded = None, False

    def scorer(self):
        """CRG's quality discriminator as a face scorer, or None until trained weights are installed."""
        with self._lock:
            if not self._scorer_loaded:
                from engines.crg import scorer_installed

                if scorer_installed():
                    from engines.crg.scorer import load_scorer

                    self._scorer = load_scorer()
                self._scorer_loaded = True
            return self._scorer

    # -- one fill ---------------------------------------------------------------------------------
    def fill(self, name: str, request: InpaintRequest, domain: str | None = None,
             cancel: CancelToken | None = None) -> Work[InpaintResult]:
        """Fill with the engine on the request's device; face results come back scored and ranked when a scorer
        is installed. Yields the pipeline's progress; returns the result."""
        cancel = cancel or CancelToken()
        engine = self.engine(name, request.device, domain)
        try:
            result = yield from inpaint(engine, request, cancel)
        except Exception as error:
            if not (is_out_of_memory(error) and engine.device != "cpu"):
                raise
            result = None  # retried below, once the failed attempt's GPU tensors are released with its traceback
        if result is None:
            _release_gpu_memory()
            yield Progress(0, 1, OUT_OF_MEMORY)
            result = yield from inpaint(self.engine(name, "cpu", domain), request, cancel)
        if engine.spec.uses(Need.FACE):
            result = self.rank(result, request.faces)
        return result

    def rank(self, result: InpaintResult, faces: tuple[np.ndarray, ...] | None) -> InpaintResult:
        """The candidates with their face score in ``info["score"]``, best first; unchanged without a scorer."""
        scorer = self.scorer()
        if scorer is None:
            return result
        from engines.crg.scorer import score_candidates

        return score_candidates(result, scorer, faces)

    # -- several engines --------------------------------------------------------------------------
    def compare(self, choices: Sequence[EngineChoice], request: InpaintRequest,
                cancel: CancelToken | None = None) -> Work[list[Compared]]:
        """Each engine in turn on the same request (its own domain and options); every result is yielded as
        ``Progress.partial`` as soon as it is ready, scored when a scorer is installed and a face is found."""
        cancel = cancel or CancelToken()
        compared = []
        for index, choice in enumerate(choices):
            cancel.raise_if_cancelled()
            title = registry.spec(choice.name).title
            start = time.perf_counter()
            work = self.fill(choice.name, replace(request, n_results=1, options=choice.options), choice.domain, cancel)
            result = yield from _labelled(work, index, len(choices), title)
            seconds = time.perf_counter() - start
            score = result.candidates[0].info.get("score")
            if score is None and self.scorer() is not None:
                score = self.scorer().score_photo(result.image, request.faces)
            compared.append(Compared(choice.name, title, result.image, seconds, score))
            yield Progress(index + 1, len(choices), f"{title}: {seconds:.2f} s", score=score, partial=compared[-1])
        return compared

    def batch(self, job: BatchJob, cancel: CancelToken | None = None, report: BatchReport | None = None) -> Work[BatchReport]:
        """A folder through one engine (engines/batch.py), every file filled by :meth:`fill`; ``report`` (when
        given) is filled in as files finish, for a caller that is interrupted."""
        registry.require_runnable(job.engine, job.domain)
        job = replace(job, options=dict(registry.spec(job.engine).parse_options(job.options)))
        return (yield from run_batch(lambda request, token: self.fill(job.engine, request, job.domain, token), job, cancel,
                                     report))


def _labelled(work: Work[InpaintResult], index: int, total: int, title: str) -> Work[InpaintResult]:
    """An engine's progress inside a comparison: its messages named, its previews left out (only results show)."""
    while True:
        try:
            event = next(work)
        except StopIteration as stop:
            return stop.value
        yield Progress(index, total, f"{title}: {event.message}")


def _release_gpu_memory() -> None:
    import torch

    torch.cuda.empty_cache()

