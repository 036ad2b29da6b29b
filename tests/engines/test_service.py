"""The fill service: engine cache, the request's device, the out-of-memory policy per call, ranking face results,
comparing engines with their own options, batch with a cancel token."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engines import registry
from engines.base import Engine
from engines.batch import BatchJob
from engines.contract import CancelToken, EngineSpec, InpaintRequest, Need, Progress, drive
from engines.errors import InputError
from engines.service import OUT_OF_MEMORY, Compared, EngineChoice, FillService
from tests.conftest import square_mask
from tests.engines import fakes
from tests.engines.faces.test_faces import synthetic_landmarks


@pytest.fixture
def device_engine(monkeypatch):
    """test-mean with a device; torch is told a GPU is there, and the engine runs out of its memory."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    fakes.DeviceMeanEngine.created = []
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:DeviceMeanEngine"):
        yield


class BrightnessScorer:
    """Scores a photo by the brightness of its centre (enough to check the ranking)."""

    def score_photo(self, image, faces):
        assert faces is not None, "the faces found before the fill are reused"
        return float(image[50:80, 35:65].mean() / 255)


def test_engines_are_cached_per_name_device_and_domain():
    service = FillService()
    assert service.engine("telea") is service.engine("telea", "cpu")
    service.forget()
    assert service.engine("telea") is not None


def test_the_requests_device_is_honoured(device_engine, photo):
    service = FillService()
    assert service.engine("test-mean", "cpu").device == "cpu"
    assert service.engine("test-mean", "cuda").device == "cuda"
    assert fakes.DeviceMeanEngine.created == ["cpu", "cuda"]
    mask = square_mask(photo.shape[:2], 30, 30, 20)
    drive(service.fill("test-mean", InpaintRequest(photo, mask, device="cpu")))
    assert fakes.DeviceMeanEngine.created == ["cpu", "cuda"], "a cpu request runs on the cpu instance"


def test_cuda_without_a_gpu_is_one_sentence(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:DeviceMeanEngine"):
        with pytest.raises(InputError, match="torch sees no GPU"):
            FillService().engine("test-mean", "cuda")


def test_out_of_memory_finishes_the_call_on_the_cpu_and_leaves_the_cached_engine_on_the_gpu(device_engine, photo):
    service = FillService()
    mask = square_mask(photo.shape[:2], 30, 30, 20)
    for _ in range(2):
        events: list[Progress] = []
        result = drive(service.fill("test-mean", InpaintRequest(photo, mask, device="cuda")), events.append)
        assert OUT_OF_MEMORY in [e.message for e in events], "each call tries the GPU first, then says it moved"
        assert np.array_equal(result.image[~mask], photo[~mask]) and not np.array_equal(result.image[mask], photo[mask])
    assert service.engine("test-mean", "cuda").device == "cuda", "the cached GPU engine was not moved"
    assert fakes.DeviceMeanEngine.created == ["cuda", "cpu"], "one engine per device, created once"


def _face_photo() -> tuple[np.ndarray, np.ndarray]:
    image = np.random.default_rng(1).integers(0, 255, (120, 100, 3), np.uint8)
    return image, square_mask((120, 100), 55, 40, 20)


def test_face_results_are_scored_and_ranked_best_first(monkeypatch):
    service = FillService()
    monkeypatch.setattr(service, "scorer", lambda: BrightnessScorer())
    image, mask = _face_photo()
    request = InpaintRequest(image, mask, n_results=4, seed=3, faces=(synthetic_landmarks(),))
    with registry.registered(fakes.FACE_SPEC, "tests.engines.fakes:FaceMeanEngine"):
        result = drive(service.fill("test-face", request))
    scores = [c.info["score"] for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    assert scores == [BrightnessScorer().score_photo(c.image, ()) for c in result.candidates]


def test_other_engines_results_are_not_scored(monkeypatch, mean_engine, photo):
    service = FillService()
    monkeypatch.setattr(service, "scorer", lambda: BrightnessScorer())
    result = drive(service.fill("test-mean", InpaintRequest(photo, square_mask(photo.shape[:2], 30, 30, 20), n_results=2)))
    assert all("score" not in c.info for c in result.candidates)


def test_compare_gives_each_engine_its_own_options_and_hands_results_over_as_they_come(mean_engine, photo):
    service = FillService()
    mask = square_mask(photo.shape[:2], 30, 30, 20)
    request = InpaintRequest(photo, mask, seed=4)
    events: list[Progress] = []
    choices = [EngineChoice("telea", options={"method": "ns", "radius": 2}), EngineChoice("test-mean")]
    compared = drive(service.compare(choices, request), events.append)
    partial = [e.partial for e in events if e.partial is not None]
    assert [c.name for c in compared] == ["telea", "test-mean"] and partial == compared
    assert all(isinstance(c, Compared) and c.seconds >= 0 and c.score is None for c in compared)
    alone = drive(service.fill("telea", InpaintRequest(photo, mask, options={"method": "ns", "radius": 2})))
    assert np.array_equal(compared[0].image, alone.image), "telea ran with the user's options"
    assert all(e.preview is None for e in events), "engines' own previews are not passed for results"


def _folder(tmp_path, count: int) -> tuple:
    images = tmp_path / "images"
    images.mkdir()
    for i in range(count):
        Image.fromarray(np.full((40, 50, 3), 40 * i, np.uint8)).save(images / f"{i}.png")
    mask = np.zeros((40, 50), np.uint8)
    mask[10:20, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return images, tmp_path / "mask.png"


CANCELLING_SPEC = EngineSpec("test-cancelling", "Test: cancels", "clicks Cancel at its first step", frozenset({Need.MASK}), None)
USER_CANCEL = CancelToken()


class CancellingEngine(Engine):
    """Plays the user clicking Cancel while it fills, then goes on the way engines do: checking its token per step."""

    spec = CANCELLING_SPEC
    steps = 0

    def fill(self, crop, options, rng, cancel):
        USER_CANCEL.cancel()
        for step in range(50):
            cancel.raise_if_cancelled()
            CancellingEngine.steps = step + 1
            yield Progress(step, 50, "working")
        return [crop.image.copy()]


@pytest.fixture
def user_cancel():
    global USER_CANCEL
    USER_CANCEL = CancelToken()
    CancellingEngine.steps = 0
    with registry.registered(CANCELLING_SPEC, f"{__name__}:CancellingEngine"):
        yield USER_CANCEL


def test_batch_cancel_stops_the_file_in_progress(tmp_path, user_cancel):
    """The batch's token reaches the engine: the file being filled is abandoned, not finished and written."""
    images, mask = _folder(tmp_path, 3)
    report = drive(FillService().batch(BatchJob(images, tmp_path / "out", engine="test-cancelling", masks=mask), user_cancel))
    assert report.cancelled and report.done == [] and report.failed == []
    assert CancellingEngine.steps == 0 and list((tmp_path / "out").iterdir()) == []
    assert "Filled 0 of 3 images" in report.summary(tmp_path / "out"), "the photos not reached count too"


def test_batch_cancel_reaches_the_face_search(tmp_path, monkeypatch, user_cancel):
    """Cancel during a photo's face search: the search ends (engines/faces checks the token) and nothing is filled."""
    def first_step(view, upsample):  # the search's first detector: the user cancels while it runs
        user_cancel.cancel()
        return []

    monkeypatch.setattr("engines.faces.search.hog_candidates", first_step)
    images, _ = _folder(tmp_path, 2)
    job = BatchJob(images, tmp_path / "out", engine="test-cancelling", face_region="eyes")
    report = drive(FillService().batch(job, user_cancel))
    assert report.cancelled and report.done == [] and report.failed == [] and CancellingEngine.steps == 0


def test_batch_checks_the_engine_and_its_options_before_any_file(tmp_path):
    images, mask = _folder(tmp_path, 2)
    with pytest.raises(InputError, match="no option 'strength'"):
        drive(FillService().batch(BatchJob(images, tmp_path / "out", masks=mask, options={"strength": "2"})))
    assert not (tmp_path / "out").exists()
