"""The main window's file side: open, paste, save (never over the original without asking), masks, sessions,
autosave and crash recovery, recent files. A mixin of MainWindow: it works on the window's document, dialogs and
settings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app import tools
from app.document import Document
from app.session import load_session, save_session
from engines.errors import InpaintError
from engines.imageio import load_image, save_image

MAX_RECENT = 8


class FileActions:
    # -- opening ----------------------------------------------------------------------------------
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

    # -- saving -----------------------------------------------------------------------------------
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
