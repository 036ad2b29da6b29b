"""Compare engines: the current mask through several engines off the UI thread, results side by side with the time
each took; the one the user picks becomes the result (an undo step)."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout)

from app.engine_panel import thumbnail
from app.worker import WorkWorker, cached_engine, cached_scorer
from engines import registry
from engines.contract import CancelToken, InpaintRequest, Progress, drive
from engines.crg import scorer_installed
from engines.pipeline import inpaint


def compare(names: list[str], request: InpaintRequest, cancel: CancelToken):
    """Each engine in turn; yields its result as a preview with the seconds it took (and its quality score when a
    trained scorer is installed); returns [(name, image, seconds)]."""
    scorer = cached_scorer()
    results = []
    for index, name in enumerate(names):
        cancel.raise_if_cancelled()
        start = time.perf_counter()
        image = drive(inpaint(cached_engine(name, request.device), request, cancel)).image
        seconds = time.perf_counter() - start
        results.append((name, image, seconds))
        score = None if scorer is None else scorer.score_photo(image, request.faces)
        yield Progress(index + 1, len(names), f"{name}: {seconds:.2f} s", preview=image, score=score)
    return results


class CompareDialog(QDialog):
    chosen = Signal(str, object)  # engine name, result image

    def __init__(self, request: InpaintRequest, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare engines")
        self.resize(900, 520)
        self.request = request
        self.boxes: dict[str, QCheckBox] = {}
        pick_row = QHBoxLayout()
        for name in registry.names():
            box = QCheckBox(registry.spec(name).title)
            box.setChecked(registry.is_runnable(name))
            box.setEnabled(registry.is_runnable(name))
            if not registry.is_runnable(name):
                box.setToolTip(registry.weights_state(name).value)
            self.boxes[name] = box
            pick_row.addWidget(box)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        pick_row.addWidget(self.run_button)
        self.results = QListWidget()
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setIconSize(QSize(256, 256))
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.itemDoubleClicked.connect(self._use)
        self.use_button = QPushButton("Use this result")
        self.use_button.clicked.connect(lambda: self._use(self.results.currentItem()))
        self.status = QLabel("" if scorer_installed() else
                             "Quality score: not available until CRG's quality discriminator is trained (crg-quality).")
        layout = QVBoxLayout(self)
        layout.addLayout(pick_row)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.use_button)
        self.worker: WorkWorker | None = None
        self.images: dict[str, np.ndarray] = {}

    def run(self) -> None:
        names = [name for name, box in self.boxes.items() if box.isChecked()]
        if not names or (self.worker is not None and self.worker.isRunning()):
            return
        self.results.clear()
        self.images.clear()
        self.run_button.setEnabled(False)
        self.worker = WorkWorker(lambda token: compare(names, self.request, token), self)
        self.worker.progress.connect(self._show)
        self.worker.succeeded.connect(lambda _: self._done("Done: pick a result and click Use."))
        self.worker.failed.connect(self._done)
        self.worker.start()

    def _show(self, event: Progress) -> None:
        name, seconds = event.message.split(": ", 1)
        self.images[name] = event.preview
        score = "" if event.score is None else f", score {event.score:.3f}"
        item = QListWidgetItem(thumbnail(event.preview, 256), f"{registry.spec(name).title}\n{seconds}{score}")
        item.setData(Qt.ItemDataRole.UserRole, name)
        self.results.addItem(item)

    def _done(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(message)

    def _use(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        self.chosen.emit(name, self.images[name])
        self.accept()

    def closeEvent(self, event) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        super().closeEvent(event)
