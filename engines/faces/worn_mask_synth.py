"""Training pictures for the worn-mask segmenter (engines/faces/worn_mask_net.py): aligned faces with a face mask
drawn on, and what each pixel is (0 skin or background, 1 worn mask, 2 an eye's opening).

Real masks differ from Algorithm 1's three templates in shape (worn high or low, N95 cups, gaiters below the
chin), colour (white, black, any hue, prints) and light (folds, shade from the face's own lighting), so both are
drawn at random: a template placed with its height, widths and angle jittered, or an outline from the face's own
landmarks (top edge from cheek to cheek over the nose at a random height, bottom under the chin); filled with a
random colour, pleats, a seam, a print cut from another photo, the face's own shading and fabric noise. One in
ten pictures has no mask, so bare skin below the nose is learnt as skin; some wear spectacles or sunglasses,
and half are set smaller on another photo or a studio backdrop. The eyes' openings come from the
landmarks of the unmasked face (dlib is reliable there).
"""
from __future__ import annotations

import cv2
import numpy as np

from engines.faces.algorithm1 import eye_distance, place_template, templates

SKIN, WORN, EYE = 0, 1, 2
NO_MASK = 0.1  # share of pictures without a mask
GLASSES = 0.15  # share of pictures with spectacles or sunglasses


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A mask's base colour (RGB, 0-255): white, light blue, black or dark, grey, or any hue."""
    kind = rng.choice(5, p=[0.3, 0.15, 0.25, 0.1, 0.2])
    if kind == 0:
        return rng.uniform(205, 255, 3) - rng.uniform(0, 15, 3)
    if kind == 1:
        return np.array([rng.uniform(120, 190), rng.uniform(170, 215), rng.uniform(200, 245)])
    if kind == 2:
        return np.full(3, rng.uniform(10, 70)) + rng.uniform(-10, 10, 3)
    if kind == 3:
        return np.full(3, rng.uniform(90, 200)) + rng.uniform(-8, 8, 3)
    hsv = np.uint8([[[rng.uniform(0, 180), rng.uniform(60, 255), rng.uniform(60, 255)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)


def _outline(landmarks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A mask drawn from the landmarks: over the nose at a random height, out to the jaw, under the chin."""
    p = landmarks.astype(np.float64)
    ed = eye_distance(p)
    top_y = p[27, 1] + rng.uniform(0.15, 1.0) * (p[33, 1] - p[27, 1])  # the peak over the nose
    side = rng.uniform(-0.1, 0.35) * ed  # sides' top below the peak
    out = rng.uniform(0.0, 0.25, 2) * ed
    down = rng.uniform(0.0, 0.5) * ed
    right = p[1] + (-out[0], 0)
    left = p[15] + (out[1], 0)
    right[1] = min(right[1], top_y + side)
    left[1] = min(left[1], top_y + side)
    jaw = p[2:15] + (p[2:15] - p[8]) * rng.uniform(0.0, 0.15)
    jaw[:, 1] += down * np.sin(np.linspace(0, np.pi, 13))
    peak = (p[27:31, 0].mean(), top_y)
    shoulders = [(right[0] + (peak[0] - right[0]) * 0.45, top_y + side * 0.3), (peak[0] + (left[0] - peak[0]) * 0.55, top_y + side * 0.3)]
    points = np.vstack([[right], [shoulders[0]], [peak], [shoulders[1]], [left], jaw[::-1]])
    alpha = np.zeros((512, 512), np.uint8)  # 4x the picture for smooth edges
    cv2.fillPoly(alpha, [np.round(points * 4).astype(np.int32)], 255, cv2.LINE_AA)
    return alpha


def _template_alpha(landmarks: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """One of Algorithm 1's templates placed on jittered landmarks (higher or lower, wider, turned)."""
    p = landmarks.astype(np.float64).copy()
    ed = eye_distance(p)
    p[29, 1] += rng.uniform(-0.35, 0.3) * ed
    p[8] += (0, rng.uniform(-0.1, 0.4) * ed)
    p[1, 0] -= rng.uniform(-0.1, 0.3) * ed
    p[16, 0] += rng.uniform(-0.1, 0.3) * ed
    p[33, 0] += rng.uniform(-0.15, 0.15) * ed
    template = templates()[rng.integers(len(templates()))]
    return place_template((size, size), p, template)[0][..., 3]


def _print(textures: list[np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """A patch of another photo, as a mask's printed fabric."""
    source = textures[rng.integers(len(textures))]
    y = rng.integers(0, source.shape[0] - size + 1)
    x = rng.integers(0, source.shape[1] - size + 1)
    return source[y:y + size, x:x + size].astype(np.float32)


def _plain(size: int, rng: np.random.Generator) -> np.ndarray:
    """A studio backdrop: one colour (often white or grey) with a soft gradient."""
    base = np.full(3, rng.uniform(150, 255)) if rng.random() < 0.6 else rng.uniform(0, 255, 3)
    ramp = np.linspace(-1, 1, size, dtype=np.float32)[:, None, None] * rng.uniform(-25, 25)
    return np.broadcast_to(base.astype(np.float32), (size, size, 3)) + ramp


def _fabric(face: np.ndarray, alpha: np.ndarray, textures: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """H x W x 3 float: the mask's look over the whole picture (used where alpha is)."""
    size = face.shape[0]
    rgb = np.broadcast_to(_colour(rng), face.shape).astype(np.float32).copy()
    if textures and rng.random() < 0.25:
        mix = rng.uniform(0.3, 1.0)
        rgb = (1 - mix) * rgb + mix * _print(textures, size, rng)
    ys = np.arange(size, dtype=np.float32)[:, None]
    if rng.random() < 0.35:  # pleats
        period = rng.uniform(6, 16)
        rgb *= (1 - rng.uniform(0.05, 0.2) * (np.sin(2 * np.pi * ys / period + rng.uniform(0, 6)) > 0.6))[..., None]
    if rng.random() < 0.2:  # a seam down the middle
        cols = np.nonzero(alpha)[1]
        if len(cols):
            x = int(np.median(cols))
            rgb[:, max(0, x - 1):x + 1] *= rng.uniform(0.6, 0.85)
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(np.float32)
    light = cv2.GaussianBlur(grey, (0, 0), rng.uniform(4, 10)) / max(float(grey.mean()), 1.0)
    rgb *= (np.clip(light, 0.2, 2.0) ** rng.uniform(0.1, 0.6))[..., None]  # the face's own light and shade
    slope = rng.uniform(-0.25, 0.25, 2) / size
    rgb *= (1 + slope[0] * (ys - size / 2) + slope[1] * (np.arange(size)[None, :] - size / 2))[..., None]
    rgb += rng.normal(0, rng.uniform(1, 7), (size, size, 1)) + rng.normal(0, 2, (size, size, 3))
    return rgb


def put_on_glasses(face: np.ndarray, labels: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator) -> None:
    """Spectacles drawn round the eyes (a frame and a bridge), or now and then sunglasses, whose lenses are kept
    clear like the eyes behind them (labelled EYE). In place."""
    p = landmarks.astype(np.float64)
    ed = eye_distance(p)
    dark = rng.random() < 0.25
    colour = tuple(float(c) for c in (rng.uniform(0, 60, 3) if rng.random() < 0.7 else rng.uniform(120, 220, 3)))
    axes = (round(ed * rng.uniform(0.3, 0.4)), round(ed * rng.uniform(0.2, 0.3)))
    centres = [tuple(round(c) for c in eye.mean(0) + (0, rng.uniform(0, 0.08) * ed)) for eye in (p[36:42], p[42:48])]
    for centre in centres:
        if dark:
            cv2.ellipse(face, centre, axes, 0, 0, 360, tuple(rng.uniform(0, 50, 3)), -1, cv2.LINE_AA)
            cv2.ellipse(labels, centre, axes, 0, 0, 360, EYE, -1)
        cv2.ellipse(face, centre, axes, 0, 0, 360, colour, int(rng.integers(1, 4)), cv2.LINE_AA)
    cv2.line(face, (centres[0][0] + axes[0], centres[0][1]), (centres[1][0] - axes[0], centres[1][1]), colour, 2, cv2.LINE_AA)


def below_the_eyes(alpha: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``alpha`` cleared where a worn mask never is: above the lower lids across each eye (with a tenth of an eye
    distance beside it), and above the line through the eyes' centres between the eyes (a mask's peak over the
    nose bridge reaches about there)."""
    p = landmarks.astype(np.float64)
    margin = 0.1 * eye_distance(p)
    out = alpha.copy()
    for eye in (p[36:42], p[42:48]):
        lids = int(np.ceil(eye[:, 1].max() + margin / 2))
        out[:max(0, lids), max(0, int(eye[:, 0].min() - margin)):int(eye[:, 0].max() + margin) + 1] = 0
    out[:max(0, int(np.ceil(p[36:48, 1].mean()))), max(0, int(p[39, 0])):int(p[42, 0]) + 1] = 0
    return out


def draw_worn_mask(face: np.ndarray, landmarks: np.ndarray, textures: list[np.ndarray], rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``face`` (S x S x 3 uint8, RGB) with a random face mask drawn on, and its labels (S x S uint8: SKIN, WORN,
    EYE). ``landmarks``: 68 x 2 of the unmasked face."""
    size = face.shape[0]
    labels = np.zeros((size, size), np.uint8)
    for eye in (slice(36, 42), slice(42, 48)):
        cv2.fillConvexPoly(labels, cv2.convexHull(np.round(landmarks[eye]).astype(np.int32)), EYE)
    face = face.copy()
    if rng.random() < GLASSES:
        put_on_glasses(face, labels, landmarks, rng)
    if rng.random() < NO_MASK:
        return face, labels
    if rng.random() < 0.5:
        alpha = _template_alpha(landmarks, size, rng).astype(np.float32) / 255
    else:
        alpha = cv2.resize(_outline(landmarks, rng), (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    alpha = below_the_eyes(alpha, landmarks)
    if rng.random() < 0.5:
        alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.3, 1.2))
    rgb = _fabric(face, alpha > 0, textures, rng)
    out = face.astype(np.float32) * (1 - alpha[..., None]) + rgb * alpha[..., None]
    labels[alpha >= 0.5] = WORN
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), labels


def jitter(image: np.ndarray, labels: np.ndarray, rng: np.random.Generator, backgrounds: list[np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Picture and labels turned, scaled and moved alike (the real faces are aligned less well); half the time the
    face is made smaller and set, with a soft edge, on a patch of another photo (real photos show background,
    clothes and hair about the face, which are not the mask)."""
    size = image.shape[0]
    smaller = bool(backgrounds) and rng.random() < 0.5
    scale = rng.uniform(0.6, 0.9) if smaller else rng.uniform(0.9, 1.2)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-12, 12), scale)
    matrix[:, 2] += rng.uniform(-0.04, 0.04, 2) * size + (0, (1 - scale) * size * rng.uniform(-0.3, 0.1))
    border = cv2.BORDER_CONSTANT if smaller else cv2.BORDER_REPLICATE
    image = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border)
    labels = cv2.warpAffine(labels, matrix, (size, size), flags=cv2.INTER_NEAREST, borderMode=border)
    if smaller:
        seen = cv2.warpAffine(np.ones((size, size), np.float32), matrix, (size, size), flags=cv2.INTER_LINEAR)
        seen = cv2.GaussianBlur(cv2.erode(seen, np.ones((5, 5), np.uint8)), (0, 0), rng.uniform(1, 3))[..., None]
        behind = _print(backgrounds, size, rng) if rng.random() < 0.6 else _plain(size, rng)
        image = (image * seen + behind * (1 - seen) + 0.5).astype(np.uint8)
        labels[seen[..., 0] < 0.5] = SKIN
    return image, labels


def degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photo faults the real pictures have: colour cast, contrast, blur, noise, JPEG, now and then grey."""
    out = image.astype(np.float32)
    out = (out - 128) * rng.uniform(0.7, 1.3) + 128 + rng.uniform(-30, 30) + rng.uniform(-12, 12, 3)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.5))
    if rng.random() < 0.3:
        out += rng.normal(0, rng.uniform(2, 8), out.shape)
    if rng.random() < 0.07:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])[1]
        out = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return out
