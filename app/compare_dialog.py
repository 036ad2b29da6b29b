"""Compare engines: the current mask through several engines off the UI thread (engines/service.py does the work),
results side by side with the time each took, shown as the area around the hole at a size that can be judged;
the one the user picks becomes the result (an undo step). The dialog fits inside the main window."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QGridLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout)

from app.document import bounding_box
from app.engine_panel import thumbnail
from app.worker import WorkWorker
from engines import registry
from engines.contract import InpaintRequest, Progress
from engines.crg import scorer_installed
from engines.service import Compared, EngineChoice, FillService

CONTEXT = 0.6  # the view shows this much of the hole's size around it on each side
MIN_VIEW = 64  # px of the photo at least, so a tiny hole is seen with its surroundings
PICK_COLUMNS = 3


def hole_view_box(hole: np.ndarray) -> tuple[int, int, int, int]:
    """The part of the photo the results are shown by: the hole's bounding box with context, clipped."""
    h, w = hole.shape
    y0, y1, x0, x1 = bounding_box(hole) or (0, h, 0, w)
    grow_y = max(round(CONTEXT * (y1 - y0)), (MIN_VIEW - (y1 - y0)) // 2, 0)
    grow_x = max(round(CONTEXT * (x1 - x0)), (MIN_VIEW - (x1 - x0)) // 2, 0)
    return max(0, y0 - grow_y), min(h, y1 + grow_y), max(0, x0 - grow_x), min(w, x1 + grow_x)


class CompareDialog(QDialog):
    chosen = Signal(str, object)  # engine name, result image

    def __init__(self, service: FillService, request: InpaintRequest, settings: dict[str, Any], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare engines")
        if parent is not None:
            self.resize(round(parent.width() * 0.85), round(parent.height() * 0.8))
        self.service, self.request, self.settings = service, request, settings
        self.view_box = hole_view_box(request.mask)
        self.boxes: dict[str, QCheckBox] = {}
        picks = QGridLayout()
        for index, name in enumerate(registry.names()):
            box = QCheckBox(registry.spec(name).title)
            box.setChecked(registry.is_runnable(name))
            box.setEnabled(registry.is_runnable(name))
            if not registry.is_runnable(name):
                box.setToolTip(f"{registry.weights_state(name).value}. {registry.how_to_get_weights(name)}")
            self.boxes[name] = box
            picks.addWidget(box, index // PICK_COLUMNS, index % PICK_COLUMNS)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        picks.addWidget(self.run_button, 0, PICK_COLUMNS)
        self.results = QListWidget()
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setMovement(QListWidget.Movement.Static)
        self.results.setWordWrap(True)
        self.results.setToolTip("The area around the hole in each engine's result; double-click one to use it")
        self.results.itemDoubleClicked.connect(self._use)
        self.use_button = QPushButton("Use this result")
        self.use_button.clicked.connect(lambda: self._use(self.results.currentItem()))
        self.status = QLabel("" if scorer_installed() else
                             "Quality score: not available until CRG's quality discriminator is trained (crg-quality).")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(picks)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.use_button)
        self.worker: WorkWorker | None = None
        self.compared: list[Compared] = []

    def choices(self) -> list[EngineChoice]:
        """The checked engines; the one picked in the Engine panel keeps the user's weight set and options."""
        chosen = []
        for name, box in self.boxes.items():
            if box.isChecked():
                own = name == self.settings.get("engine")
                chosen.append(EngineChoice(name, self.settings.get("domain") if own else None,
                                           self.settings.get("options", {}) if own else {}))
        return chosen

    def run(self) -> None:
        choices = self.choices()
        if not choices or (self.worker is not None and self.worker.isRunning()):
            return
        self.results.clear()
        self.compared.clear()
        self.run_button.setEnabled(False)
        self.worker = WorkWorker(lambda token: self.service.compare(choices, self.request, token), self)
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(lambda _: self._done("Done: pick a result and click Use."))
        self.worker.failed.connect(self._done)
        self.worker.start()

    def _progress(self, event: Progress) -> None:
        if not isinstance(event.partial, Compared):
            self.status.setText(event.message)
            return
        self.compared.append(event.partial)
        self._add_item(event.partial)

    def _tile_side(self) -> int:
        count = max(1, sum(box.isChecked() for box in self.boxes.values()))
        width = self.results.viewport().width() - 12 * (count + 1)
        return max(96, min(width // count, self.results.viewport().height() - 60))

    def _add_item(self, compared: Compared) -> None:
        y0, y1, x0, x1 = self.view_box
        score = "" if compared.score is None else f", score {compared.score:.3f}"
        side = self._tile_side()
        self.results.setIconSize(QSize(side, side))
        item = QListWidgetItem(thumbnail(compared.image[y0:y1, x0:x1], side), f"{compared.title}\n{compared.seconds:.2f} s{score}")
        item.setData(Qt.ItemDataRole.UserRole, len(self.compared) - 1)
        self.results.addItem(item)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.parentWidget() is not None:  # over the window it belongs to, inside it
            self.move(self.parentWidget().geometry().center() - self.rect().center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.compared and (self.worker is None or not self.worker.isRunning()):
            self.results.clear()
            shown, self.compared = self.compared, []
            for compared in shown:
                self.compared.append(compared)
                self._add_item(compared)

    def _done(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(message)

    def _use(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        compared = self.compared[item.data(Qt.ItemDataRole.UserRole)]
        self.chosen.emit(compared.name, compared.image)
        self.accept()

    def closeEvent(self, event) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        super().closeEvent(event)
