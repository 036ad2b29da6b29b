"""After a real `kill -9`, the next start offers the autosaved work back."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_EDIT_THEN_DIE = """
import os, sys
from PySide6.QtWidgets import QApplication
from app import tools
from app.document import Layer
from app.main_window import MainWindow
app = QApplication(sys.argv[:1])
window = MainWindow()
window.open_path(sys.argv[1])
tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (40, 30))
window.autosave_now()
window.autosave.wait()
os.kill(os.getpid(), 9)
"""

_RESTART = """
import sys
from PySide6.QtWidgets import QApplication
from app.main_window import MainWindow
from tests.app.conftest import FakeDialogs
app = QApplication(sys.argv[:1])
dialogs = FakeDialogs()
dialogs.answers["confirm"] = True
window = MainWindow(dialogs=dialogs)
window.offer_restore()
print(dialogs.questions[0])
print(int(window.document.mask.sum()), window.document.path.name)
"""


def test_work_survives_kill_9(tmp_path, photo_file):
    env = {**os.environ, "INPAINT_STATE_DIR": str(tmp_path / "state"), "QT_QPA_PLATFORM": "offscreen"}
    killed = subprocess.run([sys.executable, "-c", _EDIT_THEN_DIE, str(photo_file[0])], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    restarted = subprocess.run([sys.executable, "-c", _RESTART], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stderr
    question, state = restarted.stdout.strip().splitlines()
    assert "did not close cleanly" in question
    assert state == f"{31 * 21} photo.png"
