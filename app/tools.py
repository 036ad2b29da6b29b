"""Editing tools as plain functions on a Document (numpy + OpenCV, no Qt).

Mask values are bool (True = fill); the mask brush is always hard because engines take a binary mask.
Sketch strokes are RGBA; the sketch pen honours hardness (a soft edge in alpha).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from app.document import Box, Document, Layer, Step, Stroke, bounding_box, clip_box
from engines.imageio import save_mask
from engines.mask_file import load_mask

Point = tuple[float, float]  # x, y in image pixels
RGBA = tuple[int, int, int, int]


BRUSH_FRACTION = 0.015  # the first brush: its radius as a share of the photo's longer side (~60 px on 12 MP)
MIN_MAX_RADIUS = 300  # the size slider reaches at least this radius, and a quarter of the photo's longer side


@dataclass(frozen=True)
class Brush:
    radius: float
    hardness: float = 1.0  # 1 = hard edge; 0 = edge fades over the whole radius


def max_brush_radius(shape: tuple[int, ...]) -> int:
    return max(MIN_MAX_RADIUS, max(shape[:2]) // 4)


def brush_radius(shape: tuple[int, ...], fraction: float) -> int:
    """The radius in image pixels of a brush sized ``fraction`` of the photo's longer side (the same on screen at
    Fit whatever the photo's resolution), within the slider's range."""
    return min(max_brush_radius(shape), max(1, round(fraction * max(shape[:2]))))


def _segment_box(p0: Point, p1: Point, reach: float) -> Box:
    r = math.ceil(reach) + 1
    xs, ys = (p0[0], p1[0]), (p0[1], p1[1])
    return math.floor(min(ys)) - r, math.ceil(max(ys)) + r + 1, math.floor(min(xs)) - r, math.ceil(max(xs)) + r + 1


def paint_segment(stroke: Stroke, p0: Point, p1: Point, brush: Brush, colour: RGBA | None, erase: bool) -> Box | None:
    """Paint one segment of a drag into the stroke's layer; returns the box that changed.

    Mask: True where painted (False with ``erase``). Sketch: ``colour`` laid over (alpha removed with ``erase``).
    """
    softness = 0.0 if stroke.layer is Layer.MASK else brush.radius * (1.0 - brush.hardness)
    box = stroke.touch(_segment_box(p0, p1, brush.radius + 2 * softness))
    if box is None:
        return None
    y0, y1, x0, x1 = box
    ends = [(round(p[0] - x0), round(p[1] - y0)) for p in (p0, p1)]
    thickness = max(1, round(2 * brush.radius))
    view = stroke.target[y0:y1, x0:x1]
    if stroke.layer is Layer.MASK:
        cv2.line(view.view(np.uint8), ends[0], ends[1], 0 if erase else 1, thickness, cv2.LINE_8)
    else:
        coverage = np.zeros(view.shape[:2], np.uint8)
        cv2.line(coverage, ends[0], ends[1], 255, thickness, cv2.LINE_AA)
        if softness > 0:
            coverage = cv2.GaussianBlur(coverage, (0, 0), softness / 2)
        _lay_over(view, coverage.astype(np.float32) / 255.0, colour, erase)
    stroke.painted(box)
    return box


def _lay_over(view: np.ndarray, coverage: np.ndarray, colour: RGBA | None, erase: bool) -> None:
    """Composite ``colour`` with per-pixel ``coverage`` over straight-alpha RGBA ``view`` (or erase alpha)."""
    below = view[..., 3].astype(np.float32) / 255.0
    if erase:
        view[..., 3] = np.round(255.0 * below * (1.0 - coverage)).astype(np.uint8)
        return
    a = coverage * (colour[3] / 255.0)
    out_alpha = a + below * (1.0 - a)
    touched = a > 0
    weight_new = (a / np.maximum(out_alpha, 1e-6))[touched, None]
    rgb = view[..., :3][touched].astype(np.float32)
    view[..., :3][touched] = np.round(np.array(colour[:3]) * weight_new + rgb * (1.0 - weight_new)).astype(np.uint8)
    view[..., 3] = np.round(255.0 * out_alpha).astype(np.uint8)


def _shape_values(document: Document, layer: Layer, box: Box, draw, colour: RGBA | None, erase: bool) -> np.ndarray:
    """New values for ``box`` of ``layer`` where ``draw(uint8 canvas)`` marks the shape with 1."""
    y0, y1, x0, x1 = box
    shape = np.zeros((y1 - y0, x1 - x0), np.uint8)
    draw(shape)
    inside = shape.astype(bool)
    values = document.layer(layer)[y0:y1, x0:x1].copy()
    if layer is Layer.MASK:
        values[inside] = not erase
    elif erase:
        values[inside] = 0
    else:
        values[inside] = colour
    return values


def corner_box(corner0: Point, corner1: Point, shape: tuple[int, ...]) -> Box | None:
    """The pixels between two dragged corners (x, y in image pixels, either order), clipped to the image."""
    xs, ys = sorted((corner0[0], corner1[0])), sorted((corner0[1], corner1[1]))
    return clip_box((math.floor(ys[0]), math.ceil(ys[1]) + 1, math.floor(xs[0]), math.ceil(xs[1]) + 1), shape)


def fill_rectangle(document: Document, layer: Layer, corner0: Point, corner1: Point, colour: RGBA | None = None, erase: bool = False) -> Step | None:
    box = corner_box(corner0, corner1, document.shape)
    if box is None:
        return None
    values = _shape_values(document, layer, box, lambda canvas: canvas.fill(1), colour, erase)
    return document.edit("Rectangle", [(layer, box, values)])


def fill_polygon(document: Document, layer: Layer, points: list[Point], colour: RGBA | None = None, erase: bool = False) -> Step | None:
    """The lasso: fill the closed polygon through ``points``."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = clip_box((math.floor(min(ys)), math.ceil(max(ys)) + 1, math.floor(min(xs)), math.ceil(max(xs)) + 1), document.shape)
    if box is None:
        return None
    polygon = np.array([[round(x - box[2]), round(y - box[0])] for x, y in points], np.int32)
    values = _shape_values(document, layer, box, lambda canvas: cv2.fillPoly(canvas, [polygon], 1), colour, erase)
    return document.edit("Lasso", [(layer, box, values)])


def clear(document: Document, layer: Layer) -> Step | None:
    return document.replace(f"Clear {layer.value}", layer, np.zeros_like(document.layer(layer)))


def invert_mask(document: Document) -> Step | None:
    return document.replace("Invert mask", Layer.MASK, ~document.mask)


def grow_mask(document: Document, pixels: int) -> Step | None:
    """Grow (pixels > 0) or shrink (pixels < 0) the mask by a round structuring element."""
    if pixels == 0:
        return None
    size = 2 * abs(pixels) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    operation = cv2.dilate if pixels > 0 else cv2.erode
    grown = operation(document.mask.view(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)
    return document.replace(f"{'Grow' if pixels > 0 else 'Shrink'} mask by {abs(pixels)} px", Layer.MASK, grown)


def import_mask(document: Document, path) -> Step | None:
    return document.replace("Import mask", Layer.MASK, load_mask(path, document.shape))


def export_mask(document: Document, path) -> None:
    save_mask(path, document.mask)


def apply_result(document: Document, result: np.ndarray, hole: np.ndarray, label: str = "Inpaint") -> Step | None:
    """Take an engine's result for ``hole`` and clear the mask there, as one undo step."""
    box = bounding_box(hole)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    inside = hole[y0:y1, x0:x1]
    image = document.image[y0:y1, x0:x1].copy()
    image[inside] = result[y0:y1, x0:x1][inside]
    mask = document.mask[y0:y1, x0:x1] & ~inside
    return document.edit(label, [(Layer.IMAGE, box, image), (Layer.MASK, box, mask)])
