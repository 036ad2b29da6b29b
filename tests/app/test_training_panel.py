"""The training tab: a real 20-step CPU run of a tiny model in a child process; curves, stop, resume, install."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests.conftest import SAMPLES

PROCESS_WAIT_MS = 600_000  # a child training process; generous because the test machine may be shared and busy


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
    panel.select_engine("lskfnet")
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
    qtbot.waitUntil(lambda: len(panel.series.get("gen_edge_adv", ([], []))[0]) >= 2, timeout=PROCESS_WAIT_MS)
    assert panel.curves and "steps/s" in panel.speed.text()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=PROCESS_WAIT_MS)
    stopped_at = _step(run)
    assert 2 <= stopped_at < 20, "the STOP file ended the run early, with a checkpoint"
    panel.resume_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=PROCESS_WAIT_MS)
    assert _step(run) == 20
    assert max(panel.series["gen_image_l1"][0]) == 20, "curves continue after the resume"
    assert panel.sample.pixmap() is not None and not panel.sample.pixmap().isNull()

    weights = tmp_path / "weights"
    monkeypatch.setattr("engines.registry.WEIGHTS_DIR", weights)
    panel.weights_dir = weights
    panel.install_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=PROCESS_WAIT_MS)
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
    panel.select_engine("maskedface")
    for edit, value in ((panel.data, faces), (panel.landmarks, landmarks), (panel.run, run), (panel.val, faces), (panel.val_masks, landmarks)):
        edit.setText(str(value))
    panel.size.setValue(64)
    panel.batch.setValue(2)
    panel.steps.setValue(2)
    panel.device.setCurrentText("cpu")
    panel.start_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=PROCESS_WAIT_MS)
    assert _step(run) == 2
    panel.eval_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=PROCESS_WAIT_MS)
    table = json.loads((run / "eval.json").read_text())
    assert {row["engine"] for row in table} == {"telea", "maskedface"}
    assert "face mask  telea" in panel.log.toPlainText()


def test_engines_with_several_weight_sets_train_one_domain_at_a_time(window):
    panel = window.training
    panel.select_engine("regionwise")
    assert panel.domain.isEnabled() and [panel.domain.itemData(i) for i in range(panel.domain.count())] == ["scenes", "faces"]
    panel.domain.setCurrentIndex(1)
    args = panel.train_arguments(resume=False)
    assert args[args.index("--domain") + 1] == "faces"
    panel.select_engine("lskfnet")
    assert not panel.domain.isEnabled() and "--domain" not in panel.train_arguments(resume=False)


def test_evaluate_with_missing_fields_says_what_is_missing_and_launches_nothing(window, tmp_path):
    panel = window.training
    panel.start_button.click()
    assert panel.process is None and "training images" in panel.notice.text()
    panel.install_button.click()
    assert panel.process is None and "Install needs a run folder" in panel.notice.text()
    panel.eval_button.click()
    assert panel.process is None and "run folder with a checkpoint" in panel.notice.text()
    (tmp_path / "run" / "checkpoint").mkdir(parents=True)
    panel.run.setText(str(tmp_path / "run"))
    panel.eval_button.click()
    assert panel.process is None and "evaluation images" in panel.notice.text()
    panel.val.setText(str(tmp_path))
    panel.eval_button.click()
    assert panel.process is None and "evaluation masks" in panel.notice.text()


def test_the_tab_lists_engines_by_title_and_has_browse_buttons(window):
    from engines import registry

    panel = window.training
    titles = [panel.engine.itemText(i) for i in range(panel.engine.count())]
    assert registry.spec("lskfnet").title in titles and "lskfnet" not in titles
    panel.select_engine("cfs")
    assert panel.train_arguments(resume=False)[1] == "cfs"
    assert set(panel.browse) == {"Images", "Masks", "Landmarks", "Run folder", "Eval images", "Eval masks"}


def test_the_legend_sits_outside_the_curves_and_names_every_one(window):
    panel = window.training
    for step in (1, 2):
        panel._add_metrics({"step": step, **{f"gen_loss_{k}": 1.0 / step for k in range(9)}})
    assert panel.plot.plotItem.legend is None, "nothing is drawn over the curves"
    assert all(f"gen_loss_{k}" in panel.legend.text() for k in range(9))
