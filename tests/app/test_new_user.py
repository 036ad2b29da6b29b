"""The editor as a new user meets it (issue 14): hold-to-compare, Tab in fields, sessions under any name, crash
recovery, a brush sized to the photo, room for the photo, only the controls that do something, Help."""
from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app import tools
from app.autosave import Autosave
from app.canvas import Tool
from app.dialogs import SESSION_FILTER
from app.document import Document, Layer
from app.main_window import MainWindow
from engines import registry
from tests.engines import fakes


def _flat(tmp_path, colour=(140, 41, 7), size=(60, 80)):
    Image.fromarray(np.full((*size, 3), colour, np.uint8)).save(tmp_path / "flat.png")
    return tmp_path / "flat.png"


def _shown(window, x: float, y: float):
    canvas = window.canvas
    colour = canvas.grab().toImage().pixelColor((canvas.offset + QPointF(x, y) * canvas.zoom).toPoint())
    return colour.red(), colour.green(), colour.blue()


def test_holding_the_compare_key_shows_the_original_with_a_badge(qtbot, window, tmp_path):
    window.open_path(_flat(tmp_path))
    tools.apply_result(window.document, np.zeros((60, 80, 3), np.uint8), np.ones((60, 80), bool))
    canvas = window.canvas
    canvas.setFocus()
    badge = canvas.badge_rect().center()
    before_badge = canvas.grab().toImage().pixelColor(badge)
    qtbot.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.compare and _shown(window, 40, 30) == (140, 41, 7)
    assert canvas.grab().toImage().pixelColor(badge) != before_badge, "the Original badge is drawn"
    qtbot.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not canvas.compare and _shown(window, 40, 30) == (0, 0, 0)


def test_the_compare_button_works_while_held(qtbot, window, tmp_path):
    window.open_path(_flat(tmp_path))
    button = window.tool_bar.compare_button
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    assert window.canvas.compare
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert not window.canvas.compare


def test_tab_in_a_field_moves_focus_and_never_flips_the_canvas(qtbot, window, tmp_path):
    window.open_path(_flat(tmp_path))
    window.panel.select_engine("telea")
    field = window.panel._option_widgets["radius"]
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert not field.hasFocus() and not window.canvas.compare
    assert "Tab" not in [a.shortcut().toString() for a in window.findChildren(type(window.tool_bar.bigger))]


def test_a_change_to_the_photo_ends_the_comparison(qtbot, window, tmp_path, photo_file):
    """A fill that lands (or a stroke) while comparing is seen at once."""
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
    window.canvas.set_compare(True)
    window.inpaint()
    qtbot.waitUntil(lambda: not window.document.mask.any(), timeout=20_000)
    assert not window.canvas.compare
    window.canvas.set_compare(True)
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=(canvas.offset + QPointF(20, 20) * canvas.zoom).toPoint())
    assert not window.canvas.compare, "painting ends it"
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=(canvas.offset + QPointF(20, 20) * canvas.zoom).toPoint())


def test_a_session_saved_without_its_extension_is_found(window, photo_file, dialogs, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    dialogs.paths["save_session"] = str(tmp_path / "work")
    window.save_session_dialog()
    assert (tmp_path / "work.inpaint").is_file(), "the extension is added"
    (tmp_path / "work.inpaint").rename(tmp_path / "renamed")
    dialogs.answers["save_changes"] = "discard"
    tools.clear(window.document, Layer.MASK)
    dialogs.paths["open_session"] = str(tmp_path / "renamed")
    window.open_session_dialog()
    assert window.document.mask[10:31, 10:31].all() and not dialogs.errors
    assert window.open_path(tmp_path / "renamed"), "opened as a session by its content, not as a broken image"
    assert "All files (*)" in SESSION_FILTER


def test_crash_recovery_names_the_photo_and_enter_restores(qtbot, window, photo_file, dialogs, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    window.autosave_now()
    window.autosave.wait()
    restarted = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path / "state"))
    qtbot.addWidget(restarted)
    dialogs.answers["confirm"] = True
    restarted.offer_restore()
    assert "photo.png" in dialogs.questions[-1] and dialogs.defaults[-1] is True, "Enter keeps the work"


def _big(window, shape) -> None:
    window.set_document(Document(np.zeros((*shape, 3), np.uint8)))


def test_the_brush_is_sized_to_the_photo_and_remembered(qtbot, window, dialogs, tmp_path):
    _big(window, (2000, 3000))
    assert window.canvas.brush.radius == round(tools.BRUSH_FRACTION * 3000), "not a hairline on a large photo"
    assert window.tool_bar.size.maximum() >= 750, "a larger maximum"
    window.tool_bar.size.setValue(90)
    _big(window, (1000, 1500))
    assert window.canvas.brush.radius == 45, "the same size relative to the photo"
    again = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path / "state2"))
    qtbot.addWidget(again)
    _big(again, (200, 300))
    assert again.canvas.brush.radius == 9, "remembered by the next editor"


def test_alt_wheel_resizes_the_brush(window):
    _big(window, (600, 800))
    radius = window.canvas.brush.radius
    centre = QPointF(window.canvas.width() / 2, window.canvas.height() / 2)
    for delta, modifier in ((QPoint(0, 240), Qt.KeyboardModifier.AltModifier), (QPoint(240, 0), Qt.KeyboardModifier.AltModifier)):
        event = QWheelEvent(centre, window.canvas.mapToGlobal(centre), QPoint(), delta, Qt.MouseButton.NoButton, modifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        zoom = window.canvas.zoom
        QApplication.sendEvent(window.canvas, event)
        assert window.canvas.brush.radius > radius and window.canvas.zoom == zoom
        radius = window.canvas.brush.radius


def test_the_photo_gets_the_room_at_1280_px(qtbot, window):
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    QApplication.processEvents()
    assert window.canvas.width() >= 0.7 * window.width()


def test_the_compare_dialog_fits_the_window_and_shows_the_hole_large(qtbot, window, photo_file):
    window.resize(1280, 800)
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (70, 50), (80, 60))
    dialog = window.open_compare_dialog()
    qtbot.addWidget(dialog)
    assert dialog.width() <= window.width() and dialog.height() <= window.height()
    assert dialog.minimumSizeHint().width() <= window.width()
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.results.count() >= 1, timeout=30_000)
    assert dialog.results.iconSize().width() >= 200, "results are judged at a size, not as thumbnails"
    y0, y1, x0, x1 = dialog.view_box
    assert (y1 - y0, x1 - x0) < (120, 160), "the view is the area around the hole"


def test_only_the_controls_that_do_something_are_offered(window):
    panel = window.panel
    panel.select_engine("telea")
    assert not panel.seed.isVisibleTo(panel) and not panel.results.isVisibleTo(panel), "telea ignores the seed"
    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:MeanEngine"):
        panel.engine.addItem("test mean", "test-mean")
        panel.select_engine("test-mean")
        assert panel.seed.isVisibleTo(panel) and panel.results.isVisibleTo(panel)
    bar = window.tool_bar
    assert not bar.hardness.isEnabled() and not bar.colour_button.isEnabled(), "no sketch engine: no sketch controls"
    bar.enable_sketch(True)
    assert bar.colour_button.isEnabled() and not bar.hardness.isEnabled(), "the mask brush is always hard"
    bar.select(Tool.PEN)
    assert bar.hardness.isEnabled()
    bar.select(Tool.BRUSH)
    assert not bar.hardness.isEnabled()


def test_untrained_engines_say_how_to_get_weights(window):
    assert window.panel.weights_hint.isVisibleTo(window.panel) and "Training tab" in window.panel.weights_hint.text()
    index = window.panel.engine.findData("lskfnet")
    assert "main.py train lskfnet" in window.panel.engine.itemData(index, Qt.ItemDataRole.ToolTipRole)


def test_a_stale_message_goes_with_the_photo(qtbot, window, photo_file, tmp_path):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
    window.inpaint()
    qtbot.waitUntil(lambda: "Filled" in window.panel.message.text(), timeout=20_000)
    window.open_path(_flat(tmp_path))
    assert window.panel.message.text() == ""


def test_help_lists_the_shortcuts_from_the_menus(window):
    from app import help_menu

    text = help_menu.shortcuts_html(window.menuBar())
    for expected in ("Ctrl+Return", "Inpaint", "Alt + wheel", "Hold \\", "Bigger Brush"):
        assert expected in text
    assert [a.text() for a in window.menuBar().actions()][-1] == "&Help"


def test_saving_a_photo_does_not_hold_the_ui(qtbot, window, photo_file, dialogs, tmp_path, monkeypatch):
    written = threading.Event()
    release = threading.Event()

    def slow_save(path, image, meta=None):
        release.wait(10)
        Image.fromarray(image).save(path)
        written.set()

    monkeypatch.setattr("app.file_actions.save_image", slow_save)
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    dialogs.paths["save_image"] = str(tmp_path / "out.png")
    assert window.save() and not written.is_set(), "Save returned while the file is still being written"
    assert window.saving and "Saving" in window.statusBar().currentMessage()
    tools.fill_rectangle(window.document, Layer.MASK, (40, 40), (50, 50))  # editing goes on meanwhile
    release.set()
    qtbot.waitUntil(lambda: not window.saving, timeout=10_000)
    qtbot.waitUntil(lambda: "Saved" in window.statusBar().currentMessage(), timeout=5000)
    assert (tmp_path / "out.png").is_file() and window.document.modified, "the edit made while saving is unsaved"


def test_a_failed_background_save_says_so_keeps_the_work_and_asks_where_next_time(qtbot, window, photo_file, dialogs, tmp_path,
                                                                                  monkeypatch):
    window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    dialogs.paths["save_image"] = str(tmp_path / "out.png")

    def disk_full(fd):  # a failure only the write itself can find (a missing folder is refused before it starts)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engines.imageio.os.fsync", disk_full)
    assert window.save()
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=10_000)
    assert dialogs.errors[0].startswith("Could not save out.png") and window.document.modified
    assert window.save_path is None
