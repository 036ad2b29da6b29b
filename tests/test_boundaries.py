"""engines/ never imports Qt: it is shared by the CLI, the editor and the GPU training machine."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_IMPORT_ALL_WITH_QT_BLOCKED = """
import importlib, pkgutil, sys

class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('engines must not import Qt: ' + name)

sys.meta_path.insert(0, BlockQt())
import engines
names = [m.name for m in pkgutil.walk_packages(engines.__path__, 'engines.')]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_engines_import_without_qt():
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL_WITH_QT_BLOCKED], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 8, "every engines module was imported"


def test_the_document_model_imports_without_qt():
    code = _IMPORT_ALL_WITH_QT_BLOCKED.replace(
        "import engines\n", "import engines\nimport app.document, app.tools, app.session, app.autosave, app.fill_session\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_blocker_itself_catches_qt():
    code = _IMPORT_ALL_WITH_QT_BLOCKED.replace("import engines\n", "import engines\nimport PySide6\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "engines must not import Qt" in done.stderr


def test_the_editor_starts_without_importing_torch():
    """torch loads on the first learned fill, not at start-up (the first window must come quickly)."""
    code = "import sys, app.main_window; from engines import registry; registry.names(); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_no_app_file_is_over_400_lines():
    """Widgets stay thin: a Qt file that grows past this has logic that belongs in a numpy module or engines/."""
    long = {path.name: n for path in (ROOT / "app").glob("*.py") if (n := len(path.read_text().splitlines())) > 400}
    assert not long, long
