"""The engine side panel: picker filled from the registry, device, seed, results, the engine's own options,
Inpaint / Cancel, progress, a strip of cycles (iterative engines) and a gallery of results (More results).
Only what the chosen engine uses is shown (seed for seeded engines, results for those that give several, device
for learned ones); engines without trained weights are greyed out and the panel says how to get them."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QListWidget, QListWidgetItem,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.widgets import narrow_combo
from engines import registry
from engines.contract import EngineSpec, OptionKind, Progress


def thumbnail(image: np.ndarray, side: int = 96) -> QIcon:
    h, w = image.shape[:2]
    qimage = QImage(np.ascontiguousarray(image).data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QIcon(QPixmap.fromImage(qimage.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)))


class EnginePanel(QWidget):
    engine_changed = Signal(object)  # EngineSpec
    inpaint_clicked = Signal()
    cancel_clicked = Signal()
    candidate_chosen = Signal(int)
    cycle_chosen = Signal(int)
    more_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = narrow_combo(QComboBox())
        self.weights_hint = QLabel()
        self.weights_hint.setWordWrap(True)
        self.weights_hint.setStyleSheet("color: #555555;")
        self._fill_engines()
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.results = QSpinBox()
        self.results.setRange(1, 16)
        self.domain = narrow_combo(QComboBox())
        self.domain.setToolTip("Which trained weights the engine uses")
        self.domain_label = QLabel("Weights")
        self.options_form = QFormLayout()
        self._option_widgets: dict[str, QWidget] = {}
        self.inpaint_button = QPushButton("Inpaint")
        self.inpaint_button.setToolTip("Fill the masked area (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running fill (Esc)")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(96, 96))
        self.gallery.setVisible(False)
        self.cycles_label = QLabel("Cycles (click one to use it):")
        self.cycles = QListWidget()
        self.cycles.setViewMode(QListWidget.ViewMode.IconMode)
        self.cycles.setIconSize(QSize(64, 64))
        self.cycles.setMovement(QListWidget.Movement.Static)
        self.cycles.setToolTip("Every cycle of the iterative engine with its quality score")
        self.more_button = QPushButton("More results")
        self.more_button.setToolTip("Fill the same area again with other initial fills and seeds; all results ranked by score")
        self.more_button.setEnabled(False)

        self.form = QFormLayout()
        self.form.addRow("Engine", self.engine)
        self.form.addRow(self.weights_hint)
        for label, widget in (("Device", self.device), ("Seed", self.seed), ("Results", self.results)):
            self.form.addRow(label, widget)
        self.form.addRow(self.domain_label, self.domain)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addLayout(self.options_form)
        layout.addWidget(self.inpaint_button)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.cycles_label)
        layout.addWidget(self.cycles, 1)
        layout.addWidget(self.more_button)
        layout.addWidget(self.gallery, 1)
        layout.addStretch(0)

        self.engine.currentIndexChanged.connect(self._engine_selected)
        self.inpaint_button.clicked.connect(self.inpaint_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.gallery.itemClicked.connect(lambda item: self.candidate_chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.cycles.itemClicked.connect(lambda item: self.cycle_chosen.emit(self.cycles.row(item)))
        self.more_button.clicked.connect(self.more_clicked)
        self._engine_selected()

    def _fill_engines(self) -> None:
        untrained = []
        for name in registry.names():
            state = registry.weights_state(name)  # read once: it checks the card and every weight file
            runnable = registry.runs_with(state)
            label = registry.spec(name).title if runnable else f"{registry.spec(name).title} ({state.value})"
            self.engine.addItem(label, name)
            item = self.engine.model().item(self.engine.count() - 1)
            item.setEnabled(runnable)
            how = "" if runnable else f"\n{registry.how_to_get_weights(name)}"
            item.setToolTip(f"{registry.spec(name).description}\nStatus: {state.value}{how}")
            untrained += [] if runnable else [name]
        count = f"{len(untrained)} engines are" if len(untrained) != 1 else "1 engine is"
        self.weights_hint.setText(f"{count} greyed out until trained: the Training tab or \"main.py train\" makes "
                                  "their weights (Help > Getting Weights for Engines).")
        self.weights_hint.setToolTip(registry.how_to_get_weights("ENGINE"))
        self.weights_hint.setVisible(bool(untrained))

    def reload(self) -> None:
        """Re-read every engine's status (new weights were installed), keeping the current choice."""
        current = self.engine.currentData()
        self.engine.blockSignals(True)
        self.engine.clear()
        self._fill_engines()
        self.engine.blockSignals(False)
        self.engine.setCurrentIndex(max(0, self.engine.findData(current)))
        self._engine_selected()

    @property
    def spec(self) -> EngineSpec:
        return registry.spec(self.engine.currentData())

    def select_engine(self, name: str) -> None:
        index = self.engine.findData(name)
        if index >= 0 and registry.is_runnable(name):
            self.engine.setCurrentIndex(index)

    def _engine_selected(self) -> None:
        spec = self.spec
        self.form.setRowVisible(self.seed, spec.seeded)
        self.form.setRowVisible(self.results, spec.multiple_results)
        self.form.setRowVisible(self.device, bool(spec.weights))
        self.more_button.setVisible(spec.multiple_results)
        self._fill_domains(spec)
        self.more_button.setEnabled(False)
        self.clear_cycles()
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self._option_widgets = {}
        for option in spec.options:
            if option.kind is OptionKind.CHOICE:
                widget = QComboBox()
                widget.addItems(list(option.choices))
                widget.setCurrentText(option.default)
            else:
                widget = QSpinBox() if option.kind is OptionKind.INT else QDoubleSpinBox()
                widget.setRange(option.minimum if option.minimum is not None else -1e9, option.maximum if option.maximum is not None else 1e9)
                widget.setValue(option.default)
            widget.setToolTip(option.help)
            self._option_widgets[option.name] = widget
            self.options_form.addRow(option.name.replace("_", " ").capitalize(), widget)
        if registry.weights_state(spec.name) is registry.WeightsState.TRAINED:
            for network in registry.missing_optional(spec.name):  # e.g. CRG exported before its refiner trained
                widget = self._option_widgets[network.option]
                widget.setCurrentText(network.off)
                widget.setEnabled(False)
                widget.setToolTip(f"Off: the installed weights have no trained {network.title}.")
        self.engine_changed.emit(spec)

    def _fill_domains(self, spec: EngineSpec) -> None:
        """An engine with several weight sets (faces, scenes): each listed, the untrained ones greyed out."""
        self.domain.clear()
        trained = registry.trained_domains(spec.name) if spec.domains else []
        for domain in spec.domains:
            self.domain.addItem(domain.title if domain.name in trained else f"{domain.title} (no trained weights)", domain.name)
            self.domain.model().item(self.domain.count() - 1).setEnabled(domain.name in trained)
        if trained:
            self.domain.setCurrentIndex(self.domain.findData(trained[0]))
        self.form.setRowVisible(self.domain, bool(spec.domains))

    def options(self) -> dict[str, Any]:
        return {name: w.currentText() if isinstance(w, QComboBox) else w.value() for name, w in self._option_widgets.items()}

    def settings(self) -> dict[str, Any]:
        return {"engine": self.engine.currentData(), "device": self.device.currentText(), "seed": self.seed.value(),
                "n_results": self.results.value(), "options": self.options(), "domain": self.domain.currentData()}

    def restore(self, settings: dict[str, Any]) -> None:
        self.select_engine(settings.get("engine", "auto"))
        self.device.setCurrentText(settings.get("device", "auto"))
        self.seed.setValue(int(settings.get("seed", 0)))
        self.results.setValue(int(settings.get("n_results", 1)))
        if settings.get("domain") and self.domain.findData(settings["domain"]) >= 0:
            self.domain.setCurrentIndex(self.domain.findData(settings["domain"]))
        for name, value in settings.get("options", {}).items():
            widget = self._option_widgets.get(name)
            if isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif widget is not None:
                widget.setValue(value)

    @property
    def running(self) -> bool:
        return self.cancel_button.isEnabled()

    def set_running(self, running: bool) -> None:
        self.inpaint_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.more_button.setEnabled(not running and self.gallery.isEnabled() and self.gallery.count() > 0)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.message.setText("Starting...")

    def show_progress(self, event: Progress) -> None:
        self.progress.setRange(0, max(1, event.total))
        self.progress.setValue(event.step)
        score = "" if event.score is None else f" (score {event.score:.3f})"
        self.message.setText(event.message + score)

    def show_candidates(self, images: list[np.ndarray], scores: list[float | None]) -> None:
        """Results in the given order (best first when scored); item data = the index in ``images``."""
        self.gallery.clear()
        self.gallery.setVisible(len(images) > 1)
        for index, (image, score) in enumerate(zip(images, scores)):
            label = f"Result {index + 1}" + ("" if score is None else f"\nscore {score:.3f}")
            item = QListWidgetItem(thumbnail(image), label)
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.gallery.addItem(item)
        self.offer_results(True)

    def offer_results(self, offered: bool) -> None:
        """Results and cycles can be picked, and More results asked for, only while their fill is on the canvas."""
        self.gallery.setEnabled(offered)
        self.cycles.setEnabled(offered)
        self.more_button.setEnabled(offered and self.gallery.count() > 0 and not self.running)

    def clear_cycles(self) -> None:
        self.cycles.setEnabled(True)  # the strip of the fill about to run
        self.cycles.clear()
        self.cycles.setVisible(False)
        self.cycles_label.setVisible(False)

    def add_cycle(self, image: np.ndarray, label: str, tooltip: str) -> None:
        item = QListWidgetItem(thumbnail(image, 64), label)
        item.setToolTip(tooltip)
        self.cycles.addItem(item)
        self.cycles.setVisible(True)
        self.cycles_label.setVisible(True)
        self.cycles.scrollToBottom()
