"""Autosave: the session is written in the background whenever the document changed, and removed on a clean
exit; after a crash or a kill the next start finds it and offers to restore it. No Qt."""
from __future__ import annotations

import copy
import os
import threading
import time
from pathlib import Path
from typing import Any

from app.document import Document, History
from app.session import SUFFIX, load_session, save_session
from engines.errors import InpaintError


def state_dir() -> Path:
    """Where the editor keeps its settings and autosave (INPAINT_STATE_DIR overrides, for tests)."""
    if os.environ.get("INPAINT_STATE_DIR"):
        return Path(os.environ["INPAINT_STATE_DIR"])
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "inpaint-editor"


def snapshot(document: Document) -> Document:
    """A copy that the UI thread can go on editing beside (history steps are immutable and shared)."""
    copied = copy.copy(document)
    copied.image, copied.original = document.image.copy(), document.original.copy()
    copied.mask, copied.sketch = document.mask.copy(), document.sketch.copy()
    copied.history = History(list(document.history.undo), list(document.history.redo), document.history.limit_bytes)
    copied.listeners = []
    return copied


class Autosave:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or state_dir()) / f"autosave{SUFFIX}"
        self._thread: threading.Thread | None = None
        self.saved_version: int | None = None
        self.last_error: str | None = None

    def exists(self) -> bool:
        return self.path.is_file()

    def save_in_background(self, document: Document, settings: dict[str, Any]) -> bool:
        """Start writing unless the document is unchanged since the last autosave or a write is under way."""
        if self.saved_version == document.version or (self._thread is not None and self._thread.is_alive()):
            return False
        frozen, version = snapshot(document), document.version
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def write() -> None:
            try:
                save_session(self.path, frozen, settings)
                self.saved_version, self.last_error = version, None
            except (OSError, InpaintError) as error:  # a full disk: the work stays in the editor, the last autosave stays
                self.last_error = f"Autosave failed: {getattr(error, 'strerror', None) or error}"

        self._thread = threading.Thread(target=write, name="autosave", daemon=True)
        self._thread.start()
        return True

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def load(self) -> tuple[Document, dict[str, Any]]:
        return load_session(self.path)

    def set_aside(self) -> Path:
        """Keep an autosave that cannot be restored under another name (it is not deleted) and return it."""
        kept = self.path.with_name(f"autosave-unreadable-{time.strftime('%Y%m%d-%H%M%S')}{SUFFIX}")
        self.path.rename(kept)
        return kept

    def discard(self) -> None:
        self.wait()
        self.path.unlink(missing_ok=True)
        self.saved_version = None
