"""The editor's paths with the same bad files and faults: open, import, save, sessions, autosave, batch. Every case
ends with one dialog (or status line) naming the file and the problem, no traceback, the work still in the
editor (same document, still modified) and every file on disk byte-identical."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from app import tools
from app.autosave import Autosave
from app.document import Layer
from app.session import session_bytes
from tests.app.conftest import FakeDialogs, isolated_state, photo_file  # noqa: F401 - fixtures, used by name
from tests.reliability.cases import disk_full, png_header, read_only, truncated_png
from tests.reliability.harness import ROOT, snapshot

OPEN = {
    "garbage-jpeg": ("x.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0 nothing"), "damaged or truncated"),
    "truncated-png": ("x.png", truncated_png, "damaged or truncated"),
    "empty-file": ("x.png", lambda p: p.write_bytes(b""), "empty (0 bytes)"),
    "text-file": ("x.png", lambda p: p.write_text("hello"), "not an image"),
    "folder": ("x.png", lambda p: p.mkdir(), "is a folder"),
    "missing": ("x.png", lambda p: None, "no such file"),
    "bomb-header": ("x.png", lambda p: p.write_bytes(png_header(40000, 40000)), "1,600 megapixels, over the limit of 150 megapixels"),
}


def _session(path, edit=None) -> None:
    """A real session of a small edited photo, then changed by ``edit(arrays, header)``."""
    from app.document import Document

    document = Document(np.random.default_rng(1).integers(0, 255, (20, 30, 3), np.uint8))
    tools.fill_rectangle(document, Layer.MASK, (2, 2), (8, 8))
    with np.load(io.BytesIO(session_bytes(document, {"engine": "telea"}))) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays.pop("header")))
    if edit:
        edit(arrays, header)
    with path.open("wb") as f:
        np.savez(f, header=np.array(json.dumps(header)), **arrays)


def _set(key, value):
    return lambda arrays, header: header.__setitem__(key, value)


def _patch_box(box):
    return lambda arrays, header: header["steps"][0]["patches"][0].__setitem__("box", box)


SESSIONS = {
    "session-truncated": lambda p: (_session(p), p.write_bytes(p.read_bytes()[:300])),
    "session-a-png-renamed": lambda p: Image.new("RGB", (4, 4)).save(p, format="PNG"),
    "session-with-a-pickle": lambda p: np.savez(p.open("wb"), header=np.array([{"evil": 1}], dtype=object)),
    "session-newer-format": lambda p: _session(p, _set("format", 99)),
    "session-layers-of-other-sizes": lambda p: _session(p, lambda a, h: a.__setitem__("mask", np.zeros((5, 5), bool))),
    "session-undo-outside-the-image": lambda p: _session(p, _patch_box([0, 500, 0, 500])),
    "session-undo-of-another-size": lambda p: _session(p, _patch_box([0, 3, 0, 3])),
    "session-unknown-undo-stack": lambda p: _session(p, lambda a, h: h["steps"][0].__setitem__("stack", "listeners")),
    "session-settings-not-a-table": lambda p: _session(p, _set("settings", [1, 2])),
    "session-header-not-a-table": lambda p: _session(p, lambda a, h: (h.clear(), h.__setitem__("format", 1))),
    "session-a-folder": lambda p: p.mkdir(),
}


@pytest.fixture(scope="module")
def editor(qapp, tmp_path_factory):
    """One editor window for the module (each case gets fresh dialogs, autosave and photo): far fewer windows made
    and destroyed than a window per case."""
    from app.main_window import MainWindow

    window = MainWindow(dialogs=FakeDialogs(), autosave=Autosave(tmp_path_factory.mktemp("state")))
    window.resize(1000, 700)
    window.show()
    yield window
    window.close()
    window.deleteLater()


@pytest.fixture
def window(editor, tmp_path):
    editor.dialogs = FakeDialogs()
    editor.autosave = Autosave(tmp_path / "state")
    return editor


@pytest.fixture
def editing(window, photo_file):
    """The editor with a photo open and a mask painted: the work that must survive every case."""
    assert window.open_path(photo_file[0])
    tools.fill_rectangle(window.document, Layer.MASK, (10, 10), (30, 30))
    return window


def _kept(window, document, mask) -> None:
    assert window.document is document and document.modified
    assert np.array_equal(document.mask, mask), "the work is still in the editor"


@pytest.mark.parametrize(("name", "write", "problem"), [pytest.param(*v, id=k) for k, v in OPEN.items()])
@pytest.mark.parametrize("how", ["open", "import-mask"])
def test_opening_a_bad_file(editing, tmp_path, capfd, name, write, problem, how):
    document, mask = editing.document, editing.document.mask.copy()
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    write(bad)
    before = snapshot(tmp_path)
    if how == "open":
        assert not editing.open_path(bad)
    else:
        editing.dialogs.paths["open_image"] = str(bad)
        editing.import_mask_dialog()
    assert len(editing.dialogs.errors) == 1 and name in editing.dialogs.errors[0] and problem in editing.dialogs.errors[0]
    _kept(editing, document, mask)
    assert snapshot(tmp_path) == before and "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("make", [pytest.param(v, id=k) for k, v in SESSIONS.items()])
def test_opening_a_bad_session(editing, tmp_path, capfd, make):
    document, mask = editing.document, editing.document.mask.copy()
    make(tmp_path / "bad.inpaint")
    before = snapshot(tmp_path)
    assert not editing.open_path(tmp_path / "bad.inpaint")
    assert len(editing.dialogs.errors) == 1 and editing.dialogs.errors[0].startswith("bad.inpaint: ")
    _kept(editing, document, mask)
    assert snapshot(tmp_path) == before and "Traceback" not in capfd.readouterr().err


def test_the_limit_setting_is_one_sentence_in_the_editor_too(editing, photo_file, monkeypatch):
    monkeypatch.setenv("INPAINT_MAX_PIXELS", "lots")
    document = editing.document
    assert not editing.open_path(photo_file[0])
    assert editing.dialogs.errors == ["INPAINT_MAX_PIXELS must be a number of pixels such as 300000000; it is 'lots'."]
    assert editing.document is document


@pytest.mark.parametrize(("mask_image", "problem"), [
    pytest.param(lambda p: Image.open(ROOT / "resources" / "samples" / "coffee.jpg").resize((160, 120)).save(p),
                 "looks like a colour photo", id="a-colour-photo"),
    pytest.param(lambda p: Image.new("L", (120, 160), 255).save(p), "turned by 90 degrees", id="transposed"),
])
def test_importing_a_photo_or_a_transposed_image_as_the_mask(editing, tmp_path, mask_image, problem):
    document, mask = editing.document, editing.document.mask.copy()
    mask_image(tmp_path / "m.png")
    editing.dialogs.paths["open_image"] = str(tmp_path / "m.png")
    editing.import_mask_dialog()
    assert len(editing.dialogs.errors) == 1 and "m.png" in editing.dialogs.errors[0] and problem in editing.dialogs.errors[0]
    _kept(editing, document, mask)


SAVES = {
    "image-disk-full": ("save_image", "out.png", disk_full, "No space left on device"),
    "image-read-only-folder": ("save_image", "out.png", read_only, "Read-only file system"),
    "image-unknown-type": ("save_image", "out.xyz", None, "unknown image type"),
    "image-onto-a-folder": ("save_image", "folder", None, "is a folder"),
    "session-disk-full": ("save_session", "s.inpaint", disk_full, "No space left on device"),
    "session-read-only-folder": ("save_session", "s.inpaint", read_only, "Read-only file system"),
    "mask-export-disk-full": ("export_mask", "m.png", disk_full, "No space left on device"),
}


@pytest.mark.parametrize(("what", "name", "fault", "problem"), [pytest.param(*v, id=k) for k, v in SAVES.items()])
def test_saving_that_fails_keeps_the_work_and_the_old_file(qtbot, editing, tmp_path, monkeypatch, capfd, what, name, fault,
                                                          problem):
    document, mask = editing.document, editing.document.mask.copy()
    target = tmp_path / "saved" / name
    target.parent.mkdir()
    if name == "folder":
        target.mkdir()
    else:
        target.write_bytes(b"what was there before")
    before = snapshot(tmp_path)
    editing.dialogs.paths["save_image" if what == "export_mask" else what] = str(target)
    if fault:
        fault(monkeypatch)
    {"save_image": editing.save_as, "save_session": editing.save_session_dialog, "export_mask": editing.export_mask_dialog}[what]()
    qtbot.waitUntil(lambda: not editing.saving and bool(editing.dialogs.errors), timeout=10_000)  # saved off the UI thread
    monkeypatch.undo()
    assert len(editing.dialogs.errors) == 1 and problem in editing.dialogs.errors[0]
    assert name in editing.dialogs.errors[0]
    _kept(editing, document, mask)
    assert snapshot(tmp_path) == before and not list(tmp_path.rglob("*.part"))
    assert "Traceback" not in capfd.readouterr().err


def test_saving_a_photo_too_wide_for_webp(window, tmp_path):
    Image.new("RGB", (16400, 2)).save(tmp_path / "wide.png")
    window.open_path(tmp_path / "wide.png")
    window.dialogs.paths["save_image"] = str(tmp_path / "wide.webp")
    assert not window.save_as()
    assert window.dialogs.errors == ["Could not save wide.webp: wide.webp: 16400 x 2 is too large for WEBP (at most 16383 px a "
                                     "side); save as .png or .tif instead."]
    assert not (tmp_path / "wide.webp").exists()


def test_saving_onto_a_link_in_a_circle(editing, tmp_path, capfd):
    """A name that is a link to a link back to it (Python 3.11's Path.resolve() raised RuntimeError): the photo is
    written in the link's place."""
    (tmp_path / "b.png").symlink_to("a.png")
    (tmp_path / "a.png").symlink_to("b.png")
    editing.dialogs.paths["save_image"] = str(tmp_path / "a.png")
    assert editing.save_as(wait=True) and not editing.dialogs.errors
    assert Image.open(tmp_path / "a.png").size == editing.document.shape[::-1]
    assert "Traceback" not in capfd.readouterr().err


def test_an_autosave_on_a_full_disk_keeps_the_last_one_and_says_so(editing, monkeypatch, capfd):
    editing.autosave_now()
    editing.autosave.wait()
    kept = editing.autosave.path.read_bytes()
    tools.fill_rectangle(editing.document, Layer.MASK, (40, 40), (50, 50))
    disk_full(monkeypatch)
    editing.autosave_now()
    editing.autosave.wait()
    monkeypatch.undo()
    assert editing.autosave.path.read_bytes() == kept
    assert "No space left on device" in editing.autosave.last_error
    editing.autosave_now()
    assert "Autosave failed" in editing.statusBar().currentMessage() and "still here" in editing.statusBar().currentMessage()
    assert editing.document.mask[40:51, 40:51].all() and "Traceback" not in capfd.readouterr().err


def test_an_autosave_that_cannot_be_restored_is_kept_aside(window, tmp_path):
    """A start after a crash: the window's autosave holds what the crashed editor left."""
    dialogs, state = window.dialogs, tmp_path / "state"
    state.mkdir()
    (state / "autosave.inpaint").write_bytes(b"PK\x03\x04 half an archive")
    dialogs.answers["confirm"] = True
    window.offer_restore()
    assert len(dialogs.errors) == 1 and "autosave.inpaint: not a readable session file" in dialogs.errors[0]
    kept = list(state.glob("autosave-unreadable-*.inpaint"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"PK\x03\x04 half an archive" and kept[0].name in dialogs.errors[0]
    assert not window.autosave.exists(), "the next start does not ask again"


def test_batch_dialog_with_masks_beside_the_photos(qtbot, window, tmp_path):
    images = tmp_path / "photos"
    images.mkdir()
    for i, name in enumerate(("a", "b")):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (30, 40, 3), np.uint8)).save(images / f"{name}.jpg")
        red = np.zeros((30, 40, 3), np.uint8)
        red[5:15, 5:20] = (255, 0, 0)
        Image.fromarray(red).save(images / f"{name}_mask.png")
    before = snapshot(images)
    dialog = window.open_batch_dialog()
    qtbot.addWidget(dialog)
    dialog.images.setText(str(images))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.start_button.click()
    qtbot.waitUntil(dialog.worker.isFinished, timeout=30_000)
    qtbot.waitUntil(lambda: "Filled 2 of 2" in dialog.report.toPlainText(), timeout=5000)
    assert "2 mask files beside the photos were used as masks" in dialog.report.toPlainText()
    assert "a_mask.png: read 12 % of pixels as hole (colour (255, 0, 0))" in dialog.report.toPlainText()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jpg", "b.jpg"]
    assert snapshot(images) == before
