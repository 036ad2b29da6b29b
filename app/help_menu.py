"""Help: the keyboard shortcut list, read from the menus' own actions (so it cannot disagree with them) plus the
canvas's mouse and key gestures, and how to get weights for the engines that have none yet."""
from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QMenuBar, QTextBrowser, QVBoxLayout, QWidget

from engines import registry

CANVAS_GESTURES = (
    ("Hold \\ (or the Compare button)", "Show the original photo while held"),
    ("Wheel", "Zoom at the pointer"),
    ("Alt + wheel", "Brush size"),
    ("Middle drag, or Space + drag", "Pan"),
    ("Tab / Shift+Tab", "Move between fields, as everywhere"),
)


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, shortcut) for every menu action that has a shortcut, in menu order."""
    rows = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} > {action.text().replace('&', '')}")
            elif not action.shortcut().isEmpty():
                text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                rows.append((path, action.text().replace("&", ""), text))

    for action in bar.actions():
        if action.menu() is not None:
            walk(action.menu(), action.text().replace("&", ""))
    return rows


def shortcuts_html(bar: QMenuBar) -> str:
    def table(title: str, rows) -> str:
        cells = "".join(f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(what)}</td></tr>" for key, what in rows)
        return f"<h3>{title}</h3><table cellspacing='2' cellpadding='3'>{cells}</table>"

    menu_rows = [(key, f"{action}   ({menu})") for menu, action, key in menu_shortcuts(bar)]
    return table("On the photo", CANVAS_GESTURES) + table("Menus", menu_rows)


def weights_html() -> str:
    untrained = [name for name in registry.names() if not registry.is_runnable(name)]
    if not untrained:
        return "<p>Every engine has trained weights.</p>"
    items = "".join(f"<li>{html.escape(registry.spec(n).title)} (<code>{n}</code>)</li>" for n in untrained)
    return (f"<p>These engines have no trained weights yet and are greyed out:</p><ul>{items}</ul>"
            f"<p>{html.escape(registry.how_to_get_weights('ENGINE'))}</p>")


def show_text(parent: QWidget, title: str, body: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(560, 620)
    text = QTextBrowser()
    text.setHtml(body)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.text = text
    dialog.show()
    return dialog


def about_html() -> str:
    try:
        version = metadata.version("inpaint-editor")
    except metadata.PackageNotFoundError:
        version = "run from its folder"
    return (f"<h3>Inpainting editor</h3><p>Version: {html.escape(version)}</p><p>Paint what should go, pick an engine, "
            "get the hole filled at the photo's own resolution. The README says how to train engines.</p>")
