"""The command line goes through the fill service like the editor (in-process, to put fakes in its place):
face results ranked by the same scorer, an engine without weights refused before any slow work."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from cli.main import main
from engines import registry
from engines.service import FillService
from tests.engines import fakes
from tests.engines.faces.test_faces import synthetic_landmarks
from tests.engines.test_service import BrightnessScorer, _face_photo

UNTRAINED = replace(fakes.MEAN_SPEC, weights=("g.safetensors",))  # a learned engine whose weights are not there


def test_inpaint_writes_face_results_best_first_with_their_scores(tmp_path, monkeypatch, capsys):
    image, mask = _face_photo()
    Image.fromarray(image).save(tmp_path / "face.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    monkeypatch.setattr(FillService, "scorer", lambda self: BrightnessScorer())
    monkeypatch.setattr("engines.faces.search.detect_faces", lambda rgb, **kwargs: [_Face()])
    with registry.registered(fakes.FACE_SPEC, "tests.engines.fakes:FaceMeanEngine"):
        code = main(["inpaint", "--engine", "test-face", "--image", str(tmp_path / "face.png"), "--mask",
                     str(tmp_path / "mask.png"), "--out", str(tmp_path / "out.png"), "--n-results", "3"])
    assert code == 0
    scores = [BrightnessScorer().score_photo(np.asarray(Image.open(tmp_path / f"out_{i}.png")), ()) for i in (1, 2, 3)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1, "out_1 is the best"
    assert f"out_1.png (score {scores[0]:.3f})" in capsys.readouterr().out


class _Face:
    landmarks = synthetic_landmarks()


def test_an_untrained_engine_says_how_to_get_weights_before_looking_for_faces(tmp_path, monkeypatch, capsys):
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "in.png")

    def searched(*args, **kwargs):
        raise AssertionError("the face search ran before the engine was checked")

    monkeypatch.setattr("engines.batch.face_mask", searched)
    monkeypatch.setattr("cli.fill.face_mask", searched)
    with registry.registered(UNTRAINED, "tests.engines.fakes:MeanEngine"):
        code = main(["inpaint", "--engine", "test-mean", "--image", str(tmp_path / "in.png"), "--auto-face-mask", "eyes",
                     "--out", str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert code == 2 and "no trained weights" in err
    assert "main.py train test-mean" in err and "Training tab" in err and "Training on a GPU" in err
    assert not (tmp_path / "out.png").exists()


def test_batch_refuses_an_untrained_engine_before_the_first_photo(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "photos" / "a.png")
    with registry.registered(UNTRAINED, "tests.engines.fakes:MeanEngine"):
        code = main(["batch", "--engine", "test-mean", "--images", str(tmp_path / "photos"), "--auto-face-mask", "eyes",
                     "--out", str(tmp_path / "out")])
    assert code == 2 and "main.py train test-mean" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
