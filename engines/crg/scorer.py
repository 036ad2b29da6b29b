"""The quality discriminator as a no-reference score for any engine's face result (higher = more plausible).

Available only with trained weights (weights/crg-quality/, checked against their card); faces are scored on
their aligned 128 px crop, the layout the discriminator was trained on.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engines import registry
from engines.crg import SCORER_FILE, SCORER_FOLDER, scorer_installed
from engines.contract import Candidate, InpaintResult
from engines.crg.quality import QualityDiscriminator
from engines.nn.images import image_to_tensor
from engines.nn.weights import fit, read_tensors



class QualityScorer:
    def __init__(self, model: QualityDiscriminator, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.device = device

    def score_faces(self, crops: list[np.ndarray]) -> list[float]:
        """128 x 128 x 3 uint8 aligned faces -> scores in (0, 1)."""
        if not crops:
            return []
        with torch.inference_mode():
            batch = torch.cat([image_to_tensor(crop, self.device) for crop in crops])
            return [float(s) for s in self.model(batch)]

    def score_photo(self, rgb: np.ndarray, faces: tuple[np.ndarray, ...] | None = None) -> float | None:
        """Mean score of the photo's faces (given as landmarks, or searched for); None without a face."""
        from engines.faces.align import alignment, warp_to_face

        if faces is None:
            from engines.faces.search import detect_faces

            faces = tuple(face.landmarks for face in detect_faces(rgb, quick=True))
        crops = [warp_to_face(rgb, alignment(landmarks, 128), 128) for landmarks in faces]
        scores = self.score_faces(crops)
        return float(np.mean(scores)) if scores else None


def load_scorer(root: Path | None = None, device: str = "cpu") -> QualityScorer | None:
    if not scorer_installed(root):
        return None
    path = (root or registry.WEIGHTS_DIR) / SCORER_FOLDER / SCORER_FILE
    model = fit(QualityDiscriminator(), read_tensors(path), path)
    return QualityScorer(model, device)


def score_candidates(result: InpaintResult, scorer: QualityScorer, faces: tuple[np.ndarray, ...] | None) -> InpaintResult:
    """The result's candidates with their face score in ``info["score"]``, best first. Faces are found once (on
    the first candidate) when not given; without a face the result comes back unscored and unchanged."""
    if faces is None:
        from engines.faces.search import detect_faces

        faces = tuple(face.landmarks for face in detect_faces(result.image, quick=True))
    if not faces:
        return result
    scored = [(scorer.score_photo(c.image, faces), c) for c in result.candidates]
    ranked = sorted(scored, key=lambda pair: -pair[0])
    return InpaintResult(tuple(Candidate(c.image, {**c.info, "score": s}) for s, c in ranked), result.message)
