"""The editor window: menus and shortcuts, the canvas, the tool bar, the engine panel, open/save/sessions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

from app import tools
from app.autosave import Autosave, state_dir
from app.batch_dialog import BatchDialog
from app.canvas import Canvas
from app.compare_dialog import CompareDialog
from app.dialogs import Dialogs
from app.document import Document, Layer, bounding_box
from app.engine_panel import EnginePanel
from app.session import load_session, save_session
from app.tool_bar import ToolBar
from app.training_panel import TrainingPanel
from app.worker import WorkWorker, forget_engines, inpaint_worker, task_worker
from engines.contract import InpaintRequest, Need
from engines.errors import InpaintError
from engines.imageio import load_image, save_image

AUTOSAVE_MS = 15_000
FACE_REGIONS = (("worn_mask", "&Worn Mask (nose to chin)", "Ctrl+Shift+M"), ("eyes", "&Eyes", None),
                ("glasses", "&Glasses", None), ("face", "Whole &Face", None), ("mouth", "&Mouth", None))
MAX_RECENT = 8


class MainWindow(QMainWindow):
    def __init__(self, dialogs: Dialogs | None = None, autosave: Autosave | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Inpainting editor")
        self.resize(1280, 820)
        self.setAcceptDrops(True)
        self.dialogs = dialogs or Dialogs(self)
        self.autosave = autosave or Autosave()
        self.settings = QSettings(str(state_dir() / "settings.ini"), QSettings.Format.IniFormat)
        self.document: Document | None = None
        self.save_path: Path | None = None
        self.worker: WorkWorker | None = None
        self._face_worker: WorkWorker | None = None
        self._faces: tuple[np.ndarray, ...] | None = None  # landmarks from the last auto face mask of this photo
        self._hole: np.ndarray | None = None  # the mask the running or last fill used
        self._fill_document: Document | None = None  # the document it was started on
        self._candidates: list[np.ndarray] = []
        self._scores: list[float | None] = []
        self._cycles: list[np.ndarray] = []  # each cycle of an iterative fill: the hole's bounding box of its preview
        self._more = False  # the running fill adds to the results instead of replacing them

        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.panel = EnginePanel()
        dock = QDockWidget("Engine", self)
        dock.setObjectName("engine")
        dock.setWidget(self.panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.training = TrainingPanel()
        training_dock = QDockWidget("Training", self)
        training_dock.setObjectName("training")
        training_dock.setWidget(self.training)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, training_dock)
        self.tabifyDockWidget(dock, training_dock)
        dock.raise_()
        self.training.weights_installed.connect(self._weights_installed)
        self.tool_bar = ToolBar(self.canvas, self)
        self.addToolBar(self.tool_bar)
        self._build_menus()
        self.canvas.cursor_moved.connect(self._show_status)
        self.canvas.zoom_changed.connect(lambda _: self._show_status())
        self.canvas.edited.connect(self._update_title)
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

    # -- menus ------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Open...", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        self._action(file, "&Paste Image", self.paste_image, "Ctrl+Shift+V")
        file.addSeparator()
        self._action(file, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file, "Save &As...", self.save_as, "Ctrl+Shift+S")
        self._action(file, "&Export Mask...", self.export_mask_dialog, "Ctrl+E")
        self._action(file, "&Import Mask...", self.import_mask_dialog, "Ctrl+I")
        file.addSeparator()
        self._action(file, "Open Sessio&n...", self.open_session_dialog)
        self._action(file, "Save Session...", self.save_session_dialog)
        file.addSeparator()
        self._action(file, "&Batch Fill a Folder...", self.open_batch_dialog, "Ctrl+Shift+B")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self._action(edit, "&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self._action(edit, "&Redo", self.redo, "Ctrl+Shift+Z")
        edit.addSeparator()
        self._action(edit, "&Clear Mask", lambda: self._edit(tools.clear, Layer.MASK), "Ctrl+Backspace")
        self._action(edit, "&Invert Mask", lambda: self._edit(tools.invert_mask), "Ctrl+Shift+I")
        self._action(edit, "&Grow Mask by 8 px", lambda: self._edit(tools.grow_mask, 8), "Ctrl+=")
        self._action(edit, "&Shrink Mask by 8 px", lambda: self._edit(tools.grow_mask, -8), "Ctrl+-")
        self._action(edit, "Clear S&ketch", lambda: self._edit(tools.clear, Layer.SKETCH))
        edit.addSeparator()
        faces = edit.addMenu("Auto &Face Mask")
        for region, text, key in FACE_REGIONS:
            self._action(faces, text, lambda _=False, r=region: self.auto_face_mask(r), key)
        faces.addSeparator()
        self.largest_face_only = self._action(faces, "Largest Face Only", lambda _=False: None, checkable=True)
        view = bar.addMenu("&View")
        self._action(view, "&Fit", self.canvas.fit, "Ctrl+0")
        self._action(view, "&100 %", lambda: self.canvas.set_zoom(1.0), "Ctrl+1")
        self.compare_action = self._action(view, "&Compare with Original", self.canvas.set_compare, "Tab", checkable=True)
        self.tool_bar.add_tool_menu(bar.addMenu("&Tools"))
        run = bar.addMenu("&Run")
        self.inpaint_action = self._action(run, "&Inpaint", self.inpaint, "Ctrl+Return")
        self._action(run, "&Cancel", self.cancel, "Esc")
        self._action(run, "C&ompare Engines...", self.open_compare_dialog, "Ctrl+Shift+Return")
        self._refresh_recent()

    # -- documents --------------------------------------------------------------------------------
    def set_document(self, document: Document, save_path: Path | None = None) -> None:
        self.cancel()
        self.document = document
        self._faces = None
        self.save_path = save_path
        self.canvas.set_document(document)
        self._candidates, self._scores, self._cycles = [], [], []
        self.panel.show_candidates([], [])
        self.panel.clear_cycles()
        self._update_title()
        self._show_status()

    def open_path(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix == ".inpaint":
            return self.open_session(path)
        try:
            loaded = load_image(path)
        except InpaintError as error:
            self.dialogs.error(str(error))
            return False
        if not self._may_discard():
            return False
        self.set_document(Document(loaded.rgb, loaded.meta, path.resolve()))
        self._add_recent(path)
        return True

    def open_dialog(self) -> None:
        path = self.dialogs.open_image_path(self._folder())
        if path:
            self.open_path(path)

    def paste_image(self) -> None:
        image = QApplication.clipboard().image()
        if image.isNull():
            self.dialogs.error("The clipboard holds no image.")
            return
        if not self._may_discard():
            return
        rgb = image.convertToFormat(QImage.Format.Format_RGB888)
        array = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
        array = array[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)
        self.set_document(Document(array.copy()))

    def _folder(self) -> str:
        if self.document is not None and self.document.path is not None:
            return str(self.document.path.parent)
        return str(Path.home())

    def save(self) -> bool:
        if self.document is None:
            return False
        if self.save_path is None:
            return self.save_as()
        return self._write(self.save_path)

    def save_as(self) -> bool:
        if self.document is None:
            return False
        original = self.document.path
        suggested = original.with_name(f"{original.stem}_filled{original.suffix}") if original else Path(self._folder()) / "filled.png"
        path = self.dialogs.save_image_path(str(suggested))
        if not path:
            return False
        path = Path(path)
        if original is not None and path.resolve() == original and not self.dialogs.confirm(
            f"Overwrite the original photo {original.name}? The unedited photo will be lost."
        ):
            return False
        if self._write(path):
            self.save_path = path
            return True
        return False

    def _write(self, path: Path) -> bool:
        try:
            save_image(path, self.document.image, self.document.meta)
        except (InpaintError, OSError) as error:
            self.dialogs.error(f"Could not save {path.name}: {error}")
            return False
        self.document.saved_version = self.document.version
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export_mask_dialog(self) -> None:
        if self.document is None:
            return
        path = self.dialogs.save_image_path(str(Path(self._folder()) / "mask.png"))
        if path:
            try:
                tools.export_mask(self.document, path)
            except (InpaintError, OSError) as error:
                self.dialogs.error(f"Could not export the mask: {error}")

    def import_mask_dialog(self) -> None:
        if self.document is None:
            return
        path = self.dialogs.open_image_path(self._folder())
        if path:
            self._edit(tools.import_mask, path)

    def open_session(self, path: str | Path) -> bool:
        try:
            document, settings = load_session(path)
        except InpaintError as error:
            self.dialogs.error(str(error))
            return False
        if not self._may_discard():
            return False
        self.set_document(document)
        self.panel.restore(settings)
        return True

    def open_session_dialog(self) -> None:
        path = self.dialogs.open_session_path(self._folder())
        if path:
            self.open_session(path)

    def save_session_dialog(self) -> None:
        if self.document is None:
            return
        path = self.dialogs.save_session_path(str(Path(self._folder()) / "edit.inpaint"))
        if path:
            try:
                save_session(path, self.document, self.panel.settings())
            except (InpaintError, OSError) as error:
                self.dialogs.error(f"Could not save the session: {error}")

    def autosave_now(self) -> None:
        if self.document is not None and self.document.modified:
            self.autosave.save_in_background(self.document, self.panel.settings())

    def offer_restore(self) -> None:
        """At start-up: an autosave left behind means the last session did not end cleanly."""
        if not self.autosave.exists():
            return
        if self.dialogs.confirm("The editor did not close cleanly last time. Restore the unsaved work?"):
            try:
                document, settings = self.autosave.load()
            except InpaintError as error:
                self.dialogs.error(f"The autosave could not be restored: {error}")
                return
            self.set_document(document)
            document.version += 1  # restored work is unsaved work
            self.panel.restore(settings)
            self._update_title()
        else:
            self.autosave.discard()

    def _may_discard(self) -> bool:
        if self.document is None or not self.document.modified:
            return True
        answer = self.dialogs.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

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
        self.cancel()
        for worker in (self.worker, self._face_worker):
            if worker is not None:
                worker.wait()
        self.autosave.discard()
        event.accept()

    # -- recent files -----------------------------------------------------------------------------
    def _add_recent(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    # -- drag and drop ----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())

    # -- editing ----------------------------------------------------------------------------------
    def _edit(self, operation, *args) -> None:
        if self.document is None:
            return
        try:
            operation(self.document, *args)
        except InpaintError as error:
            self.dialogs.error(str(error))
        self._update_title()

    def undo(self) -> None:
        if self.document is not None and self.document.undo() is not None:
            self._update_title()

    def redo(self) -> None:
        if self.document is not None and self.document.redo() is not None:
            self._update_title()

    def auto_face_mask(self, region: str) -> None:
        """Detect faces off the UI thread and add the region of each (or the largest) to the mask, as one step."""
        if self.document is None or (self._face_worker is not None and self._face_worker.isRunning()):
            return
        from engines.faces.auto_mask import auto_face_mask, describe

        image, all_faces, document = self.document.image.copy(), not self.largest_face_only.isChecked(), self.document
        self.statusBar().showMessage("Looking for faces...")
        self._face_worker = task_worker(lambda: auto_face_mask(image, region, all_faces), self)

        def apply(value) -> None:
            mask, faces = value
            if document is self.document:
                self._faces = tuple(face.landmarks for face in faces)
                h, w = document.shape
                document.edit(f"Auto face mask ({region})", [(Layer.MASK, (0, h, 0, w), document.mask | mask)])
                self._update_title()
                self.statusBar().showMessage(f"Masked the {region.replace('_', ' ')} region of {describe(faces)}.", 8000)

        self._face_worker.succeeded.connect(apply)
        self._face_worker.failed.connect(lambda message: (self.statusBar().clearMessage(), self.dialogs.error(message)))
        self._face_worker.start()

    def open_batch_dialog(self) -> BatchDialog:
        dialog = BatchDialog(self, self.panel.settings()["engine"])
        if self.document is not None and self.document.path is not None:
            dialog.images.setText(str(self.document.path.parent))
        dialog.show()
        return dialog

    def open_compare_dialog(self) -> CompareDialog | None:
        if self.document is None or not self.document.mask.any():
            self.statusBar().showMessage("Paint the area to fill first (brush: B).", 5000)
            return None
        hole = self.document.mask.copy()
        request = InpaintRequest(self.document.image.copy(), hole, self.document.sketch.copy(), self.panel.seed.value(),
                                 self.panel.device.currentText(), faces=self._faces)
        dialog = CompareDialog(request, self)
        document = self.document
        dialog.chosen.connect(lambda name, image: self._use_compared(document, name, image, hole))
        dialog.show()
        return dialog

    def _use_compared(self, document: Document, name: str, image: np.ndarray, hole: np.ndarray) -> None:
        if document is self.document:
            tools.apply_result(document, image, hole, f"Inpaint ({name}, compared)")
            self._update_title()

    def _weights_installed(self, engine: str) -> None:
        forget_engines()
        self.panel.reload()
        self.statusBar().showMessage(f"New weights for {engine} installed.", 8000)

    def _engine_changed(self, spec) -> None:
        self.tool_bar.enable_sketch(spec.uses(Need.SKETCH) or spec.uses(Need.COLOUR_STROKES))

    # -- inpainting -------------------------------------------------------------------------------
    def inpaint(self) -> None:
        if self.document is None or (self.worker is not None and self.worker.isRunning()):
            return
        if not self.document.mask.any():
            self.statusBar().showMessage("Paint the area to fill first (brush: B).", 5000)
            return
        self._start_fill(self.document.mask.copy(), more=False)

    def more_results(self) -> None:
        """The last filled area again, with other seeds and initial fills; the new results join the gallery."""
        if self.document is None or self._hole is None or self._fill_document is not self.document or not self._candidates:
            return
        if self.worker is None or not self.worker.isRunning():
            self._start_fill(self._hole, more=True)

    def _start_fill(self, hole: np.ndarray, more: bool) -> None:
        settings = self.panel.settings()
        spec = self.panel.spec
        sketch = self.document.sketch.copy() if spec.uses(Need.SKETCH) or spec.uses(Need.COLOUR_STROKES) else None
        seed, n_results = settings["seed"], settings["n_results"]
        if more:
            seed, n_results = seed + 1000 * len(self._candidates), max(3, n_results)
        try:
            request = InpaintRequest(self.document.image.copy(), hole, sketch, seed, settings["device"], n_results,
                                     settings["options"], self._faces)
        except InpaintError as error:
            self.dialogs.error(str(error))
            return
        self._hole, self._more = hole, more
        self.worker = inpaint_worker(settings["engine"], request, self, settings["domain"])
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(self._succeeded)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(lambda: self._finished("Cancelled."))
        self._fill_document = self.document
        self._cycles = []
        self.panel.clear_cycles()
        self.panel.set_running(True)
        self.worker.start()

    def cancel(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()

    def _progress(self, event) -> None:
        self.panel.show_progress(event)
        if event.preview is None or self._fill_document is not self.document:
            return
        self.canvas.show_preview(event.preview)
        if self.panel.spec.iterative:
            y0, y1, x0, x1 = bounding_box(self._hole)
            self._cycles.append(event.preview[y0:y1, x0:x1].copy())
            score = "" if event.score is None else f" {event.score:.3f}"
            self.panel.add_cycle(self._cycles[-1], f"{len(self._cycles)}.{score}", event.message)

    def _finished(self, message: str) -> None:
        self.canvas.show_preview(None)
        self.panel.set_running(False)
        self.panel.message.setText(message)

    def _succeeded(self, result) -> None:
        self._finished(result.message)
        if self._fill_document is not self.document:
            return  # another photo was opened meanwhile
        images = [c.image for c in result.candidates]
        scores = [c.info.get("score") for c in result.candidates]
        if self._more:
            pairs = sorted(zip(self._candidates + images, self._scores + scores), key=lambda p: -(p[1] if p[1] is not None else -1))
            self._candidates, self._scores = [p[0] for p in pairs], [p[1] for p in pairs]
            self.panel.message.setText(f"{result.message} {len(images)} more results; click one to use it.")
        else:
            self._candidates, self._scores = images, scores
            tools.apply_result(self.document, images[0], self._hole, f"Inpaint ({self.panel.spec.name})")
        self.panel.show_candidates(self._candidates, self._scores)
        self._update_title()

    def choose_candidate(self, index: int) -> None:
        if self.document is None or not 0 <= index < len(self._candidates):
            return
        tools.apply_result(self.document, self._candidates[index], self._hole, f"Pick result {index + 1}")
        self._update_title()

    def choose_cycle(self, index: int) -> None:
        """Use one cycle of the last iterative fill (the best one is applied when the fill ends)."""
        if self.document is None or self._fill_document is not self.document or not 0 <= index < len(self._cycles):
            return
        y0, y1, x0, x1 = bounding_box(self._hole)
        image = self.document.image.copy()
        image[y0:y1, x0:x1] = self._cycles[index]
        tools.apply_result(self.document, image, self._hole, f"Pick cycle {index + 1}")
        self._update_title()

    def _failed(self, message: str) -> None:
        self._finished("Failed.")
        self.dialogs.error(message)

    # -- status -----------------------------------------------------------------------------------
    def _update_title(self) -> None:
        if self.document is None:
            self.setWindowTitle("Inpainting editor")
            return
        name = self.document.path.name if self.document.path else "pasted image"
        self.setWindowTitle(f"{name}{' *' if self.document.modified else ''} - Inpainting editor")

    def _show_status(self, x: int | None = None, y: int | None = None) -> None:
        if self.document is None:
            return
        h, w = self.document.shape
        where = f"   {x}, {y}" if x is not None and 0 <= x < w and 0 <= y < h else ""
        self.statusBar().showMessage(f"{w} x {h}   {self.canvas.zoom * 100:.0f} %{where}")

