"""The masked-face engine: attention and MMRM shapes, the U-Net, one training step on Algorithm-1 faces, and the
face-alignment path of the pipeline."""
from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
import torch

from engines import registry
from engines.contract import InpaintRequest, drive
from engines.errors import InputError
from engines.faces.align import alignment, canonical, footprint, warp_from_face, warp_to_face
from engines.maskedface.networks import MMRM, MaskedFaceDiscriminator, MaskedFaceGenerator, UpBlock
from engines.nn.attention import ChannelAttention, SpatialAttention
from engines.pipeline import inpaint
from engines.training.config import TrainConfig
from engines.training.loop import train
from engines.training.metrics import logged_steps
from tests.conftest import SAMPLES


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_attention_and_mmrm_shapes(batch):
    x = torch.rand(batch, 8, 16, 16)
    assert SpatialAttention()(x).shape == x.shape and ChannelAttention()(x).shape == x.shape
    assert MMRM(8, 12)(x).shape == (batch, 12, 16, 16)
    assert MMRM(8, 12, stride=2)(x).shape == (batch, 12, 8, 8)
    assert UpBlock(12, 8, 6)(torch.rand(batch, 12, 8, 8), x).shape == (batch, 6, 16, 16)
    if batch:
        g = MaskedFaceGenerator((8, 8, 16, 16, 16)).eval()
        assert g(torch.rand(batch, 3, 32, 32), torch.zeros(batch, 1, 32, 32)).shape == (batch, 3, 32, 32)
        assert MaskedFaceDiscriminator(8)(torch.rand(batch, 3, 32, 32)).shape == (batch, 1, 2, 2)


def test_attention_hand_computed():
    attention = SpatialAttention(kernel_size=1)
    with torch.no_grad():
        attention.conv.weight.zero_()
        attention.conv.bias.fill_(0.0)
    x = torch.full((1, 2, 2, 2), 3.0)
    assert torch.allclose(attention(x), x * 0.5)  # sigmoid(0) everywhere
    channel = ChannelAttention()
    with torch.no_grad():
        channel.conv.weight.zero_()
    assert torch.allclose(channel(x), x * 0.5)


def test_mmrm_gradcheck():
    torch.manual_seed(0)
    module = MMRM(2, 2).double().eval()
    x = torch.rand(1, 2, 5, 5, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(module, (x,), eps=1e-6, atol=1e-4)


def test_shipped_size_fits_the_weights_limit():
    parameters = sum(p.numel() for p in MaskedFaceGenerator().parameters())
    assert parameters * 2 < 16 * 2**20, "fp16 weights must fit in 16 MiB"


def test_alignment_puts_the_face_on_the_training_layout_and_back():
    from engines.faces.search import detect_faces

    image = cv2.imread(str(SAMPLES / "astronaut.jpg"))[:, :, ::-1].copy()
    face = detect_faces(image, quick=True)[0]
    matrix = alignment(face.landmarks, 128)
    moved = np.c_[face.landmarks, np.ones(68)] @ matrix.T
    assert np.abs(moved[36:48] - canonical(128)[36:48]).mean() < 3, "the eyes land where the training faces have them"
    box = footprint(matrix, 128, image.shape[:2])
    crop = warp_to_face(image, matrix, 128)
    back = warp_from_face(crop, matrix, box)
    y0, y1, x0, x1 = box
    centre = (slice((y1 - y0) // 2 - 10, (y1 - y0) // 2 + 10), slice((x1 - x0) // 2 - 10, (x1 - x0) // 2 + 10))
    difference = np.abs(back[centre].astype(int) - image[y0:y1, x0:x1][centre].astype(int)).mean()
    assert difference < 12, "warping there and back keeps the face (up to resampling)"


def test_face_engines_refuse_photos_without_a_face_in_one_sentence(photo):
    engine = registry.create("maskedface", "cpu", allow_untrained=True)
    mask = np.zeros(photo.shape[:2], bool)
    mask[20:40, 20:40] = True
    with pytest.raises(InputError, match="No face was found in this photo; Masked-face GAN"):
        drive(inpaint(engine, InpaintRequest(photo, mask)))


def test_a_small_face_in_a_big_photo_is_filled_through_the_aligned_crop():
    image = cv2.imread(str(SAMPLES / "astronaut.jpg"))[:, :, ::-1]
    big = np.ascontiguousarray(cv2.resize(image, (1536, 1536), interpolation=cv2.INTER_CUBIC))
    from engines.faces.auto_mask import auto_face_mask

    mask, faces = auto_face_mask(big, "worn_mask")
    engine = registry.create("maskedface", "cpu", allow_untrained=True)
    result = drive(inpaint(engine, InpaintRequest(big, mask)))
    assert np.array_equal(result.image[~mask], big[~mask])
    assert (result.image[mask] != big[mask]).any(axis=-1).mean() > 0.9
    from engines.pipeline import _face_regions

    regions, note = _face_regions(big, mask, engine.spec, None)
    assert regions[0].face is not None and regions[0].hole.sum() > 0.8 * mask.sum(), "most of the hole goes through the aligned crop"
    assert note in result.message


@pytest.fixture(scope="module")
def faces_with_landmarks(tmp_path_factory):
    """Four copies of the astronaut's head (flipped, shifted) and their landmarks file."""
    from engines.faces.landmark_cache import compute_landmarks

    folder = tmp_path_factory.mktemp("faces")
    head = cv2.imread(str(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(4):
        variant = head if i % 2 == 0 else head[:, ::-1]
        cv2.imwrite(str(folder / f"{i}.png"), cv2.resize(np.roll(variant, 3 * i, axis=1), (128, 128), interpolation=cv2.INTER_AREA))
    out = drive(compute_landmarks(folder, folder.parent / "landmarks.npz"))
    return folder, out


def test_landmark_cache_and_one_training_step(faces_with_landmarks, tmp_path):
    folder, landmarks = faces_with_landmarks
    with np.load(landmarks) as data:
        assert data["landmarks"].shape == (4, 68, 2) and list(data["sizes"][0]) == [128, 128]
    config = TrainConfig(engine="maskedface", data=str(folder), out=str(tmp_path / "run"), landmarks=str(landmarks), steps=2,
                         batch=2, size=64, lr=2e-4, sample_every=1, log_every=1, device="cpu")
    events = []
    drive(train(config), events.append)
    assert len(events) == 2
    logged = logged_steps(tmp_path / "run")
    assert {"gen_adv", "gen_l1", "gen_tv", "dis_adv"} <= set(logged[-1]) and np.isfinite(logged[-1]["gen_l1"])
    sample = cv2.imread(str(tmp_path / "run" / "samples" / "0000001.png"))
    assert sample.shape == (64 * 2, 64 * 3, 3)


def test_training_without_landmarks_says_what_to_do(faces_with_landmarks, tmp_path):
    folder, _ = faces_with_landmarks
    config = TrainConfig(engine="maskedface", data=str(folder), out=str(tmp_path / "run"), steps=1, batch=1, size=64, device="cpu")
    with pytest.raises(ValueError, match="main.py landmarks"):
        drive(train(config))
    shutil.rmtree(tmp_path / "run", ignore_errors=True)


def test_eval_on_algorithm1_face_masks_with_telea_alongside(faces_with_landmarks):
    from engines.evaluation.evaluate import engines_for, evaluate_face_masks, format_table

    folder, landmarks = faces_with_landmarks
    engines = engines_for([], "cpu")
    engines["maskedface"] = registry.create("maskedface", "cpu", allow_untrained=True)
    rows = drive(evaluate_face_masks(engines, folder, landmarks, size=128, limit=2, faces=True))
    assert {r["engine"] for r in rows} == {"telea", "maskedface"} and all(r["count"] == 2 for r in rows)
    assert all(r["bin"] == "face mask" and "face_found_percent" in r for r in rows)
    assert "face mask  telea" in format_table(rows)


def test_faces_found_earlier_are_used_without_searching_again(photo):
    """The auto face mask found the face before the worn mask hid it; the fill aligns on those landmarks."""
    from tests.engines.faces.test_faces import synthetic_landmarks

    engine = registry.create("maskedface", "cpu", allow_untrained=True)
    image = np.ascontiguousarray(cv2.resize(photo, (100, 120)))  # no face a detector would find
    landmarks = synthetic_landmarks()
    mask = np.zeros((120, 100), bool)
    mask[60:100, 30:70] = True
    result = drive(inpaint(engine, InpaintRequest(image, mask, faces=(landmarks,))))
    assert np.array_equal(result.image[~mask], image[~mask]) and (result.image[mask] != image[mask]).any()
    with pytest.raises(InputError, match="68 x 2"):
        InpaintRequest(image, mask, faces=(landmarks[:10],))
