"""Landmarks of a training folder, found once on a CPU with dlib and saved in a small .npz, so that training on
a machine without dlib (the GPU machine) can still place Algorithm-1 face masks."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.contract import Progress, Work
from engines.data.bank import image_files
from engines.imageio import load_image


def compute_landmarks(folder: Path, out: Path, limit: int | None = None) -> Work[Path]:
    """names, landmarks (N x 68 x 2, in each image's own pixels), sizes (N x 2: height, width); faces not found
    are left out. Yields progress."""
    from engines.faces.search import detect_faces

    files = image_files(folder, limit)
    names, points, sizes = [], [], []
    for i, path in enumerate(files):
        rgb = load_image(path).rgb
        faces = detect_faces(rgb, quick=True)
        if faces and not faces[0].estimated:
            names.append(path.name)
            points.append(faces[0].landmarks)
            sizes.append(rgb.shape[:2])
        yield Progress(i + 1, len(files), f"{len(names)} faces")
    np.savez_compressed(out, names=np.array(names), landmarks=np.array(points, np.float32).reshape(-1, 68, 2),
                        sizes=np.array(sizes, np.int32).reshape(-1, 2))
    return out


def read_landmarks(path: Path) -> dict[str, tuple[np.ndarray, tuple[int, int]]]:
    """name -> (68 x 2 landmarks, (height, width) of the image they were found in)."""
    with np.load(path, allow_pickle=False) as data:
        return {str(n): (p, (int(s[0]), int(s[1]))) for n, p, s in zip(data["names"], data["landmarks"], data["sizes"])}


def to_square(points: np.ndarray, shape: tuple[int, int], size: int) -> np.ndarray:
    """Landmarks of an image of ``shape`` after its centred square crop is resized to ``size``."""
    h, w = shape
    side = min(h, w)
    offset = np.array([(w - side) / 2, (h - side) / 2], np.float32)
    return (points - offset) * (size / side)
