"""The pinned Qt binding keeps Python's None alive: PySide6 6.12.0 on Python 3.11 dropped one reference to None
per call of a method that returns nothing, so a long editing session ended in 'Fatal Python error: none_dealloc'."""
import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_do_not_consume_references_to_none(qapp):
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(500):
        label.setText("x")
        label.update()
    qapp.processEvents()
    assert before - sys.getrefcount(None) < 50, "each void Qt call drops a reference to None"
