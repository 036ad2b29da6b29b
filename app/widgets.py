"""Small widgets the dialogs and panels share."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget


def path_row(edit: QLineEdit, pick) -> QWidget:
    """A path field with a Browse... button that calls ``pick``."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    browse = QPushButton("Browse...")
    browse.clicked.connect(pick)
    layout.addWidget(browse)
    row.browse = browse
    return row


def pick_folder(parent: QWidget, edit: QLineEdit, title: str = "Choose a folder") -> None:
    folder = QFileDialog.getExistingDirectory(parent, title, edit.text())
    if folder:
        edit.setText(folder)


def pick_file(parent: QWidget, edit: QLineEdit, title: str, pattern: str) -> None:
    path = QFileDialog.getOpenFileName(parent, title, edit.text(), pattern)[0]
    if path:
        edit.setText(path)


def narrow_combo(combo: QComboBox) -> QComboBox:
    """A combo box as wide as its panel lets it be, not as wide as its longest entry."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo
