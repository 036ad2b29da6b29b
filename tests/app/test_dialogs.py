"""The batch dialog and the engine comparison, driven offscreen."""
from __future__ import annotations

import threading
import time

import numpy as np
from PIL import Image

from app import tools
from app.document import Layer
from engines import registry
from engines.base import Engine
from engines.contract import EngineSpec, Need
from tests.conftest import SAMPLES
from tests.engines import fakes

UNINTERRUPTIBLE_SPEC = EngineSpec("test-uninterruptible", "Test: cannot stop mid-fill", "like PatchMatch on a big photo",
                                  frozenset({Need.MASK}), None)


class UninterruptibleEngine(Engine):
    """Fills with black once the test lets it go; a cancel is seen only between fills, as with PatchMatch."""

    spec = UNINTERRUPTIBLE_SPEC
    started, release = threading.Event(), threading.Event()

    def fill_one(self, crop, options, rng):
        UninterruptibleEngine.started.set()
        UninterruptibleEngine.release.wait(10)
        out = crop.image.copy()
        out[crop.mask] = 0
        return out


def _batch_folder(tmp_path, count: int):
    """``count`` small photos in images/ and one mask for all of them."""
    (tmp_path / "images").mkdir()
    for index in range(count):
        Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "images" / f"{index}.png")
    hole = np.zeros((8, 8), np.uint8)
    hole[2:6, 2:6] = 255
    Image.fromarray(hole).save(tmp_path / "mask.png")


def test_batch_dialog_fills_a_folder_and_reports_the_corrupt_file(qtbot, window, tmp_path):
    images, out = tmp_path / "images", tmp_path / "out"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(images / f"{i}.png")
    (images / "broken.jpg").write_bytes(b"not a jpeg")
    mask = np.zeros((40, 50), np.uint8)
    mask[10:20, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    dialog = window.open_batch_dialog()
    qtbot.addWidget(dialog)
    dialog.images.setText(str(images))
    dialog.masks.setText(str(tmp_path / "mask.png"))
    dialog.out.setText(str(out))
    dialog.start_button.click()
    qtbot.waitUntil(dialog.worker.isFinished, timeout=30_000)  # the worker may finish before a signal wait begins
    qtbot.waitUntil(lambda: "Filled 4 of 5" in dialog.report.toPlainText(), timeout=5000)
    assert "broken.jpg: not an image" in dialog.report.toPlainText()
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png", "2.png", "3.png"]
    assert sorted(p.name for p in images.iterdir()) == ["0.png", "1.png", "2.png", "3.png", "broken.jpg"]
    assert dialog.start_button.isEnabled()


def _open_batch(qtbot, window, tmp_path, engine: str):
    dialog = window.open_batch_dialog()
    qtbot.addWidget(dialog)
    dialog.images.setText(str(tmp_path / "images"))
    dialog.masks.setText(str(tmp_path / "mask.png"))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.engine.setCurrentIndex(dialog.engine.findData(engine))
    return dialog


def test_cancel_says_at_once_that_it_is_cancelling_then_how_many_were_filled(qtbot, window, tmp_path):
    """QA: Cancel took 5 s on a 12 MP photo (PatchMatch cannot stop mid-fill) with nothing shown meanwhile."""
    _batch_folder(tmp_path, 3)
    UninterruptibleEngine.started.clear()
    UninterruptibleEngine.release.clear()
    with registry.registered(UNINTERRUPTIBLE_SPEC, f"{__name__}:UninterruptibleEngine"):
        dialog = _open_batch(qtbot, window, tmp_path, "test-uninterruptible")
        try:
            dialog.start_button.click()
            qtbot.waitUntil(UninterruptibleEngine.started.is_set, timeout=10_000)
            dialog.cancel_button.click()
            assert not dialog.cancel_button.isEnabled() and dialog.running, "the first photo's fill is still going"
            assert dialog.report.toPlainText().endswith("Cancelling: waiting for the fill in progress to stop...")
        finally:
            UninterruptibleEngine.release.set()
        qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
        qtbot.waitUntil(lambda: "Cancelled." in dialog.report.toPlainText(), timeout=5000)
    assert f"Filled 1 of 3 images into {tmp_path / 'out'}. Cancelled." in dialog.report.toPlainText()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["0.png"]
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_quitting_while_a_batch_runs_asks_first_then_stops_it(qtbot, window, dialogs, tmp_path):
    """Quitting under a running batch dropped it without a word (or aborted: a QThread destroyed while running)."""
    _batch_folder(tmp_path, 1)
    from tests.app.test_worker import SLOW_SPEC  # cycles for 4 s, stops at Cancel

    with registry.registered(SLOW_SPEC, "tests.app.test_worker:SlowEngine"):
        dialog = _open_batch(qtbot, window, tmp_path, "test-slow")
        dialog.start_button.click()
        assert dialog.running
        assert not window.close(), "the user said no: the editor stays open"
        assert "batch fill is still running" in dialogs.questions[-1] and dialog.running
        dialogs.answers["confirm"] = True
        started = time.monotonic()
        assert window.close()
        assert not dialog.running and time.monotonic() - started < 2, "stopped at Cancel, not after its 4 s fill"
        assert not (tmp_path / "out" / "0.png").exists()


def test_batch_dialog_refuses_to_write_into_the_input_folder(qtbot, window, tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    dialog = window.open_batch_dialog()
    qtbot.addWidget(dialog)
    dialog.images.setText(str(tmp_path))
    dialog.face_region.setCurrentText("worn_mask")
    dialog.out.setText(str(tmp_path))
    dialog.start_button.click()
    qtbot.waitUntil(dialog.worker.isFinished, timeout=30_000)  # the worker may finish before a signal wait begins
    qtbot.waitUntil(lambda: "is an input folder" in dialog.report.toPlainText(), timeout=5000)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_compare_two_engines_and_use_one(qtbot, window, photo_file):
    path, pixels = photo_file
    window.open_path(path)
    tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
    hole = window.document.mask.copy()
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:MeanEngine"):
        dialog = window.open_compare_dialog()
        qtbot.addWidget(dialog)
        assert dialog.boxes["telea"].isChecked() and dialog.boxes["test-mean"].isChecked()
        assert not dialog.boxes["maskedface"].isEnabled(), "untrained engines cannot be compared"
        for name, box in dialog.boxes.items():
            box.setChecked(name in ("telea", "test-mean"))
        dialog.run_button.click()
        qtbot.waitUntil(dialog.worker.isFinished, timeout=30_000)  # the worker may finish before a signal wait begins
        qtbot.waitUntil(lambda: dialog.results.count() == 2, timeout=5000)
        assert " s" in dialog.results.item(0).text()
        mean_item = next(dialog.results.item(i) for i in range(2) if "Test" in dialog.results.item(i).text())
        dialog.results.setCurrentItem(mean_item)
        dialog.use_button.click()
    results = {c.name: c.image for c in dialog.compared}
    image = window.document.image
    assert np.array_equal(image[~hole], pixels[~hole]) and np.array_equal(image[hole], results["test-mean"][hole])
    assert not np.array_equal(image[hole], results["telea"][hole])
    assert window.document.history.undo[-1].label == "Inpaint (test-mean, compared)" and not window.document.mask.any()


def test_compare_shows_quality_scores_when_a_scorer_is_installed(qtbot, window, photo_file, tmp_path, monkeypatch):
    """A (random-weight) quality discriminator installed with its card: each result gets a score."""
    import hashlib
    import json

    from safetensors.torch import save_file

    from engines.crg.quality import QualityDiscriminator

    folder = tmp_path / "weights" / "crg-quality"
    folder.mkdir(parents=True)
    save_file(QualityDiscriminator().state_dict(), str(folder / "quality.safetensors"))
    digest = hashlib.sha256((folder / "quality.safetensors").read_bytes()).hexdigest()
    (folder / "card.json").write_text(json.dumps({"sha256": {"quality.safetensors": digest}}))
    monkeypatch.setattr("engines.registry.WEIGHTS_DIR", tmp_path / "weights")
    window.open_path(SAMPLES / "astronaut.jpg")
    tools.fill_rectangle(window.document, Layer.MASK, (200, 120), (230, 140))
    dialog = window.open_compare_dialog()
    qtbot.addWidget(dialog)
    assert dialog.status.text() == ""
    dialog.run_button.click()
    qtbot.waitUntil(dialog.worker.isFinished, timeout=30_000)  # the worker may finish before a signal wait begins
    checked = sum(box.isChecked() for box in dialog.boxes.values())
    qtbot.waitUntil(lambda: dialog.results.count() == checked, timeout=5000)
    assert all(", score 0." in dialog.results.item(i).text() for i in range(checked))


def test_the_dialogs_take_the_engine_as_set_up_in_the_panel(window, photo_file, tmp_path):
    """The panel's engine keeps the user's options, weight set and seed in Compare and Batch; other engines their defaults."""
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
    window.panel.select_engine("telea")
    window.panel._option_widgets["radius"].setValue(2)
    window.panel._option_widgets["method"].setCurrentText("ns")
    window.panel.seed.setValue(7)
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:MeanEngine"):
        compare = window.open_compare_dialog()
        choices = {c.name: c for c in compare.choices()}
        assert dict(choices["telea"].options) == {"radius": 2, "method": "ns"} and dict(choices["test-mean"].options) == {}
        assert compare.request.seed == 7
        compare.close()
    batch = window.open_batch_dialog()
    batch.images.setText(str(tmp_path))
    batch.out.setText(str(tmp_path / "out"))
    job = batch.job()
    assert (job.engine, job.options, job.seed) == ("telea", {"radius": 2, "method": "ns"}, 7)
    batch.close()
