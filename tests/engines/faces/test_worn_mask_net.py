"""The worn-mask segmenter: its training pictures, the network, loading its weights and a tiny training run."""
from __future__ import annotations

import json
import pickle

import cv2
import numpy as np
import pytest
import torch

from engines.errors import WeightsFileError
from engines.faces import worn_mask_synth
from engines.faces.align import canonical
from engines.faces.train_worn_mask_net import main as train
from engines.faces.worn_mask_net import CLASSES, WornMaskNet, label_probabilities, load_segmenter
from engines.faces.worn_mask_synth import EYE, SKIN, WORN, draw_worn_mask, jitter


def face_picture(seed: int = 0) -> np.ndarray:
    """A 128 px skin-coloured face with dark eyes where the mean landmarks put them."""
    rng = np.random.default_rng(seed)
    face = np.full((128, 128, 3), (205, 160, 130), np.uint8) + rng.integers(0, 6, (128, 128, 1), dtype=np.uint8)
    for eye in (slice(36, 42), slice(42, 48)):
        cv2.fillConvexPoly(face, cv2.convexHull(np.round(canonical(128)[eye]).astype(np.int32)), (40, 30, 30))
    return face


def test_drawn_masks_lie_below_the_eyes_and_the_labels_say_where_they_are(monkeypatch):
    monkeypatch.setattr(worn_mask_synth, "GLASSES", 0.0)  # only the mask changes the picture
    points, face = canonical(128), face_picture()
    lids, centres = int(points[36:48, 1].max()), int(points[36:48, 1].mean())
    eyes = [slice(int(points[36, 0]), int(points[39, 0]) + 1), slice(int(points[42, 0]), int(points[45, 0]) + 1)]
    between = slice(int(points[39, 0]), int(points[42, 0]) + 1)
    drawn = 0
    for seed in range(30):
        image, labels = draw_worn_mask(face, points, [], np.random.default_rng(seed))
        assert labels.shape == (128, 128) and set(np.unique(labels)) <= {SKIN, WORN, EYE}
        worn = labels == WORN
        assert not any(worn[:lids, eye].any() for eye in eyes)  # never above the lower lids across the eyes
        assert not worn[:centres, between].any()  # nor, between them, above the line through their centres
        if worn.any():
            drawn += 1
            assert worn[int(points[57, 1]), int(points[57, 0])]  # the mouth is under every drawn mask
            changed = np.abs(image.astype(int) - face.astype(int)).max(axis=2) > 8
            near = cv2.dilate(worn.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0  # the mask's soft edge
            assert changed[worn].mean() > 0.9 and not (changed & (labels == SKIN) & ~near).any()
        for centre in (points[36:42].mean(0), points[42:48].mean(0)):
            assert labels[int(centre[1]), int(centre[0])] == EYE
    assert 20 <= drawn < 30  # most pictures have a mask, some are bare faces


def test_jitter_moves_the_picture_and_its_labels_alike():
    image, labels = np.zeros((128, 128, 3), np.uint8), np.zeros((128, 128), np.uint8)
    image[50:90, 40:80], labels[50:90, 40:80] = 255, WORN
    backgrounds = [np.full((200, 200, 3), 90, np.uint8)]
    for seed in range(6):
        moved, moved_labels = jitter(image, labels, np.random.default_rng(seed), backgrounds)
        inside = moved_labels == WORN
        assert inside.sum() > 500
        assert moved[..., 0][inside].mean() > 200  # the labelled pixels are still the white square


def test_the_network_gives_a_probability_per_class_for_any_crop_size():
    net = WornMaskNet().eval()
    probabilities = label_probabilities(net, np.zeros((61, 75, 3), np.uint8))
    assert probabilities.shape == (CLASSES, 61, 75)
    assert np.allclose(probabilities.sum(axis=0), 1, atol=1e-5)


def test_without_weights_there_is_no_segmenter_and_a_pickle_is_refused(tmp_path):
    assert load_segmenter(tmp_path / "absent.safetensors") is None
    fake = tmp_path / "worn_mask_net.safetensors"
    fake.write_bytes(pickle.dumps({"weight": [1, 2, 3]}))
    with pytest.raises(WeightsFileError, match="worn_mask_net.safetensors"):
        load_segmenter(fake)


def test_a_tiny_training_run_writes_weights_the_segmenter_loads(tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    names = [f"face{i}.jpg" for i in range(6)]
    for i, name in enumerate(names):
        cv2.imwrite(str(faces / name), face_picture(i))
    landmarks = tmp_path / "landmarks.npz"
    np.savez(landmarks, names=np.array(names), landmarks=np.repeat(canonical(128)[None], 6, axis=0),
             sizes=np.array([(128, 128)] * 6, np.int32))
    out = tmp_path / "run"
    torch.manual_seed(0)
    train(["--faces", str(faces), "--landmarks", str(landmarks), "--out", str(out), "--steps", "3", "--batch", "2",
           "--held-out", "2", "--every", "2"])
    log = json.loads((out / "log.json").read_text())
    assert [entry["step"] for entry in log] == [2, 3] and len(log[-1]["iou"]) == CLASSES
    assert isinstance(load_segmenter(out / "worn_mask_net.safetensors"), WornMaskNet)


def test_the_trainer_names_a_missing_folder_or_a_file_that_is_not_landmarks(tmp_path):
    landmarks = tmp_path / "landmarks.npz"
    np.savez(landmarks, names=np.array(["face0.jpg"]), landmarks=canonical(128)[None], sizes=np.array([(128, 128)], np.int32))
    not_landmarks = tmp_path / "notes.npz"
    not_landmarks.write_text("hello")
    cases = [(["--faces", str(tmp_path / "absent"), "--landmarks", str(landmarks)], f"{tmp_path / 'absent'}: no such folder"),
             (["--faces", str(tmp_path), "--landmarks", str(not_landmarks)], "not a landmarks file")]
    for args, says in cases:
        with pytest.raises(SystemExit, match=f"^Error: .*{says}"):
            train([*args, "--out", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists() and not_landmarks.read_text() == "hello"
