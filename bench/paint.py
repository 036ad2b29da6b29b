"""Editor responsiveness: time from a brush event to the repainted canvas on a 12-megapixel photo, time from
`python` starting to the first window on screen, and how long saving a 12-megapixel PNG holds the UI (written off
the UI thread, side by side with writing it on the UI thread as the editor used to).

Targets on the 2-core development machine: <= 16 ms per brush event, <= 2 s to the first window.
Run: QT_QPA_PLATFORM=offscreen python bench/paint.py   (or under Xvfb with QT_QPA_PLATFORM=xcb)
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRUSH_RADIUS = 60  # image pixels

_FIRST_WINDOW = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.main_window import MainWindow
app = QApplication(sys.argv[:1])
window = MainWindow()
window.show()
def shown():
    print("shown", time.time(), "torch" in sys.modules, flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def first_window_seconds() -> tuple[float, bool]:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", _FIRST_WINDOW], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    _, shown_at, torch_loaded = out.split()
    return float(shown_at) - start, torch_loaded == "True"


def brush_event_times(zoom: float | None, events: int = 150) -> list[float]:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from app.document import Document
    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    image = np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), np.uint8)
    window.set_document(Document(image))
    app.processEvents()
    canvas = window.canvas
    window.tool_bar.size.setValue(BRUSH_RADIUS)
    if zoom is not None:
        canvas.set_zoom(zoom)
    app.processEvents()

    def send(kind, x: float, y: float) -> None:
        button = Qt.MouseButton.LeftButton
        buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else button
        event = QMouseEvent(kind, QPointF(x, y), QPointF(x, y), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    send(QMouseEvent.Type.MouseButtonPress, 200, 300)
    app.processEvents()
    times = []
    for i in range(events):
        x, y = 200 + 4 * i, 300 + 40 * np.sin(i / 10)
        start = time.perf_counter()
        send(QMouseEvent.Type.MouseMove, x, y)
        app.processEvents()  # the posted update request repaints the dirty region
        times.append(time.perf_counter() - start)
    send(QMouseEvent.Type.MouseButtonRelease, x, y)
    assert window.document.mask.sum() > 0 and len(window.document.history.undo) == 1
    window.document.version = window.document.saved_version
    window.close()
    return times


def save_seconds(out: Path) -> tuple[float, float, float]:
    """(UI blocked by Save, seconds until the file is written, UI blocked when written on the UI thread)."""
    from PySide6.QtWidgets import QApplication

    from app.document import Document
    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.set_document(Document(np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), np.uint8)))
    window.save_path = out / "background.png"
    start = time.perf_counter()
    window.save()
    blocked = time.perf_counter() - start
    while window.saving:
        app.processEvents()
        time.sleep(0.005)
    written = time.perf_counter() - start
    window.save_path = out / "on_ui_thread.png"
    start = time.perf_counter()
    window.save(wait=True)
    on_ui = time.perf_counter() - start
    window.close()
    return blocked, written, on_ui


def main() -> None:
    seconds, torch_loaded = first_window_seconds()
    print(f"first window: {seconds:.2f} s from process start (torch imported: {torch_loaded})")
    for label, zoom in (("fit to window", None), ("100 %", 1.0)):
        times = sorted(brush_event_times(zoom))
        median, p95 = statistics.median(times) * 1000, times[int(0.95 * len(times))] * 1000
        print(f"brush event -> repainted canvas, 12 MP, radius {BRUSH_RADIUS} px, {label}: median {median:.1f} ms, p95 {p95:.1f} ms, max {times[-1] * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        blocked, written, on_ui = save_seconds(Path(folder))
    print(f"save a 12 MP PNG: the UI is held {blocked * 1000:.0f} ms (written {written:.2f} s later in the background); "
          f"written on the UI thread it is held {on_ui:.2f} s")


if __name__ == "__main__":
    main()
