"""The training tab: a real 20-step CPU run of a tiny model in a child process; curves, stop, resume, install."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests.conftest import SAMPLES


def _faces(folder):
    folder.mkdir()
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(4):
        Image.fromarray(np.roll(head, 5 * i, axis=1)).resize((32, 32)).save(folder / f"{i}.png")


def _step(run) -> int:
    return json.loads((run / "checkpoint" / "state.json").read_text())["step"]


def test_train_stop_resume_and_install(qtbot, window, tmp_path, monkeypatch):
    panel = window.training
    _faces(tmp_path / "faces")
    run = tmp_path / "run"
    panel.engine.setCurrentText("lskfnet")
    panel.data.setText(str(tmp_path / "faces"))
    panel.run.setText(str(run))
    panel.size.setValue(32)
    panel.width.setValue(4)
    panel.batch.setValue(2)
    panel.steps.setValue(20)
    panel.device.setCurrentText("cpu")
    assert "No NVIDIA GPU" in panel.device_note.text() or not panel.device_note.text()
    panel.start_button.click()
    assert panel.running and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: len(panel.series.get("gen_edge_adv", ([], []))[0]) >= 2, timeout=120_000)
    assert panel.curves and "steps/s" in panel.speed.text()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    stopped_at = _step(run)
    assert 2 <= stopped_at < 20, "the STOP file ended the run early, with a checkpoint"
    panel.resume_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    assert _step(run) == 20
    assert max(panel.series["gen_image_l1"][0]) == 20, "curves continue after the resume"
    assert panel.sample.pixmap() is not None and not panel.sample.pixmap().isNull()

    weights = tmp_path / "weights"
    monkeypatch.setattr("engines.registry.WEIGHTS_DIR", weights)
    panel.weights_dir = weights
    panel.install_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert (weights / "lskfnet" / "card.json").is_file()
    combo = window.panel.engine
    assert combo.model().item(combo.findData("lskfnet")).isEnabled(), "the picker updates without a restart"


def test_evaluate_a_finished_run_from_the_tab(qtbot, window, tmp_path):
    """maskedface on astronaut crops: landmarks, a 2-step run, then Evaluate writes the table (Telea alongside)."""
    from engines.contract import drive
    from engines.faces.landmark_cache import compute_landmarks

    faces = tmp_path / "faces"
    faces.mkdir()
    head = np.asarray(Image.open(SAMPLES / "astronaut.jpg"))[30:230, 120:320]
    for i in range(3):
        Image.fromarray(np.roll(head, 4 * i, axis=1)).resize((128, 128)).save(faces / f"{i}.png")
    landmarks = drive(compute_landmarks(faces, tmp_path / "landmarks.npz"))
    panel, run = window.training, tmp_path / "run"
    panel.engine.setCurrentText("maskedface")
    for edit, value in ((panel.data, faces), (panel.landmarks, landmarks), (panel.run, run), (panel.val, faces), (panel.val_masks, landmarks)):
        edit.setText(str(value))
    panel.size.setValue(64)
    panel.batch.setValue(2)
    panel.steps.setValue(2)
    panel.device.setCurrentText("cpu")
    panel.start_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    assert _step(run) == 2
    panel.eval_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    table = json.loads((run / "eval.json").read_text())
    assert {row["engine"] for row in table} == {"telea", "maskedface"}
    assert "face mask  telea" in panel.log.toPlainText()


def test_engines_with_several_weight_sets_train_one_domain_at_a_time(window):
    panel = window.training
    panel.engine.setCurrentText("regionwise")
    assert panel.domain.isEnabled() and [panel.domain.itemData(i) for i in range(panel.domain.count())] == ["scenes", "faces"]
    panel.domain.setCurrentIndex(1)
    args = panel.train_arguments(resume=False)
    assert args[args.index("--domain") + 1] == "faces"
    panel.engine.setCurrentText("lskfnet")
    assert not panel.domain.isEnabled() and "--domain" not in panel.train_arguments(resume=False)
