"""The editor's menus; the Help menu's shortcut list (app/help_menu.py) is read from these same actions, so it can never
disagree with them."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from app import help_menu, tools
from app.document import Layer
from engines.faces import FaceRegion

FACE_REGION_KEYS = {FaceRegion.WORN_MASK: "Ctrl+Shift+M"}


def add_action(owner: QWidget, menu: QMenu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
    action = QAction(text, owner)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window) -> None:
    """File, Edit, View, Tools, Run and Help on ``window`` (a MainWindow); keeps the actions others need."""
    bar: QMenuBar = window.menuBar()
    file = bar.addMenu("&File")
    add_action(window, file, "&Open...", window.open_dialog, QKeySequence.StandardKey.Open)
    window.recent_menu = file.addMenu("Open &Recent")
    add_action(window, file, "&Paste Image", window.paste_image, "Ctrl+Shift+V")
    file.addSeparator()
    add_action(window, file, "&Save", window.save, QKeySequence.StandardKey.Save)
    add_action(window, file, "Save &As...", window.save_as, "Ctrl+Shift+S")
    add_action(window, file, "&Export Mask...", window.export_mask_dialog, "Ctrl+E")
    add_action(window, file, "&Import Mask...", window.import_mask_dialog, "Ctrl+I")
    file.addSeparator()
    add_action(window, file, "Open Sessio&n...", window.open_session_dialog)
    add_action(window, file, "Save Session...", window.save_session_dialog)
    file.addSeparator()
    add_action(window, file, "&Batch Fill a Folder...", window.open_batch_dialog, "Ctrl+Shift+B")
    file.addSeparator()
    add_action(window, file, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    add_action(window, edit, "&Undo", window.undo, QKeySequence.StandardKey.Undo)
    add_action(window, edit, "&Redo", window.redo, "Ctrl+Shift+Z")
    edit.addSeparator()
    add_action(window, edit, "&Clear Mask", lambda: window.edit(tools.clear, Layer.MASK), "Ctrl+Backspace")
    add_action(window, edit, "&Invert Mask", lambda: window.edit(tools.invert_mask), "Ctrl+Shift+I")
    add_action(window, edit, "&Grow Mask by 8 px", lambda: window.edit(tools.grow_mask, 8), "Ctrl+=")
    add_action(window, edit, "&Shrink Mask by 8 px", lambda: window.edit(tools.grow_mask, -8), "Ctrl+-")
    add_action(window, edit, "Clear S&ketch", lambda: window.edit(tools.clear, Layer.SKETCH))
    edit.addSeparator()
    faces = edit.addMenu("Auto &Face Mask")
    for region in FaceRegion:
        add_action(window, faces, f"&{region.title}", lambda _=False, r=region.value: window.auto_face_mask(r),
                   FACE_REGION_KEYS.get(region))
    faces.addSeparator()
    window.largest_face_only = add_action(window, faces, "Largest Face Only", lambda _=False: None, checkable=True)

    view = bar.addMenu("&View")
    add_action(window, view, "&Fit", window.canvas.fit, "Ctrl+0")
    add_action(window, view, "&100 %", lambda: window.canvas.set_zoom(1.0), "Ctrl+1")
    window.tool_bar.add_tool_menu(bar.addMenu("&Tools"))

    run = bar.addMenu("&Run")
    window.inpaint_action = add_action(window, run, "&Inpaint", window.inpaint, "Ctrl+Return")
    add_action(window, run, "&Cancel", window.cancel, "Esc")
    add_action(window, run, "C&ompare Engines...", window.open_compare_dialog, "Ctrl+Shift+Return")

    helping = bar.addMenu("&Help")
    add_action(window, helping, "&Keyboard Shortcuts",
               lambda: help_menu.show_text(window, "Keyboard shortcuts", help_menu.shortcuts_html(bar)), "F1")
    add_action(window, helping, "Getting &Weights for Engines",
               lambda: help_menu.show_text(window, "Getting weights", help_menu.weights_html()))
    add_action(window, helping, "&About", lambda: help_menu.show_text(window, "About", help_menu.about_html()))
