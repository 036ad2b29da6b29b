from __future__ import annotations

import numpy as np
import pytest


class FakeDialogs:
    """Answers the editor's questions as a test tells it to, and records the errors it shows."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.questions: list[str] = []
        self.defaults: list[bool] = []  # whether Enter meant Yes, per question
        self.answers: dict[str, object] = {"confirm": False, "save_changes": "discard"}
        self.paths: dict[str, str] = {}

    def open_image_path(self, folder: str) -> str:
        return self.paths.get("open_image", "")

    def save_image_path(self, suggested: str) -> str:
        self.paths["suggested"] = suggested
        return self.paths.get("save_image", "")

    def open_session_path(self, folder: str) -> str:
        return self.paths.get("open_session", "")

    def save_session_path(self, suggested: str) -> str:
        return self.paths.get("save_session", "")

    def confirm(self, question: str, default_yes: bool = False) -> bool:
        self.questions.append(question)
        self.defaults.append(default_yes)
        return bool(self.answers["confirm"])

    def ask_save_changes(self) -> str:
        return str(self.answers["save_changes"])

    def error(self, message: str) -> None:
        self.errors.append(message)


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    """Settings and autosave go to a temporary folder (each window has its own fill service and engine cache)."""
    monkeypatch.setenv("INPAINT_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def dialogs() -> FakeDialogs:
    return FakeDialogs()


@pytest.fixture
def window(qtbot, dialogs, tmp_path):
    from app.autosave import Autosave
    from app.main_window import MainWindow

    main_window = MainWindow(dialogs=dialogs, autosave=Autosave(tmp_path / "state"))
    qtbot.addWidget(main_window)
    main_window.resize(1000, 700)
    main_window.show()
    qtbot.waitExposed(main_window)
    yield main_window
    if main_window.worker is not None:
        main_window.worker.cancel()
        assert main_window.worker.wait(10_000), "no QThread is left running after a test"


@pytest.fixture
def photo_file(tmp_path) -> tuple:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


@pytest.fixture
def mean_filled(qtbot, window, photo_file):
    """The window after a fill with three results (the test mean engine, registered for the whole test)."""
    from app import tools
    from app.document import Layer
    from engines import registry
    from tests.engines import fakes

    with registry.registered(fakes.MEAN_SPEC, "tests.engines.fakes:MeanEngine"):
        window.panel.engine.addItem("test mean", "test-mean")
        window.panel.select_engine("test-mean")
        window.panel.results.setValue(3)
        window.open_path(photo_file[0])
        tools.fill_rectangle(window.document, Layer.MASK, (40, 30), (80, 60))
        window.inpaint()
        qtbot.waitUntil(window.worker.isFinished, timeout=20_000)  # the worker may finish before a signal wait begins
        qtbot.waitUntil(lambda: window.panel.gallery.count() == 3 and window.panel.more_button.isEnabled(), timeout=5000)
        yield window
