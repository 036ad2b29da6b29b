"""Select object: drag a box around an object and the mask grows to cover it. numpy + OpenCV, no Qt.

OpenCV's GrabCut (Rother et al. 2004) separates the object from its background inside the box: colour models of
the object (inside) and the background (a band around the box) are fitted and the boundary follows the image's
edges. It runs on a downscaled copy of the box and its band, so a 12-megapixel photo costs the same as a small one;
the result is scaled back, small specks are dropped, holes inside the object are filled, and the mask is dilated
by a few pixels to cover the object's soft edge and JPEG halo, which would otherwise ghost in the fill.
Where GrabCut finds no distinct object (a grey car on a grey road: its colours are the background's), the whole
box is masked instead, and the caller is told so.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.document import Box, Document, Layer, Step, bounding_box
from app.tools import corner_box
from engines.errors import InputError

WORK_SIDE = 200  # GrabCut runs on the box and its band scaled to at most this many pixels on the longer side
BAND = 0.25  # background samples: a band this wide (relative to the box's side) around the box
ITERATIONS = 3
MIN_COVER = 0.15  # an object covering less of its box than this was not found: the box is masked
HALO_PX = 3  # the mask reaches this many photo pixels (plus one working pixel) beyond the object's edge
MIN_BOX_PX = 8
MIN_PART = 0.05  # pieces smaller than this share of the largest are dropped


def object_mask(image: np.ndarray, box: Box) -> tuple[np.ndarray, bool]:
    """The object inside ``box`` (y0, y1, x0, x1) of an H x W x 3 uint8 image: an H x W bool mask, True = object
    (dilated by its halo), and whether an object was found (False: the mask is the box). A box too small to hold
    an object is an :class:`InputError`."""
    h, w = image.shape[:2]
    y0, y1, x0, x1 = box
    if min(y1 - y0, x1 - x0) < MIN_BOX_PX:
        raise InputError(f"Drag a box of at least {MIN_BOX_PX} x {MIN_BOX_PX} pixels around the object.")
    band = round(BAND * max(y1 - y0, x1 - x0))
    cy0, cy1, cx0, cx1 = max(0, y0 - band), min(h, y1 + band), max(0, x0 - band), min(w, x1 + band)
    scale = min(1.0, WORK_SIDE / max(cy1 - cy0, cx1 - cx0))
    small_size = (max(1, round((cx1 - cx0) * scale)), max(1, round((cy1 - cy0) * scale)))
    small = cv2.resize(image[cy0:cy1, cx0:cx1], small_size, interpolation=cv2.INTER_AREA)
    rect = (round((x0 - cx0) * scale), round((y0 - cy0) * scale), max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale)))
    labels = np.zeros(small.shape[:2], np.uint8)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means start draws from OpenCV's RNG: the same box gives the same object
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), labels, rect, *models, ITERATIONS, cv2.GC_INIT_WITH_RECT)
    found = _clean((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD))
    distinct = found.sum() >= MIN_COVER * rect[2] * rect[3]
    if not distinct:
        found[:] = False
        found[rect[1]:rect[1] + rect[3], rect[0]:rect[0] + rect[2]] = True
    # dilate at the photo's resolution by scaling the object's signed distance (in working pixels) up and cutting it at
    # the halo: half a pixel to the edge, one working pixel for the edge's uncertainty, then HALO_PX photo pixels
    signed = cv2.distanceTransform((~found).astype(np.uint8), cv2.DIST_L2, 5) - cv2.distanceTransform(found.astype(np.uint8), cv2.DIST_L2, 5)
    signed = cv2.resize(signed, (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR)
    mask = np.zeros((h, w), bool)
    mask[cy0:cy1, cx0:cx1] = signed <= 1.5 + HALO_PX * scale
    return mask, distinct


def _clean(found: np.ndarray) -> np.ndarray:
    """Keep the object's large pieces and fill the holes inside them (for removal, what the object encloses goes too)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), connectivity=8)
    if count <= 1:
        return found
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.isin(labels, 1 + np.nonzero(areas >= MIN_PART * areas.max())[0])
    outside = np.pad(~keep, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return keep | (outside[1:-1, 1:-1] == 1)


def select_object(document: Document, corner0: tuple[float, float], corner1: tuple[float, float]) -> Step | None:
    """Add the object inside the box between two corners (x, y in image pixels) to the mask, as one undo step
    labelled "Select object", or "Select object (no distinct object: the box)"."""
    box = corner_box(corner0, corner1, document.shape)
    if box is None:
        return None
    found, distinct = object_mask(document.image, box)
    grown = bounding_box(found)
    if grown is None:
        return None
    y0, y1, x0, x1 = grown
    label = "Select object" if distinct else "Select object (no distinct object: the box)"
    return document.edit(label, [(Layer.MASK, grown, document.mask[y0:y1, x0:x1] | found[y0:y1, x0:x1])])
