"""The editor window driven offscreen with pytest-qt: canvas <-> model, tools, inpaint, save, sessions, autosave."""
from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from app import tools
from app.autosave import Autosave
from app.canvas import Tool
from app.document import Layer
from app.main_window import MainWindow
from engines import registry
from engines.contract import EngineSpec, Need
from tests.conftest import ROOT
from tests.engines import fakes


def _widget_point(window, x: float, y: float) -> QPoint:
    canvas = window.canvas
    return (canvas.offset + QPointF(x, y) * canvas.zoom).toPoint()


def _pixel(window, x: float, y: float):
    image = window.canvas.grab().toImage()
    return image.pixelColor(_widget_point(window, x, y))


def _drag(qtbot, window, points, button=Qt.MouseButton.LeftButton):
    canvas = window.canvas
    qtbot.mousePress(canvas, button, pos=_widget_point(window, *points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, _widget_point(window, *point))
    qtbot.mouseRelease(canvas, button, pos=_widget_point(window, *points[-1]))


def test_model_changes_show_on_the_canvas(window, photo_file):
    window.open_path(photo_file[0])
    before = _pixel(window, 80, 60)
    tools.fill_rectangle(window.document, Layer.MASK, (70, 50), (90, 70))
    after = _pixel(window, 80, 60)
    assert after != before and after.red() >= before.red(), "the red mask overlay is drawn"
    window.document.undo()
    assert _pixel(window, 80, 60) == before


def test_a_brush_drag_paints_the_mask_as_one_undo_step(qtbot, window, photo_file):
    window.open_path(photo_file[0])
    window.tool_bar.size.setValue(16)
    _drag(qtbot, window, [(20, 60), (60, 60), (100, 62), (140, 64)])
    mask = window.document.mask
    assert mask[60, 30:130].all() and not mask[5, 5]
    assert len(window.document.history.undo) == 1
    assert window.windowTitle().startswith("photo.png *")
    window.undo()
    assert not mask.any()
    window.redo()
    assert mask[60, 30:130].all()


def test_rectangle_and_eraser_tools_through_the_mouse(qtbot, window, photo_file):
    window.open_path(photo_file[0])
    window.tool_bar.select(Tool.RECTANGLE)
    _drag(qtbot, window, [(10, 10), (50, 40)])
    assert window.document.mask[12:38, 12:48].all()
    window.tool_bar.select(Tool.ERASER)
    _drag(qtbot, window, [(30, 25), (31, 25)])
    assert not window.document.mask[25, 30]


def test_sketch_tools_follow_the_engine_spec(window):
    assert not window.tool_bar.actions_by_tool[Tool.PEN].isEnabled(), "telea reads no sketch"
    spec = EngineSpec("test-sketch", "Test sketch", "reads a sketch", frozenset({Need.MASK, Need.SKETCH}), None)
    window._engine_changed(spec)
    assert window.tool_bar.actions_by_tool[Tool.PEN].isEnabled()


def test_untrained_engines_are_listed_but_cannot_be_picked(qtbot, dialogs, tmp_path):
    learned = EngineSpec("test-learned", "Test learned", "needs weights", frozenset({Need.MASK}), 64, weights=("g.safetensors",))
    with registry.registered(learned, "tests.engines.fakes:MeanEngine"):
        window = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path))
        qtbot.addWidget(window)
        combo = window.panel.engine
        index = combo.findData("test-learned")
        assert "no trained weights" in combo.itemText(index)
        assert not combo.model().item(index).isEnabled()
        window.panel.select_engine("test-learned")
        assert combo.currentData() == "auto", "the default engine stays chosen"


def test_the_window_fits_the_screen_it_opens_on(qtbot, dialogs, tmp_path):
    """At 1280 x 820 the window was taller than a 1280 x 800 laptop screen: the status bar was off the screen."""
    window = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path))
    qtbot.addWidget(window)
    window.show()
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width() and window.height() <= screen.height(), (window.size(), screen)

def test_inpaint_fills_the_hole_off_the_ui_thread_and_is_undoable(qtbot, window, photo_file):
    path, pixels = photo_file
    window.open_path(path)
    tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
    hole = window.document.mask.copy()
    window.panel.inpaint_button.click()
    assert window.worker.isRunning() or window.worker.isFinished()
    qtbot.waitUntil(window.worker.isFinished, timeout=20_000)  # the worker may finish before a signal wait begins
    qtbot.waitUntil(lambda: not window.document.mask.any(), timeout=5000)
    image = window.document.image
    assert np.array_equal(image[~hole], pixels[~hole]) and not np.array_equal(image[hole], pixels[hole])
    assert window.panel.inpaint_button.isEnabled() and "Filled" in window.panel.message.text()
    window.undo()
    assert np.array_equal(window.document.image, pixels) and window.document.mask[hole].all()


def test_several_results_appear_in_a_gallery_to_pick_from(mean_filled):
    window = mean_filled
    first = window.document.image[40, 50].copy()
    window.choose_candidate(2)
    assert not np.array_equal(window.document.image[40, 50], first)
    assert window.document.history.undo[-1].label == "Pick result 3"

def test_cancel_stops_a_running_fill_and_keeps_the_mask(qtbot, window, photo_file):
    from tests.app.test_worker import SLOW_SPEC

    with registry.registered(SLOW_SPEC, "tests.app.test_worker:SlowEngine"):
        window.panel.engine.addItem("slow", "test-slow")
        window.panel.select_engine("test-slow")
        window.open_path(photo_file[0])
        tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
        window.inpaint()
        with qtbot.waitSignal(window.worker.progress, timeout=10_000):
            pass
        with qtbot.waitSignal(window.worker.finished, timeout=10_000):
            window.cancel()
        qtbot.waitUntil(lambda: window.panel.message.text() == "Cancelled.", timeout=5000)
        assert window.document.mask.sum() == 41 * 31 and window.panel.inpaint_button.isEnabled()


def test_a_bad_file_is_one_dialog_and_the_open_photo_is_kept(window, photo_file, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (1, 1), (5, 5))
    document = window.document
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    assert not window.open_path(tmp_path / "broken.jpg")
    assert window.document is document and document.mask.any()
    assert window.dialogs.errors == ["broken.jpg: not an image, or in a format this editor cannot read."]


def test_save_suggests_a_new_name_and_never_overwrites_the_original_without_asking(qtbot, window, photo_file, dialogs):
    path, pixels = photo_file
    window.open_path(path)
    tools.apply_result(window.document, np.zeros_like(pixels), np.ones(pixels.shape[:2], bool))
    original_bytes = path.read_bytes()
    dialogs.paths["save_image"] = str(path)
    assert not window.save()
    assert dialogs.paths["suggested"].endswith("photo_filled.png")
    assert dialogs.questions and "Overwrite the original photo" in dialogs.questions[0]
    assert path.read_bytes() == original_bytes
    dialogs.paths["save_image"] = str(path.with_name("out.jpg"))
    assert window.save()
    qtbot.waitUntil(lambda: not window.saving, timeout=10_000)
    qtbot.waitUntil(lambda: not window.document.modified, timeout=5000)
    assert Image.open(path.with_name("out.jpg")).format == "JPEG"
    assert not window.document.modified and not window.windowTitle().endswith("*")


def test_after_save_as_the_title_names_the_new_file_and_save_writes_there(qtbot, window, photo_file, dialogs):
    """QA: after Save As the title still named the opened photo, so it was unclear where Ctrl+S would write."""
    path, pixels = photo_file
    window.open_path(path)
    original_bytes = path.read_bytes()
    tools.apply_result(window.document, np.zeros_like(pixels), np.ones(pixels.shape[:2], bool))
    out = path.with_name("out.png")
    dialogs.paths["save_image"] = str(out)
    assert window.save_as()
    assert window.windowTitle().startswith("out.png")
    qtbot.waitUntil(lambda: not window.saving and not window.document.modified, timeout=10_000)
    assert window.windowTitle() == "out.png - Inpainting editor"
    assert window.recent_menu.actions()[0].text() == str(out.resolve()), "Open Recent offers the written file first"
    tools.apply_result(window.document, np.full_like(pixels, 200), np.ones(pixels.shape[:2], bool))
    dialogs.paths["save_image"] = str(path.with_name("elsewhere.png"))  # a question would answer this
    assert window.save()
    qtbot.waitUntil(lambda: not window.saving and not window.document.modified, timeout=10_000)
    assert np.all(np.asarray(Image.open(out)) == 200) and not path.with_name("elsewhere.png").exists()
    dialogs.paths["save_image"] = str(path)
    assert not window.save_as(), "back onto the opened photo: asked, and the answer was no"
    assert dialogs.paths["suggested"] == str(out), "Save As starts from the file it wrote last"
    assert "Overwrite the original photo" in dialogs.questions[-1] and path.read_bytes() == original_bytes
    assert window.windowTitle() == "out.png - Inpainting editor", "the refused Save As changed nothing"


def test_session_save_and_reopen(window, photo_file, dialogs, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    window.panel.seed.setValue(42)
    dialogs.paths["save_session"] = str(tmp_path / "work.inpaint")
    window.save_session_dialog()
    mask = window.document.mask.copy()
    tools.clear(window.document, Layer.MASK)
    window.panel.seed.setValue(0)
    dialogs.answers["save_changes"] = "discard"
    assert window.open_path(tmp_path / "work.inpaint")
    assert np.array_equal(window.document.mask, mask) and window.panel.seed.value() == 42
    window.undo()
    assert not window.document.mask.any()


def test_autosave_is_offered_back_after_a_crash(qtbot, window, photo_file, dialogs, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    window.autosave_now()
    window.autosave.wait()
    assert window.autosave.exists()
    # a crash: the window never closes; a new editor starts with the same state folder
    restarted = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path / "state"))
    qtbot.addWidget(restarted)
    dialogs.answers["confirm"] = True
    restarted.offer_restore()
    assert restarted.document is not None and restarted.document.mask[10:31, 10:31].all()
    assert restarted.document.modified


def test_clean_close_removes_the_autosave(window, photo_file):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    window.autosave_now()
    window.autosave.wait()
    window.dialogs.answers["save_changes"] = "discard"
    assert window.close()
    assert not window.autosave.exists()


def test_paste_an_image_from_the_clipboard(window):
    pixels = np.zeros((30, 40, 3), np.uint8)
    pixels[:, :20] = (200, 10, 10)
    QApplication.clipboard().setImage(QImage(pixels.data, 40, 30, 120, QImage.Format.Format_RGB888).copy())
    window.paste_image()
    assert window.document.shape == (30, 40) and tuple(window.document.image[5, 5]) == (200, 10, 10)


def test_shortcuts_are_in_the_menus(window):
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString() for menu in window.menuBar().findChildren(QMenu)
                 for a in menu.actions()}
    assert shortcuts["Inpaint"] == "Ctrl+Return" and shortcuts["Cancel"] == "Esc"
    assert shortcuts["Brush"] == "B" and shortcuts["Eraser"] == "E"
    assert shortcuts["Bigger Brush"] == "]" and shortcuts["Smaller Brush"] == "["
    assert shortcuts["Undo"] == QKeySequence(QKeySequence.StandardKey.Undo).toString() and shortcuts["Redo"] == "Ctrl+Shift+Z"
    assert "Compare with Original" not in shortcuts, "comparing is held on the canvas, Tab moves focus"
    assert shortcuts["Keyboard Shortcuts"] == "F1"


def test_compare_shows_the_original(qtbot, window, tmp_path):
    Image.fromarray(np.full((60, 80, 3), (140, 41, 7), np.uint8)).save(tmp_path / "flat.png")
    window.open_path(tmp_path / "flat.png")
    tools.apply_result(window.document, np.zeros((60, 80, 3), np.uint8), np.ones((60, 80), bool))
    assert _pixel(window, 40, 30).red() == 0
    window.canvas.set_compare(True)
    shown = _pixel(window, 40, 30)
    assert (shown.red(), shown.green(), shown.blue()) == (140, 41, 7)
    window.canvas.set_compare(False)
    assert _pixel(window, 40, 30).red() == 0


def test_brush_size_keys(window):
    size = window.tool_bar.size.value()
    window.tool_bar.bigger.trigger()
    assert window.canvas.brush.radius == round(size * 1.25)
    window.tool_bar.smaller.trigger()
    window.tool_bar.smaller.trigger()
    assert window.canvas.brush.radius < size


def test_engine_previews_show_on_the_canvas_while_it_runs(qtbot, window, photo_file):
    with registry.registered(fakes.ITERATIVE_SPEC, "tests.engines.fakes:IterativeEngine"):
        window.panel.engine.addItem("iterative", "test-iterative")
        window.panel.select_engine("test-iterative")
        window.open_path(photo_file[0])
        tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
        shown = []
        original_show = window.canvas.show_preview
        window.canvas.show_preview = lambda preview: (shown.append(preview), original_show(preview))
        window.inpaint()
        qtbot.waitUntil(window.worker.isFinished, timeout=20_000)  # the worker may finish before a signal wait begins
        qtbot.waitUntil(lambda: bool(shown) and shown[-1] is None, timeout=5000)
    previews = [p for p in shown if p is not None]
    assert len(previews) == 3 and previews[0].shape == window.document.image.shape
    assert "score" in window.panel.message.text() or "Filled" in window.panel.message.text()


def test_opened_files_appear_under_open_recent(window, photo_file, tmp_path):
    window.open_path(photo_file[0])
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "second.png")
    window.open_path(tmp_path / "second.png")
    entries = [a.text() for a in window.recent_menu.actions()]
    assert entries == [str((tmp_path / "second.png").resolve()), str(photo_file[0].resolve())]
    window.recent_menu.actions()[1].trigger()
    assert window.document.path == photo_file[0].resolve()


def test_auto_face_mask_masks_the_astronauts_lower_face_as_one_step(qtbot, window):
    window.open_path(ROOT / "resources" / "samples" / "astronaut.jpg")
    window.auto_face_mask("worn_mask")
    qtbot.waitUntil(window._face_worker.isFinished, timeout=60_000)  # the worker may finish before a signal wait begins
    qtbot.waitUntil(lambda: window.document.mask.any(), timeout=5000)
    from engines.faces.search import detect_faces

    (face,) = detect_faces(window.document.image)
    mouth = face.landmarks[48:60].mean(0).round().astype(int)
    eye = face.landmarks[36:42].mean(0).round().astype(int)
    mask = window.document.mask
    assert mask[mouth[1], mouth[0]] and not mask[eye[1], eye[0]], "the mouth is masked, the eye is not"
    assert not mask[400, 100], "nor is the badge on the suit"
    assert window.document.history.undo[-1].label == "Auto face mask (worn_mask)"
    assert "1 face" in window.statusBar().currentMessage()
    window.undo()
    assert not window.document.mask.any()


def test_auto_face_mask_without_a_face_says_so(qtbot, window, photo_file):
    window.open_path(photo_file[0])
    window.auto_face_mask("eyes")
    qtbot.waitUntil(window._face_worker.isFinished, timeout=60_000)  # the worker may finish before a signal wait begins
    qtbot.waitUntil(lambda: bool(window.dialogs.errors), timeout=5000)
    assert window.dialogs.errors == ["No face was found in this photo; paint the mask by hand."]
    assert not window.document.mask.any()


def test_a_face_search_shows_progress_and_cancel_stops_it(qtbot, window, monkeypatch):
    import threading

    from engines.faces import search

    release = threading.Event()
    monkeypatch.setattr(search, "hog_candidates", lambda view, upsample: release.wait(10) and [])  # a slow first step
    window.open_path(ROOT / "resources" / "samples" / "astronaut.jpg")
    window.auto_face_mask("worn_mask")
    qtbot.waitUntil(lambda: window.panel.message.text() == "Looking for faces (HOG)", timeout=10_000)
    assert window.panel.cancel_button.isEnabled() and not window.panel.inpaint_button.isEnabled()
    window.cancel()
    release.set()
    qtbot.waitUntil(window._face_worker.isFinished, timeout=10_000)
    qtbot.waitUntil(lambda: window.panel.message.text() == "Face search cancelled.", timeout=5000)
    assert not window.document.mask.any() and not window.dialogs.errors
    assert window.panel.inpaint_button.isEnabled()


def test_engines_with_several_weight_sets_offer_a_domain_choice(window, monkeypatch):
    monkeypatch.setattr(registry, "is_runnable", lambda name: True)
    monkeypatch.setattr(registry, "trained_domains", lambda name, root=None: ["faces"])
    window.panel.reload()
    window.panel.select_engine("regionwise")
    assert window.panel.domain.isVisibleTo(window.panel) and window.panel.domain.count() == 2
    assert window.panel.settings()["domain"] == "faces", "the trained domain is chosen"
    scenes = window.panel.domain.findData("scenes")
    assert not window.panel.domain.model().item(scenes).isEnabled()
    assert "no trained weights" in window.panel.domain.itemText(scenes)
    window.panel.select_engine("cfs")
    assert not window.panel.domain.isVisibleTo(window.panel)
    assert window.tool_bar.actions_by_tool[Tool.PEN].isEnabled(), "CFS reads the sketch layer"
