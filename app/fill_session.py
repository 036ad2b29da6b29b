"""One fill in the editor as plain data (numpy only, no Qt): the document and hole it was started on, the engine
that made it, the cycles an iterative engine showed and the results to pick from.

The session keeps its own engine, so cycles and undo labels name the engine that ran even when the panel has
moved on; a result that lands on a document other than the one the fill started on is dropped. It follows undo and
redo of its own steps (the fill, the results and cycles picked), so the editor offers its results only while the
fill is on the canvas.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app import tools
from app.document import Box, Document, Step, bounding_box
from engines.contract import EngineSpec, InpaintResult

MORE_RESULTS = 3  # More results makes at least this many
SEED_STRIDE = 1000  # More results starts its seeds this far past the previous ones, per result already shown


@dataclass
class FillSession:
    document: Document
    hole: np.ndarray  # H x W bool: the mask the fill used
    spec: EngineSpec  # the engine that ran
    more: bool = False  # adds to the results of the previous session instead of replacing them
    candidates: list[np.ndarray] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)
    cycles: list[np.ndarray] = field(default_factory=list)  # an iterative engine's previews: the hole's box of each
    box: Box | None = None
    message: str = ""  # what the editor said when the fill landed, said again when a redo brings it back
    landed: bool = False  # a result of this fill was applied
    applied: list[Step] = field(default_factory=list)  # this fill's steps on the canvas now
    withdrawn: list[Step] = field(default_factory=list)  # its steps undone that a redo can bring back

    def __post_init__(self) -> None:
        self.box = bounding_box(self.hole)

    @property
    def undone(self) -> bool:
        """The fill landed and every step of it has been undone: its results belong to a fill no longer there."""
        return self.landed and not self.applied

    def history_moved(self, step: Step, undone: bool) -> bool:
        """Follow an undo (``undone``) or a redo of ``step`` on the document; True when the step was this fill's."""
        source, target = (self.applied, self.withdrawn) if undone else (self.withdrawn, self.applied)
        found = next((index for index, kept in enumerate(source) if kept is step), None)  # by identity: arrays inside
        if found is not None:
            target.append(source.pop(found))
        redoable = self.document.history.redo  # a new edit cleared it: those undone steps can never come back
        self.withdrawn = [kept for kept in self.withdrawn if any(kept is other for other in redoable)]
        return found is not None

    def _applied(self, step: Step | None) -> Step | None:
        if step is not None:
            self.applied.append(step)
            self.landed = True
        return step

    def more_results(self, seed: int, n_results: int) -> tuple[FillSession, int, int]:
        """The session for More results on the same hole (same engine), with its seed and number of results."""
        follow = FillSession(self.document, self.hole, self.spec, True, list(self.candidates), list(self.scores),
                             message=self.message, landed=self.landed, applied=list(self.applied),
                             withdrawn=list(self.withdrawn))
        return follow, seed + SEED_STRIDE * len(self.candidates), max(MORE_RESULTS, n_results)

    def add_cycle(self, preview: np.ndarray) -> np.ndarray | None:
        """Keep an iterative engine's preview as a cycle (its hole box); None for engines that do not iterate."""
        if not self.spec.iterative or self.box is None:
            return None
        y0, y1, x0, x1 = self.box
        self.cycles.append(preview[y0:y1, x0:x1].copy())
        return self.cycles[-1]

    def finish(self, result: InpaintResult) -> Step | None:
        """Take the result: the best one is applied as an undo step, or, for More results, the new ones join the
        earlier ones, all ranked by score (unscored last)."""
        images = [c.image for c in result.candidates]
        scores = [c.info.get("score") for c in result.candidates]
        if self.more:
            pairs = sorted(zip(self.candidates + images, self.scores + scores), key=lambda p: -(p[1] if p[1] is not None else -1))
            self.candidates, self.scores = [p[0] for p in pairs], [p[1] for p in pairs]
            return None
        self.candidates, self.scores = images, scores
        return self._applied(tools.apply_result(self.document, images[0], self.hole, f"Inpaint ({self.spec.name})"))

    def choose_candidate(self, index: int) -> Step | None:
        if not 0 <= index < len(self.candidates):
            return None
        return self._applied(tools.apply_result(self.document, self.candidates[index], self.hole, f"Pick result {index + 1}"))

    def choose_cycle(self, index: int) -> Step | None:
        """Use one cycle of an iterative fill (the best one was applied when the fill ended)."""
        if not 0 <= index < len(self.cycles) or self.box is None:
            return None
        y0, y1, x0, x1 = self.box
        image = self.document.image.copy()
        image[y0:y1, x0:x1] = self.cycles[index]
        return self._applied(tools.apply_result(self.document, image, self.hole, f"Pick cycle {index + 1}"))
