"""``main.py`` with no command: the editor. Qt is imported here, only when the editor is asked for."""
from __future__ import annotations

import argparse
import sys


def run_gui(image: str | None, parser: argparse.ArgumentParser) -> int:
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Inpainting editor")
    window = MainWindow()
    window.show()
    window.offer_restore()
    if image:
        window.open_path(image)
    return app.exec()
