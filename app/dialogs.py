"""Every question the editor asks the user, in one place (tests replace this object)."""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engines.imageio import IMAGE_SUFFIXES

IMAGE_FILTER = f"Images ({' '.join('*' + s for s in IMAGE_SUFFIXES)});;All files (*)"
SESSION_FILTER = "Editor sessions (*.inpaint);;All files (*)"  # a session saved under another name is still found


class Dialogs:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def open_image_path(self, folder: str) -> str:
        return QFileDialog.getOpenFileName(self.parent, "Open image", folder, IMAGE_FILTER)[0]

    def save_image_path(self, suggested: str) -> str:
        return QFileDialog.getSaveFileName(self.parent, "Save image", suggested, IMAGE_FILTER)[0]

    def open_session_path(self, folder: str) -> str:
        return QFileDialog.getOpenFileName(self.parent, "Open session", folder, SESSION_FILTER)[0]

    def save_session_path(self, suggested: str) -> str:
        return QFileDialog.getSaveFileName(self.parent, "Save session", suggested, SESSION_FILTER)[0]

    def confirm(self, question: str, default_yes: bool = False) -> bool:
        """Yes or No; Enter answers No unless ``default_yes`` (for questions where No loses nothing)."""
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
        answer = QMessageBox.question(self.parent, "Inpainting editor", question, buttons, default)
        return answer == QMessageBox.StandardButton.Yes

    def ask_save_changes(self) -> str:
        """'save', 'discard' or 'cancel'."""
        buttons = QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self.parent, "Inpainting editor", "Save the changes to this photo?", buttons,
                                      QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def error(self, message: str) -> None:
        QMessageBox.warning(self.parent, "Inpainting editor", message)
