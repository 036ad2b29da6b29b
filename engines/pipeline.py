"""The any-size fill pipeline shared by every engine.

For each connected hole (nearby holes clustered together) take a context box with margin, resize it to
the engine's resolution, pad to its multiple, fill, resize back and paste only the hole pixels. Where the
crop was resized, the seam is feathered: the colour offset between the original and the resized fill,
measured on a ring of known pixels around the hole, is spread into the hole and fades with distance, so
no step shows at the boundary. Pixels outside the mask are never touched.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from engines.base import CLASSICAL_MARGIN, Crop, Engine
from engines.contract import CancelToken, Candidate, EngineSpec, InpaintRequest, InpaintResult, Need, Progress, Work
from engines.errors import InputError

CLUSTER_GRID = 1024  # holes are clustered on a grid at most this many cells on a side
CONTEXT_RATIO = 0.5  # learned engines see this much context on each side, relative to the hole's size


@dataclass(frozen=True)
class Region:
    """One cluster of hole pixels: ``box`` = (y0, y1, x0, x1) context box, ``hole`` = its pixels inside the box.

    ``face`` (2 x 3, photo -> aligned crop) is set for a face engine's region: the crop is the aligned face.
    """

    box: tuple[int, int, int, int]
    hole: np.ndarray
    face: np.ndarray | None = None


def find_regions(mask: np.ndarray, resolution: int | None, margin: Callable[[int], int] | None = None) -> list[Region]:
    """Cluster hole pixels closer than ~2 % of the image side and give each cluster a context box.

    ``margin(longer side of the cluster) -> px`` of context for engines that work at the crop's own size
    (``resolution`` None); CLASSICAL_MARGIN when not given."""
    h, w = mask.shape
    cell = max(1, -(-max(h, w) // CLUSTER_GRID))
    grid = _any_per_cell(mask, cell)
    gap_cells = max(1, round(0.02 * max(h, w) / cell))
    joined = cv2.dilate(grid.astype(np.uint8), np.ones((2 * gap_cells + 1,) * 2, np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    regions = []
    for k in range(1, count):
        gx, gy, gw, gh = stats[k, :4]
        y0, y1, x0, x1 = gy * cell, min(h, (gy + gh) * cell), gx * cell, min(w, (gx + gw) * cell)
        in_cluster = np.repeat(np.repeat(labels[gy:gy + gh, gx:gx + gw] == k, cell, 0), cell, 1)
        hole = mask[y0:y1, x0:x1] & in_cluster[: y1 - y0, : x1 - x0]
        ys, xs = np.nonzero(hole.any(1))[0], np.nonzero(hole.any(0))[0]
        if ys.size == 0:
            continue
        tight = (y0 + ys[0], y0 + ys[-1] + 1, x0 + xs[0], x0 + xs[-1] + 1)
        side = max(tight[1] - tight[0], tight[3] - tight[2])
        box = _context_box(tight, (h, w), resolution, margin(side) if margin else CLASSICAL_MARGIN)
        region_hole = np.zeros((box[1] - box[0], box[3] - box[2]), bool)
        cy0, cx0 = max(y0, box[0]), max(x0, box[2])
        cy1, cx1 = min(y1, box[1]), min(x1, box[3])
        region_hole[cy0 - box[0]:cy1 - box[0], cx0 - box[2]:cx1 - box[2]] = hole[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        regions.append(Region(box, region_hole))
    return regions


def _any_per_cell(mask: np.ndarray, cell: int) -> np.ndarray:
    if cell == 1:
        return mask
    h, w = mask.shape
    padded = np.zeros((-(-h // cell) * cell, -(-w // cell) * cell), bool)
    padded[:h, :w] = mask
    return padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell).any(axis=(1, 3))


def _context_box(tight: tuple[int, int, int, int], shape: tuple[int, int], resolution: int | None, m: int) -> tuple[int, int, int, int]:
    y0, y1, x0, x1 = tight
    h, w = shape
    if resolution is None:
        return max(0, y0 - m), min(h, y1 + m), max(0, x0 - m), min(w, x1 + m)
    side = max(y1 - y0, x1 - x0)
    side = max(round(side * (1 + 2 * CONTEXT_RATIO)), resolution // 2)
    return _centred_span(y0, y1, side, h) + _centred_span(x0, x1, side, w)


def _centred_span(lo: int, hi: int, side: int, limit: int) -> tuple[int, int]:
    """A span of ``side`` centred on [lo, hi), shifted to stay inside [0, limit) and clipped to it."""
    side = min(side, limit)
    start = min(max(0, (lo + hi - side) // 2), limit - side)
    return start, start + side


def inpaint(engine: Engine, request: InpaintRequest, cancel: CancelToken | None = None) -> Work[InpaintResult]:
    """Fill ``request.mask`` in ``request.image`` with ``engine``; yields progress, returns the result.

    The mechanics only: which engine instance (device, domain) runs, falling back to the CPU when the GPU runs
    out of memory, and ranking results are the fill service's policy (engines/service.py)."""
    cancel = cancel or CancelToken()
    options = engine.spec.parse_options(request.options)
    mask = request.mask
    if not mask.any():
        return InpaintResult((Candidate(request.image.copy()),), "The mask is empty; nothing to fill.")
    if engine.spec.uses(Need.CONTEXT) and mask.all():
        raise InputError(f"The mask covers the whole image; {engine.spec.title} needs some known pixels around the hole.")
    chosen, reason = engine.delegate(request)
    if chosen is not engine:  # an automatic choice: the chosen engine works with its own defaults
        engine, options = chosen, chosen.spec.parse_options({})
    spec = engine.spec
    n_results = request.n_results if spec.multiple_results else 1
    margin = None if spec.resolution is not None else (lambda side: engine.context_margin(side, options))
    regions, note = find_regions(mask, spec.resolution, margin), ""
    if spec.uses(Need.FACE):
        regions, note = _face_regions(request.image, mask, spec, request.faces)
    outputs = [request.image.copy() for _ in range(n_results)]
    remaining = mask.copy()
    rng = np.random.default_rng(request.seed)
    for index, region in enumerate(regions):
        cancel.raise_if_cancelled()
        label = f"hole {index + 1}/{len(regions)}"
        yield Progress(index, len(regions), f"Filling {label}")
        # context comes from the first output: holes filled earlier are known pixels now
        y0, y1, x0, x1 = region.box
        filled = yield from _fill_region(engine, region, outputs[0], remaining, request.sketch, options, n_results, rng, cancel, label)
        for output, patch in zip(outputs, filled):
            output[y0:y1, x0:x1][region.hole] = patch[region.hole]
        remaining[y0:y1, x0:x1][region.hole] = False
    yield Progress(len(regions), len(regions), "Done")
    candidates = tuple(Candidate(o, {"seed": request.seed, "index": i}) for i, o in enumerate(outputs))
    message = f"Filled {len(regions)} hole region{'s' * (len(regions) != 1)}.{note}"
    return InpaintResult(candidates, " ".join(part for part in (message, reason, engine.note) if part))


def _face_regions(image: np.ndarray, mask: np.ndarray, spec: EngineSpec, known: tuple[np.ndarray, ...] | None) -> tuple[list[Region], str]:
    """One region per face that the mask touches, filled in the aligned face crop; the rest of the mask, if
    any, through ordinary context boxes. Faces come from ``known`` landmarks, or are searched for."""
    from engines.faces.align import alignment, footprint

    if known is None:
        from engines.faces.search import detect_faces

        known = tuple(face.landmarks for face in detect_faces(np.ascontiguousarray(image)))
    if not known:
        raise InputError(f"No face was found in this photo; {spec.title} fills faces only.")
    size, remaining, regions = spec.resolution, mask.copy(), []
    for landmarks in known:
        matrix = alignment(landmarks, size)
        box = footprint(matrix, size, mask.shape)
        y0, y1, x0, x1 = box
        inside = _crop_coverage(matrix, size, box)
        hole = remaining[y0:y1, x0:x1] & inside
        if hole.any():
            regions.append(Region(box, hole, matrix))
            remaining[y0:y1, x0:x1][hole] = False
    if not regions:
        raise InputError(f"The mask is not on any face; {spec.title} fills faces only.")
    if not remaining.any():
        return regions, ""
    return regions + find_regions(remaining, spec.resolution), " Part of the mask was off the faces and was filled without alignment."


def _crop_coverage(matrix: np.ndarray, size: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of ``box`` that the aligned crop sees (its footprint is a turned square)."""
    from engines.faces.align import warp_from_face

    ones = np.full((size, size), 255, np.uint8)
    return warp_from_face(ones, matrix, box, border=0) > 250


def _fill_region(engine, region, work_image, remaining, sketch, options, n_results, rng, cancel, label) -> Work[list[np.ndarray]]:
    """Fill one region; ``remaining`` (whole image) marks the pixels still unknown, other holes included."""
    y0, y1, x0, x1 = region.box
    known_image, unknown = work_image[y0:y1, x0:x1], remaining[y0:y1, x0:x1]
    if region.face is None:
        crop, size = _to_engine(known_image, unknown, None if sketch is None else sketch[y0:y1, x0:x1], engine.spec, n_results)
    else:
        crop, size = _to_face(work_image, remaining, sketch, region.face, engine.spec, n_results)
    results = yield from _relay(engine.fill(crop, options, rng, cancel), label, region, size, work_image, unknown)
    _check_results(results, crop, engine.spec.name)
    return [_back(region, r, size, known_image, unknown) for r in results]


def _to_face(image, remaining, sketch, matrix, spec: EngineSpec, n_results) -> tuple[Crop, tuple[int, int]]:
    """The aligned face crop at the engine's resolution; the mask is warped conservatively (any overlap = hole)."""
    from engines.faces.align import warp_to_face

    size = spec.resolution
    hole = warp_to_face(remaining.astype(np.float32), matrix, size) > 0.01
    sketch = None if sketch is None else warp_to_face(sketch, matrix, size)
    crop = Crop(_frozen(warp_to_face(image, matrix, size)), _frozen(hole), None if sketch is None else _frozen(sketch), n_results)
    return crop, (size, size)


def _back(region: Region, result: np.ndarray, size: tuple[int, int], known_image: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """An engine's crop result as the pixels of the region's box."""
    if region.face is None:
        return _from_engine(result, size, known_image, region.hole, unknown)
    from engines.faces.align import warp_from_face

    back = warp_from_face(result, region.face, region.box)
    scale = float(np.hypot(*region.face[0, :2]))  # crop pixels per photo pixel
    return feather_seam(known_image, back, region.hole, unknown, feather=max(3.0, 2.0 / scale))


def _check_results(results: list[np.ndarray], crop: Crop, name: str) -> None:
    expected = crop.image.shape
    if len(results) != crop.n_results or any(r.shape != expected or r.dtype != np.uint8 for r in results):
        got = [(r.shape, str(r.dtype)) for r in results]
        raise RuntimeError(f"engine {name!r} returned {got}, expected {crop.n_results} x {expected} uint8")


def _relay(work: Work[list[np.ndarray]], label: str, region: Region, size: tuple[int, int], work_image: np.ndarray,
           unknown: np.ndarray) -> Work[list[np.ndarray]]:
    """Pass an engine's own progress on, with crop previews pasted into the whole image."""
    while True:
        try:
            event = next(work)
        except StopIteration as stop:
            return stop.value
        preview = None
        if event.preview is not None:
            y0, y1, x0, x1 = region.box
            preview = work_image.copy()
            patch = _back(region, event.preview, size, work_image[y0:y1, x0:x1], unknown)
            preview[y0:y1, x0:x1][region.hole] = patch[region.hole]
        yield Progress(event.step, event.total, f"{label}: {event.message}", preview, event.score)


def _to_engine(image, mask, sketch, spec: EngineSpec, n_results) -> tuple[Crop, tuple[int, int]]:
    """Resize a context box to the engine's working scale and pad it; returns the crop and the unpadded size."""
    h, w = mask.shape
    if spec.resolution is not None:
        scale = spec.resolution / max(h, w)
    else:
        scale = min(1.0, _scale_cap(spec.max_hole_pixels, int(mask.sum())), _scale_cap(spec.max_crop_pixels, h * w))
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    if size != (h, w):
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, size[::-1], interpolation=interp)
        mask = cv2.resize(mask.astype(np.float32), size[::-1], interpolation=cv2.INTER_AREA) > 0
        sketch = None if sketch is None else cv2.resize(sketch, size[::-1], interpolation=interp)
    target = size if spec.resolution is None else (spec.resolution, spec.resolution)
    target = tuple(-(-t // spec.pad_multiple) * spec.pad_multiple for t in target)
    pads = ((0, target[0] - size[0]), (0, target[1] - size[1]))
    if pads != ((0, 0), (0, 0)):
        image = np.pad(image, (*pads, (0, 0)), mode="symmetric")
        mask = np.pad(mask, pads, mode="symmetric")
        sketch = None if sketch is None else np.pad(sketch, (*pads, (0, 0)), mode="constant")
    crop = Crop(_frozen(image), _frozen(mask), None if sketch is None else _frozen(sketch), n_results)
    return crop, size


def _scale_cap(limit: int | None, pixels: int) -> float:
    return 1.0 if limit is None else (limit / max(1, pixels)) ** 0.5


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    view = array.view()
    view.flags.writeable = False
    return view


def _from_engine(result: np.ndarray, size: tuple[int, int], original: np.ndarray, hole: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Unpad, resize back to the box and, where resized, feather the seam into ``hole`` from known pixels."""
    result = result[: size[0], : size[1]]
    h, w = hole.shape
    if (h, w) == size:
        return result
    interp = cv2.INTER_AREA if h < size[0] else cv2.INTER_CUBIC
    result = cv2.resize(result, (w, h), interpolation=interp)
    return feather_seam(original, result, hole, unknown, feather=max(3.0, 2.0 * h / size[0]))


def feather_seam(original: np.ndarray, filled: np.ndarray, hole: np.ndarray, unknown: np.ndarray, feather: float) -> np.ndarray:
    """Spread the colour offset seen on a ring of known pixels around ``hole`` into it, fading over ``feather`` px.

    original, filled: h x w x 3 uint8; hole, unknown (hole plus other unfilled pixels): h x w bool.
    Returns a new uint8 image; only hole pixels differ from ``filled``.
    """
    radius = max(1, round(feather))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
    ring = cv2.dilate(hole.astype(np.uint8), kernel).astype(bool) & ~unknown
    if not ring.any():
        return filled
    weight = ring.astype(np.float32)
    offset = np.zeros(filled.shape, np.float32)
    offset[ring] = original[ring].astype(np.float32) - filled[ring]
    weight_sum = cv2.GaussianBlur(weight, (0, 0), feather)
    spread = cv2.GaussianBlur(offset, (0, 0), feather)
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    band = hole & (inside < 2.0 * feather) & (weight_sum >= 0.02)
    fade = 1.0 - inside[band] / (2.0 * feather)
    corrected = filled[band] + spread[band] / weight_sum[band, None] * fade[:, None]
    out = filled.copy()
    out[band] = np.clip(corrected + 0.5, 0, 255).astype(np.uint8)
    return out
