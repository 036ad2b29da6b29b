"""The main window's file side: open, paste, save (never over the original without asking; written off the UI
thread), masks, sessions (found by content whatever their name), autosave and crash recovery, recent files.
A mixin of MainWindow: it works on the window's document, dialogs and settings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app import tools
from app.document import Document
from app.session import SUFFIX, is_session_file, load_session, save_session, session_photo
from app.worker import WorkWorker, task_worker
from engines.errors import InpaintError
from engines.imageio import check_output, load_image, real_path, save_image

MAX_RECENT = 8


def _save(path: Path, image: np.ndarray, meta) -> None:
    """Write the photo; an OS error becomes the sentence the user reads."""
    try:
        save_image(path, image, meta)
    except OSError as error:
        raise InpaintError(error.strerror or str(error)) from None


class FileActions:
    _save_worker: WorkWorker | None = None
    # -- opening ----------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix == SUFFIX or is_session_file(path):
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

    def current_file(self) -> Path | None:
        """The file the photo is now: where the last Save As wrote (Save writes there too), else the opened photo;
        None for a pasted image not saved yet."""
        if self.document is None:
            return None
        return self.save_path or self.document.path

    def _folder(self) -> str:
        current = self.current_file()
        return str(current.parent) if current is not None else str(Path.home())

    # -- saving -----------------------------------------------------------------------------------
    def save(self, wait: bool = False) -> bool:
        """Save to the last path (asking where the first time). The photo is written off the UI thread; ``wait``
        writes it before returning (closing or switching photos needs it written)."""
        if self.document is None:
            return False
        if self.save_path is None:
            return self.save_as(wait)
        return self._write(self.save_path, wait)

    def save_as(self, wait: bool = False) -> bool:
        if self.document is None:
            return False
        original = self.document.path
        suggested = self.save_path or (original.with_name(f"{original.stem}_filled{original.suffix}") if original
                                       else Path(self._folder()) / "filled.png")
        path = self.dialogs.save_image_path(str(suggested))
        if not path:
            return False
        path = Path(path)
        if original is not None and real_path(path) == original and not self.dialogs.confirm(
            f"Overwrite the original photo {original.name}? The unedited photo will be lost."
        ):
            return False
        if self._write(path, wait):
            self.save_path = path  # Save writes here from now on, and the title names it
            self._update_title()
            return True
        return False

    @property
    def saving(self) -> bool:
        return self._save_worker is not None and self._save_worker.isRunning()

    def _write(self, path: Path, wait: bool = False) -> bool:
        """Write a copy of the photo as it is now; True when written (``wait``) or under way. What can be known
        before writing (the type, a folder, a read-only place, a size the format cannot hold) is refused at once."""
        def failed(message: str) -> None:
            if self.save_path == path:
                self.save_path = None  # the next Save asks where
            self._update_title()
            self.statusBar().clearMessage()
            self.dialogs.error(f"Could not save {path.name}: {message}")

        try:
            check_output(path, self.document.shape)
        except InpaintError as error:
            failed(str(error))
            return False
        if self.saving:
            self._save_worker.wait()
        document, version, image = self.document, self.document.version, self.document.image.copy()

        def written(_=None) -> None:
            document.saved_version = version  # edits made while saving keep the photo modified
            self._update_title()
            self._add_recent(path)
            self.statusBar().showMessage(f"Saved {path}", 5000)

        if wait:
            try:
                _save(path, image, document.meta)
            except InpaintError as error:
                failed(str(error))
                return False
            written()
            return True
        self._save_worker = task_worker(lambda: _save(path, image, document.meta), self)
        self._save_worker.succeeded.connect(written)
        self._save_worker.failed.connect(failed)
        self.statusBar().showMessage(f"Saving {path.name}...")
        self._save_worker.start()
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
            self.edit(tools.import_mask, path)

    # -- sessions and autosave --------------------------------------------------------------------
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
        path = self.dialogs.save_session_path(str(Path(self._folder()) / f"edit{SUFFIX}"))
        if path:
            path = Path(path) if Path(path).suffix else Path(path).with_suffix(SUFFIX)
            try:
                save_session(path, self.document, self.panel.settings())
            except (InpaintError, OSError) as error:
                self.dialogs.error(f"Could not save the session: {error}")

    def autosave_now(self) -> None:
        if self.autosave.last_error:
            self.statusBar().showMessage(f"{self.autosave.last_error} Your work is still here; save it.", 10_000)
        if self.document is not None and self.document.modified:
            self.autosave.save_in_background(self.document, self.panel.settings())

    def offer_restore(self) -> None:
        """At start-up: an autosave left behind means the last session did not end cleanly."""
        if not self.autosave.exists():
            return
        try:
            photo = session_photo(self.autosave.path) or "a pasted image"
        except InpaintError:
            photo = "a photo (the autosave may be damaged)"
        question = f"The editor did not close cleanly last time. Restore the unsaved work on {photo}?"
        if self.dialogs.confirm(question, default_yes=True):
            try:
                document, settings = self.autosave.load()
            except InpaintError as error:
                self.dialogs.error(f"The autosave could not be restored: {error} It is kept as {self.autosave.set_aside()}.")
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
            return self.save(wait=True)
        return answer == "discard"

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
