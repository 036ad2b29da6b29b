"""The editor window: the canvas, the tool bar, the engine and training panels, and the fill that runs off the
UI thread. Menus live in app/menus.py, the file side in app/file_actions.py, a fill's state in app/fill_session.py
and everything about running engines in engines/service.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea

from app import tools
from app.autosave import Autosave, state_dir
from app.batch_dialog import BatchDialog
from app.canvas import Canvas
from app.compare_dialog import CompareDialog
from app.dialogs import Dialogs
from app.document import Document, Layer
from app.engine_panel import EnginePanel
from app.file_actions import FileActions
from app.fill_session import FillSession
from app.menus import build_menus
from app.tool_bar import ToolBar
from app.training_panel import TrainingPanel
from app.worker import WorkWorker
from engines.contract import InpaintRequest, Need
from engines.errors import InpaintError
from engines.service import FillService

AUTOSAVE_MS = 15_000
WINDOW_SIZE = (1280, 820)  # px, at most the screen's free area
DOCK_WIDTH = 330  # px: the side panels at 1280 px leave the photo about three quarters of the window
DOCK_MIN_WIDTH = 240


class MainWindow(FileActions, QMainWindow):
    def __init__(self, dialogs: Dialogs | None = None, autosave: Autosave | None = None,
                 service: FillService | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Inpainting editor")
        screen = self.screen().availableGeometry()  # on a 1280 x 800 laptop an 820 px window hid the status bar
        self.resize(min(WINDOW_SIZE[0], screen.width()), min(WINDOW_SIZE[1], screen.height()))
        self.setAcceptDrops(True)
        self.dialogs = dialogs or Dialogs(self)
        self.autosave = autosave or Autosave()
        self.service = service or FillService()
        self.settings = QSettings(str(state_dir() / "settings.ini"), QSettings.Format.IniFormat)
        self.document: Document | None = None
        self.save_path: Path | None = None
        self.worker: WorkWorker | None = None
        self._face_worker: WorkWorker | None = None
        self._faces: tuple[np.ndarray, ...] | None = None  # landmarks from the last auto face mask of this photo
        self.fill: FillSession | None = None  # the running or last fill

        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.panel = EnginePanel()
        self.training = TrainingPanel()
        engine_dock = self._dock(self.panel, "Engine", "engine")
        self.tabifyDockWidget(engine_dock, self._dock(self.training, "Training", "training"))
        engine_dock.raise_()
        self.resizeDocks([engine_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.training.weights_installed.connect(self._weights_installed)
        self.tool_bar = ToolBar(self.canvas, self.settings, self)
        self.addToolBar(self.tool_bar)
        build_menus(self)
        self._refresh_recent()
        self.canvas.cursor_moved.connect(self._show_status)
        self.canvas.zoom_changed.connect(lambda _: self._show_status())
        self.canvas.edited.connect(self._update_title)
        self.canvas.status.connect(lambda message: self.statusBar().showMessage(message, 8000))
        self.panel.engine_changed.connect(self._engine_changed)
        self.panel.inpaint_clicked.connect(self.inpaint)
        self.panel.cancel_clicked.connect(self.cancel)
        self.panel.candidate_chosen.connect(self.choose_candidate)
        self.panel.cycle_chosen.connect(self.choose_cycle)
        self.panel.more_clicked.connect(self.more_results)
        self._engine_changed(self.panel.spec)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start(AUTOSAVE_MS)

    def _dock(self, widget, title: str, name: str) -> QDockWidget:
        """A side panel that scrolls rather than taking the photo's room."""
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(DOCK_MIN_WIDTH)
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    # -- documents --------------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        self.cancel()
        self.document = document
        self._faces = None
        self.save_path = None  # a new document has no Save As target yet
        self.canvas.set_document(document)
        self.canvas.setFocus()  # keys such as the compare key go to the photo
        self.tool_bar.set_photo(document.shape)
        self.fill = None
        self.panel.show_candidates([], [])
        self.panel.clear_cycles()
        self.panel.message.clear()  # what was said about the last photo
        self._update_title()
        self._show_status()

    def closeEvent(self, event) -> None:
        if not self._may_discard():
            event.ignore()
            return
        if self.training.running:
            if not self.dialogs.confirm("A training run is in progress. Stop it (it saves a checkpoint) and quit?"):
                event.ignore()
                return
            self.training.stop()
            self.training.process.waitForFinished(180_000)
        if any(dialog.running for dialog in self.findChildren(BatchDialog)) and not self.dialogs.confirm(
                "A batch fill is still running. Stop it and quit? The files already written are kept."):
            event.ignore()
            return
        for dialog in (*self.findChildren(BatchDialog), *self.findChildren(CompareDialog)):
            dialog.close()  # each stops its work and waits for it (quitting under it dropped a batch without a word)
        self.cancel()
        for worker in (self.worker, self._face_worker, self._save_worker):
            if worker is not None:
                worker.wait()
        self.autosave.discard()
        event.accept()

    # -- editing ----------------------------------------------------------------------------------
    def edit(self, operation, *args) -> None:
        if self.document is None:
            return
        try:
            operation(self.document, *args)
        except InpaintError as error:
            self.dialogs.error(str(error))
        self._update_title()

    def undo(self) -> None:
        if self.document is not None and (step := self.document.undo()) is not None:
            self._history_moved(step, undone=True)

    def redo(self) -> None:
        if self.document is not None and (step := self.document.redo()) is not None:
            self._history_moved(step, undone=False)

    def _history_moved(self, step, undone: bool) -> None:
        self._update_title()
        if self.fill is not None and self.fill.document is self.document and self.fill.history_moved(step, undone):
            self._show_fill_state()

    def auto_face_mask(self, region: str) -> None:
        """Search for faces off the UI thread, with progress and Cancel (Esc) in the engine panel, and add the region
        of each face (or the largest) to the mask, as one step."""
        if self.document is None or self._busy():
            return
        from engines.faces.auto_mask import describe, face_mask_work

        image, all_faces, document = self.document.image.copy(), not self.largest_face_only.isChecked(), self.document
        self._face_worker = WorkWorker(lambda token: face_mask_work(image, region, all_faces, token), self)

        def apply(value) -> None:
            mask, faces = value
            self._finished(f"Found {describe(faces)}.")
            if document is self.document:
                self._faces = tuple(face.landmarks for face in faces)
                h, w = document.shape
                document.edit(f"Auto face mask ({region})", [(Layer.MASK, (0, h, 0, w), document.mask | mask)])
                self._update_title()
                self.statusBar().showMessage(f"Masked the {region.replace('_', ' ')} region of {describe(faces)}.", 8000)

        self._face_worker.progress.connect(self.panel.show_progress)
        self._face_worker.succeeded.connect(apply)
        self._face_worker.cancelled.connect(lambda: self._finished("Face search cancelled."))
        self._face_worker.failed.connect(lambda message: (self._finished("No face found."), self.dialogs.error(message)))
        self.panel.set_running(True)
        self._face_worker.start()

    def open_batch_dialog(self) -> BatchDialog:
        dialog = BatchDialog(self.service, self.panel.settings(), self)
        if self.document is not None and self.document.path is not None:
            dialog.images.setText(str(self.document.path.parent))
        dialog.show()
        return dialog

    def open_compare_dialog(self) -> CompareDialog | None:
        if self.document is None or not self.document.mask.any():
            self.statusBar().showMessage("Paint the area to fill first (brush: B).", 5000)
            return None
        hole = self.document.mask.copy()
        settings = self.panel.settings()
        request = InpaintRequest(self.document.image.copy(), hole, self.document.sketch.copy(), settings["seed"],
                                 settings["device"], faces=self._faces)
        dialog = CompareDialog(self.service, request, settings, self)
        document = self.document
        dialog.chosen.connect(lambda name, image: self._use_compared(document, name, image, hole))
        dialog.show()
        return dialog

    def _use_compared(self, document: Document, name: str, image: np.ndarray, hole: np.ndarray) -> None:
        if document is self.document:
            tools.apply_result(document, image, hole, f"Inpaint ({name}, compared)")
            self._update_title()

    def _weights_installed(self, engine: str) -> None:
        self.service.forget()
        self.panel.reload()
        self.statusBar().showMessage(f"New weights for {engine} installed.", 8000)

    def _engine_changed(self, spec) -> None:
        self.tool_bar.enable_sketch(spec.uses(Need.SKETCH) or spec.uses(Need.COLOUR_STROKES))

    # -- inpainting -------------------------------------------------------------------------------
    def _busy(self) -> bool:
        """A fill or a face search is running (one at a time: they share the panel's progress and Cancel)."""
        return any(worker is not None and worker.isRunning() for worker in (self.worker, self._face_worker))

    def inpaint(self) -> None:
        if self.document is None or self._busy():
            return
        if not self.document.mask.any():
            self.statusBar().showMessage("Paint the area to fill first (brush: B).", 5000)
            return
        settings = self.panel.settings()
        session = FillSession(self.document, self.document.mask.copy(), self.panel.spec)
        self._start_fill(session, settings["seed"], settings["n_results"])

    def more_results(self) -> None:
        """The last filled area again, with other seeds and initial fills; the new results join the gallery."""
        if not self._fill_here() or not self.fill.candidates or self._busy():
            return
        settings = self.panel.settings()
        session, seed, n_results = self.fill.more_results(settings["seed"], settings["n_results"])
        self._start_fill(session, seed, n_results)

    def _start_fill(self, session: FillSession, seed: int, n_results: int) -> None:
        settings, spec = self.panel.settings(), session.spec
        sketch = self.document.sketch.copy() if spec.uses(Need.SKETCH) or spec.uses(Need.COLOUR_STROKES) else None
        try:
            request = InpaintRequest(self.document.image.copy(), session.hole, sketch, seed, settings["device"], n_results,
                                     settings["options"], self._faces)
        except InpaintError as error:
            self.dialogs.error(str(error))
            return
        self.fill = session
        if not session.more:
            self.panel.show_candidates([], [])  # the last fill's results go with it: More results adds to this one
        self.worker = WorkWorker(lambda token: self.service.fill(spec.name, request, settings["domain"], token), self)
        self.worker.progress.connect(lambda event: self._progress(session, event))
        self.worker.succeeded.connect(lambda result: self._succeeded(session, result))
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(lambda: self._finished("Cancelled."))
        self.panel.clear_cycles()
        self.panel.set_running(True)
        self.worker.start()

    def cancel(self) -> None:
        for worker in (self.worker, self._face_worker):
            if worker is not None and worker.isRunning():
                worker.cancel()

    def _progress(self, session: FillSession, event) -> None:
        self.panel.show_progress(event)
        if event.preview is None or session.document is not self.document:
            return
        self.canvas.show_preview(event.preview)
        cycle = session.add_cycle(event.preview)
        if cycle is not None:
            score = "" if event.score is None else f" {event.score:.3f}"
            self.panel.add_cycle(cycle, f"{len(session.cycles)}.{score}", event.message)

    def _finished(self, message: str) -> None:
        self.canvas.show_preview(None)
        self.panel.set_running(False)
        self.panel.message.setText(message)

    def _succeeded(self, session: FillSession, result) -> None:
        self._finished(result.message)
        if session.document is not self.document:
            return  # another photo was opened meanwhile
        session.finish(result)
        if session.more:
            self.panel.message.setText(f"{result.message} {len(result.candidates)} more results; click one to use it.")
        session.message = self.panel.message.text()
        self.panel.show_candidates(session.candidates, session.scores)
        self._show_fill_state()  # More results that finish after the fill was undone are not offered either
        self._update_title()

    def _fill_here(self) -> bool:
        """The last fill was made on the photo now open, and is still on its canvas (not undone)."""
        return self.fill is not None and self.fill.document is self.document and not self.fill.undone

    def _show_fill_state(self) -> None:
        """A fill's results, cycles and More results are offered while it is on the canvas; undone, they are greyed
        out and its message goes; a redo brings them back."""
        on_canvas = not self.fill.undone
        self.panel.offer_results(on_canvas)
        if not self.panel.running:  # a running fill's progress keeps the message
            self.panel.message.setText(self.fill.message if on_canvas else "")

    def choose_candidate(self, index: int) -> None:
        if self._fill_here() and self.fill.choose_candidate(index):
            self._update_title()

    def choose_cycle(self, index: int) -> None:
        if self._fill_here() and self.fill.choose_cycle(index):
            self._update_title()

    def _failed(self, message: str) -> None:
        self._finished("Failed.")
        self.dialogs.error(message)

    # -- status -----------------------------------------------------------------------------------
    def _update_title(self) -> None:
        if self.document is None:
            self.setWindowTitle("Inpainting editor")
            return
        current = self.current_file()  # after Save As, the file written (where Save writes), not the opened photo
        name = current.name if current is not None else "pasted image"
        self.setWindowTitle(f"{name}{' *' if self.document.modified else ''} - Inpainting editor")

    def _show_status(self, x: int | None = None, y: int | None = None) -> None:
        if self.document is None:
            return
        h, w = self.document.shape
        where = f"   {x}, {y}" if x is not None and 0 <= x < w and 0 <= y < h else ""
        self.statusBar().showMessage(f"{w} x {h}   {self.canvas.zoom * 100:.0f} %{where}")
