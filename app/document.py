"""The editor's document: image, mask and sketch layers with undo. numpy only, no Qt.

Edits happen in place on the layer arrays (the canvas shows them without copies). Every edit is one undo
step made of patches (layer, bbox, before, after), never a full snapshot; one brush drag is one step.
Listeners hear about every change as (layer, bbox) so views redraw only what changed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from engines.imageio import ImageMeta

Box = tuple[int, int, int, int]  # y0, y1, x0, x1
TILE = 128
HISTORY_BYTES = 1 << 30  # undo memory cap; the oldest steps go first


class Layer(StrEnum):
    IMAGE = "image"
    MASK = "mask"
    SKETCH = "sketch"


@dataclass(frozen=True)
class Patch:
    layer: Layer
    box: Box
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


@dataclass(frozen=True)
class Step:
    label: str
    patches: tuple[Patch, ...]

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)


@dataclass
class History:
    undo: list[Step] = field(default_factory=list)
    redo: list[Step] = field(default_factory=list)
    limit_bytes: int = HISTORY_BYTES

    def push(self, step: Step) -> None:
        self.undo.append(step)
        self.redo.clear()
        while len(self.undo) > 1 and sum(s.nbytes for s in self.undo) > self.limit_bytes:
            self.undo.pop(0)


def union(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def clip_box(box: Box, shape: tuple[int, ...]) -> Box | None:
    y0, y1, x0, x1 = max(0, box[0]), min(shape[0], box[1]), max(0, box[2]), min(shape[1], box[3])
    return (y0, y1, x0, x1) if y0 < y1 and x0 < x1 else None


def bounding_box(mask: np.ndarray) -> Box | None:
    """(y0, y1, x0, x1) around the True pixels of an H x W bool array; None when there are none."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """The bounding box of the pixels that differ between two same-shaped arrays."""
    diff = before != after
    return bounding_box(diff.any(axis=2) if diff.ndim == 3 else diff)


class Document:
    """One photo being edited. ``original`` is the image as opened, for compare."""

    def __init__(self, image: np.ndarray, meta: ImageMeta | None = None, path: Path | None = None) -> None:
        h, w = image.shape[:2]
        self.image = np.ascontiguousarray(image, dtype=np.uint8).copy()
        self.original = self.image.copy()
        self.meta = meta or ImageMeta()
        self.path = path
        self.mask = np.zeros((h, w), bool)
        self.sketch = np.zeros((h, w, 4), np.uint8)
        self.history = History()
        self.version = 0  # bumps on every change; autosave and "modified" read it
        self.saved_version = 0
        self.listeners: list[Callable[[Layer, Box], None]] = []

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    @property
    def modified(self) -> bool:
        return self.version != self.saved_version

    def layer(self, layer: Layer) -> np.ndarray:
        return {Layer.IMAGE: self.image, Layer.MASK: self.mask, Layer.SKETCH: self.sketch}[layer]

    def notify(self, layer: Layer, box: Box) -> None:
        self.version += 1
        for listener in list(self.listeners):
            listener(layer, box)

    def edit(self, label: str, changes: Iterable[tuple[Layer, Box, np.ndarray]]) -> Step | None:
        """Write new values into boxes of layers as one undo step; unchanged writes make no step."""
        patches = []
        for layer, box, after in changes:
            target = self.layer(layer)
            y0, y1, x0, x1 = box
            before = target[y0:y1, x0:x1]
            tight = changed_box(before, after)
            if tight is None:
                continue
            ty0, ty1, tx0, tx1 = tight
            patch_box = (y0 + ty0, y0 + ty1, x0 + tx0, x0 + tx1)
            patches.append(Patch(layer, patch_box, before[ty0:ty1, tx0:tx1].copy(), after[ty0:ty1, tx0:tx1].copy()))
        return self._commit(label, patches)

    def replace(self, label: str, layer: Layer, values: np.ndarray) -> Step | None:
        """A whole-layer operation (invert, clear, grow ...) stored as the patch of what changed."""
        h, w = self.shape
        return self.edit(label, [(layer, (0, h, 0, w), values)])

    def _commit(self, label: str, patches: list[Patch]) -> Step | None:
        if not patches:
            return None
        for patch in patches:
            self._write(patch, patch.after)
        step = Step(label, tuple(patches))
        self.history.push(step)
        return step

    def _write(self, patch: Patch, values: np.ndarray) -> None:
        y0, y1, x0, x1 = patch.box
        self.layer(patch.layer)[y0:y1, x0:x1] = values
        self.notify(patch.layer, patch.box)

    def begin_stroke(self, layer: Layer, label: str) -> Stroke:
        return Stroke(self, layer, label)

    def undo(self) -> Step | None:
        if not self.history.undo:
            return None
        step = self.history.undo.pop()
        for patch in reversed(step.patches):
            self._write(patch, patch.before)
        self.history.redo.append(step)
        return step

    def redo(self) -> Step | None:
        if not self.history.redo:
            return None
        step = self.history.redo.pop()
        for patch in step.patches:
            self._write(patch, patch.after)
        self.history.undo.append(step)
        return step


class Stroke:
    """A drag of a painting tool: paints go straight into the layer; ``end`` makes them one undo step.

    Before painting into a box, call :meth:`touch`: the first touch of each 128 px tile keeps its old
    pixels, so the step stores only what the drag covered.
    """

    def __init__(self, document: Document, layer: Layer, label: str) -> None:
        self.document = document
        self.layer = layer
        self.label = label
        self.target = document.layer(layer)
        self._tiles: dict[tuple[int, int], np.ndarray] = {}
        self.box: Box | None = None

    def touch(self, box: Box) -> Box | None:
        """Keep the old pixels of every tile ``box`` overlaps; returns the box clipped to the layer."""
        box = clip_box(box, self.target.shape)
        if box is None:
            return None
        y0, y1, x0, x1 = box
        for ty in range(y0 // TILE, (y1 - 1) // TILE + 1):
            for tx in range(x0 // TILE, (x1 - 1) // TILE + 1):
                if (ty, tx) not in self._tiles:
                    self._tiles[ty, tx] = self.target[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE].copy()
        self.box = union(self.box, box)
        return box

    def painted(self, box: Box) -> None:
        """Tell listeners that ``box`` (already touched) changed."""
        self.document.notify(self.layer, box)

    def end(self) -> Step | None:
        if self.box is None:
            return None
        y0, y1, x0, x1 = self.box
        before = self.target[y0:y1, x0:x1].copy()
        for (ty, tx), tile in self._tiles.items():
            ty0, tx0 = ty * TILE, tx * TILE
            sy0, sy1 = max(y0, ty0), min(y1, ty0 + tile.shape[0])
            sx0, sx1 = max(x0, tx0), min(x1, tx0 + tile.shape[1])
            before[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = tile[sy0 - ty0:sy1 - ty0, sx0 - tx0:sx1 - tx0]
        after = self.target[y0:y1, x0:x1]
        tight = changed_box(before, after)
        if tight is None:
            return None
        ty0, ty1, tx0, tx1 = tight
        patch = Patch(self.layer, (y0 + ty0, y0 + ty1, x0 + tx0, x0 + tx1), before[ty0:ty1, tx0:tx1], after[ty0:ty1, tx0:tx1].copy())
        step = Step(self.label, (patch,))
        self.document.history.push(step)
        return step
