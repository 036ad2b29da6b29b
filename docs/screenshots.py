"""The README's editor screenshots, taken from the real window on an X server at 1280 x 800 (the size a laptop
gives). Photos are the public-domain samples in resources/samples.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/screenshots.py [OUT_DIR]

CRG's cycle strip is shown with random weights, its quality discriminator's too (no trained weights exist yet):
a check of the UI only.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.app.e2e_editor import wait_until  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"


def settle(app: QApplication, condition=lambda: True, timeout_s: float = 60.0) -> None:
    """Until ``condition`` holds (the real-window test's loop), then a few more turns so the screen is drawn."""
    wait_until(app, condition, timeout_s)
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, out: Path, name: str) -> None:
    settle(app)
    app.primaryScreen().grabWindow(0).save(str(out / name))
    print("wrote", out / name)


def drag(window, points: list[tuple[float, float]]) -> None:
    canvas = window.canvas

    def at(x: float, y: float) -> QPoint:
        return (canvas.offset + QPointF(x, y) * canvas.zoom).toPoint()

    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, at(*point))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[-1]))


class _Answers:
    """No modal question may stop the script: changes are discarded, errors printed."""

    def ask_save_changes(self) -> str:
        return "discard"

    def confirm(self, question: str, default_yes: bool = False) -> bool:
        return False

    def error(self, message: str) -> None:
        print("error shown:", message)


def main(out: Path) -> int:
    from app.autosave import Autosave
    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    state = Path(tempfile.mkdtemp())
    os.environ["INPAINT_STATE_DIR"] = str(state)  # settings as on a first start (the brush size is remembered)
    window = MainWindow(dialogs=_Answers(), autosave=Autosave(state))
    window.resize(1280, 800)
    window.move(0, 0)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.open_path(SAMPLES / "astronaut.jpg")
    settle(app)
    drag(window, [(150 + 6 * i, 330 + 2.5 * i) for i in range(40)])
    shoot(app, out, "editor-painted.png")
    window.inpaint()
    settle(app, lambda: window.worker.isFinished() and not window.document.mask.any())
    window.canvas.setFocus()
    shoot(app, out, "editor-filled.png")
    window.canvas.set_compare(True)
    shoot(app, out, "editor-original.png")
    window.canvas.set_compare(False)

    from app import tools
    from app.document import Layer

    tools.fill_rectangle(window.document, Layer.MASK, (380, 180), (470, 260))
    dialog = window.open_compare_dialog()
    dialog.run_button.click()
    settle(app, lambda: dialog.worker.isFinished())
    shoot(app, out, "editor-compare.png")
    dialog.close()

    batch = window.open_batch_dialog()
    batch.images.setText(str(SAMPLES))
    batch.face_region.setCurrentText("eyes")
    batch.out.setText(str(state / "filled"))
    batch.start_button.click()
    settle(app, lambda: batch.worker.isFinished(), 300)
    shoot(app, out, "editor-batch.png")
    batch.close()

    from PySide6.QtWidgets import QDockWidget

    window.findChild(QDockWidget, "training").raise_()
    window.training.select_engine("lskfnet")
    window.training.eval_button.click()  # empty fields: says what is missing instead of launching
    _show_curves(window.training)
    settle(app)
    window.training.parentWidget().parentWidget().ensureWidgetVisible(window.training.legend)  # scrolled to the curves
    shoot(app, out, "editor-training.png")
    window.findChild(QDockWidget, "engine").raise_()

    from app import help_menu

    shortcuts = help_menu.show_text(window, "Keyboard shortcuts", help_menu.shortcuts_html(window.menuBar()))
    shortcuts.move(window.geometry().center() - shortcuts.rect().center())
    shoot(app, out, "editor-shortcuts.png")
    shortcuts.close()

    _worn_mask(app, window, out, state)
    _crg_cycles(app, window, out)
    window.document.saved_version = window.document.version
    window.close()
    return 0


def _show_curves(panel) -> None:
    """Eight made-up loss curves, to show where the legend goes (the training test shows real ones)."""
    import math

    for step in range(0, 2001, 50):
        entry = {"step": step, "images_per_s": 40.0}
        for k, name in enumerate(("adv", "fm", "l1", "perceptual", "style", "edge_adv", "edge_fm", "total")):
            entry[f"gen_{name}"] = (1 + k / 4) * math.exp(-step / (600 + 150 * k)) + 0.05 * k
        panel._add_metrics(entry)


def _worn_mask(app, window, out: Path, state: Path) -> None:
    """Edit > Auto Face Mask > Worn mask on the astronaut wearing a face mask put on by Algorithm 1."""
    from engines.faces.algorithm1 import MaskStyle, load_template, put_mask
    from engines.faces.search import detect_faces
    from engines.imageio import load_image, save_image

    rgb = load_image(SAMPLES / "astronaut.jpg").rgb
    masked, _, _ = put_mask(rgb, detect_faces(rgb, quick=True)[0].landmarks, load_template(MaskStyle.SURGICAL))
    save_image(state / "astronaut-masked.png", masked)
    window.open_path(state / "astronaut-masked.png")
    window.auto_face_mask("worn_mask")
    settle(app, lambda: window._face_worker.isFinished() and window.document.mask.any())
    shoot(app, out, "editor-worn-mask.png")


def _crg_cycles(app, window, out: Path) -> None:
    """CRG with random weights on the astronaut's mouth, with dark strokes: the cycle strip and its scores."""
    from app import tools
    from app.canvas import Tool
    from app.document import Layer
    from engines import registry
    from engines.crg.quality import QualityDiscriminator
    from engines.crg.scorer import QualityScorer

    engine = registry.create("crg", "cpu", allow_untrained=True)
    engine.scorer = QualityScorer(QualityDiscriminator())  # random weights too: the scores show where they go
    real = registry.create, registry.is_runnable, registry.require_runnable
    registry.create = lambda name, device="auto", **kw: engine if name == "crg" else real[0](name, device, **kw)
    registry.is_runnable = lambda name, domain=None: True
    registry.require_runnable = lambda name, domain=None: None
    try:
        window.open_path(SAMPLES / "astronaut.jpg")
        window.panel.reload()
        window.panel.select_engine("crg")
        window.panel.device.setCurrentText("cpu")
        for name, value in (("min_cycles", 6), ("max_cycles", 12)):
            window.panel._option_widgets[name].setValue(value)
        tools.fill_rectangle(window.document, Layer.MASK, (205, 140), (275, 175))
        window.tool_bar.select(Tool.PEN)
        window.tool_bar.size.setValue(4)
        drag(window, [(212 + 2 * i, 158) for i in range(28)])
        window.inpaint()
        settle(app, lambda: window.worker.isFinished(), 300)
        shoot(app, out, "editor-crg-cycles.png")
    finally:
        registry.create, registry.is_runnable, registry.require_runnable = real


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"))
