"""The batch dialog: what ``main.py batch`` does (the same FillService.batch), with progress, Cancel (it stops the
file in progress too, as soon as its engine can; the dialog says so meanwhile) and a report of every failed file. The Engine panel's engine comes with the user's weight set,
options and seed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPlainTextEdit,
                               QProgressBar, QVBoxLayout)

from app.widgets import path_row, pick_folder
from app.worker import WorkWorker
from engines import registry
from engines.batch import BatchJob, named
from engines.errors import InpaintError
from engines.faces import FaceRegion
from engines.service import FillService

NO_FACE_MASK = "(none)"
CANCELLING = "Cancelling: waiting for the fill in progress to stop..."


class BatchDialog(QDialog):
    def __init__(self, service: FillService, settings: dict[str, Any], parent=None) -> None:
        super().__init__(parent)
        self.service, self.settings = service, settings
        self.setWindowTitle("Batch fill a folder")
        self.resize(640, 520)
        self.images, self.masks, self.out = QLineEdit(), QLineEdit(), QLineEdit()
        self.masks.setPlaceholderText("empty: photo_mask.png beside each photo or a masks/ folder; or a folder or one mask")
        self.face_region = QComboBox()
        self.face_region.addItems([NO_FACE_MASK, *(region.value for region in FaceRegion)])
        self.engine = QComboBox()
        for name in registry.names():
            if registry.is_runnable(name):
                self.engine.addItem(registry.spec(name).title, name)
        self.engine.setCurrentIndex(max(0, self.engine.findData(settings.get("engine"))))
        self.concat = QCheckBox("original | mask | result side by side")
        self.paired = QCheckBox("paired export: original/, mask/, masked/, result/ with the same names")
        self.progress = QProgressBar()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

        form = QFormLayout()
        form.addRow("Images", path_row(self.images, lambda: pick_folder(self, self.images)))
        form.addRow("Masks", path_row(self.masks, lambda: pick_folder(self, self.masks, "Folder of masks")))
        form.addRow("Auto face mask", self.face_region)
        form.addRow("Engine", self.engine)
        form.addRow("Output folder", path_row(self.out, lambda: pick_folder(self, self.out)))
        form.addRow("", self.concat)
        form.addRow("", self.paired)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)
        self.worker: WorkWorker | None = None

    def job(self) -> BatchJob:
        if not self.images.text().strip() or not self.out.text().strip():
            raise InpaintError("Choose the images folder and an output folder.")
        region, name = self.face_region.currentText(), self.engine.currentData()
        own = name == self.settings.get("engine")  # the panel's engine: as the user set it up there
        return BatchJob(images=Path(self.images.text().strip()), out=Path(self.out.text().strip()), engine=name,
                        domain=self.settings.get("domain") if own else None,
                        masks=Path(self.masks.text().strip()) if self.masks.text().strip() else None,
                        face_region=None if region == NO_FACE_MASK else region,
                        concat=self.concat.isChecked(), paired=self.paired.isChecked(),
                        seed=int(self.settings.get("seed", 0)), device=self.settings.get("device", "auto"),
                        options=dict(self.settings.get("options", {})) if own else {})

    def start(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            return
        try:
            job = self.job()
        except InpaintError as error:
            self.report.setPlainText(str(error))
            return
        self.report.clear()
        self.worker = WorkWorker(lambda token: self.service.batch(job, token), self)
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(lambda report: self._finished(report, job))
        self.worker.failed.connect(lambda message: self._stopped(message))
        self.progress.setRange(0, 0)
        self._running(True)
        self.worker.start()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def cancel(self) -> None:
        """Stop the batch. Some engines (PatchMatch) cannot stop mid-fill, so the dialog says at once that it is
        stopping; the report then says how many photos were filled."""
        if self.running and not self.worker.token.cancelled:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.report.appendPlainText(CANCELLING)

    def _running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _progress(self, event) -> None:
        self.progress.setRange(0, event.total)
        self.progress.setValue(event.step)
        self.report.appendPlainText(event.message)

    def _finished(self, report, job: BatchJob) -> None:
        self._running(False)
        lines = [report.summary(job.out)]
        if report.failed:
            lines.append(f"{len(report.failed)} failed:")
            lines += [f"  {named(name, reason)}" for name, reason in report.failed]
        self.report.appendPlainText("\n" + "\n".join(lines))

    def _stopped(self, message: str) -> None:
        self._running(False)
        self.report.appendPlainText(message)

    def closeEvent(self, event) -> None:
        self.cancel()
        if self.worker is not None:
            self.worker.wait()
        super().closeEvent(event)
