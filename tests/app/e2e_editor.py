"""The whole loop in a real window, as a user does it: open a photo, paint a stroke, Inpaint (the default engine), save,
reopen the saved file, and take a screenshot of the screen. Run under an X server (see test_xvfb.py):

    python -m tests.app.e2e_editor PHOTO OUT_DIR
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.autosave import Autosave
from app.main_window import MainWindow
from engines.imageio import load_image


class ScriptedDialogs:
    """Answers the editor's questions the way this script's user would."""

    def __init__(self, save_path: Path) -> None:
        self.save_path = save_path
        self.errors: list[str] = []

    def save_image_path(self, suggested: str) -> str:
        return str(self.save_path)

    def confirm(self, question: str, default_yes: bool = False) -> bool:
        return False

    def ask_save_changes(self) -> str:
        return "discard"

    def error(self, message: str) -> None:
        self.errors.append(message)


def wait_until(app: QApplication, condition, timeout_s: float = 30.0) -> None:
    """Keep the event loop turning; time.sleep lets the worker thread take the GIL (QTest.qWait does not)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the editor did not finish in time")
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def main(photo: str, out_dir: str) -> int:
    out = Path(out_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    dialogs = ScriptedDialogs(out / "filled.png")
    window = MainWindow(dialogs=dialogs, autosave=Autosave(out))
    window.resize(1200, 760)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.activateWindow()
    wait_until(app, window.isActiveWindow, 10)
    assert window.open_path(photo), dialogs.errors
    QTest.qWait(200)
    canvas = window.canvas
    h, w = window.document.shape
    centre = canvas.offset + canvas.zoom * 0.5 * QPoint(w, h).toPointF()
    start = centre.toPoint() + QPoint(-120, -40)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 25):
        QTest.mouseMove(canvas, start + QPoint(step * 10, step * 3))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(240, 72))
    painted = window.document.mask.copy()
    assert painted.sum() > 500, "the stroke painted the mask"
    app.processEvents()
    app.primaryScreen().grabWindow(0).save(str(out / "painted.png"))
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Inpaint
    wait_until(app, lambda: window.worker is not None and window.worker.isFinished() and not window.document.mask.any())
    QTest.qWait(200)
    app.primaryScreen().grabWindow(0).save(str(out / "filled_window.png"))
    QTest.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.compare, "holding \\ shows the original"
    app.primaryScreen().grabWindow(0).save(str(out / "original_window.png"))
    QTest.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not canvas.compare
    original = load_image(photo).rgb
    assert not np.array_equal(window.document.image[painted], original[painted]), "the hole was filled"
    assert np.array_equal(window.document.image[~painted], original[~painted]), "the rest is untouched"
    window.save()
    wait_until(app, lambda: not window.saving and not window.document.modified)  # written off the UI thread
    assert (out / "filled.png").is_file(), dialogs.errors
    assert window.open_path(out / "filled.png"), dialogs.errors
    assert np.array_equal(window.document.image[~painted], original[~painted])
    window.close()
    print("e2e ok:", ", ".join(sorted(p.name for p in out.iterdir())))
    return 0 if not dialogs.errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
