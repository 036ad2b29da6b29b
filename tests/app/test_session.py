"""Session files and autosave, without Qt."""
from __future__ import annotations

import numpy as np
import pytest

from app import tools
from app.autosave import Autosave
from app.document import Document, Layer
from app.session import load_session, save_session
from engines.errors import ImageFileError
from engines.imageio import ImageMeta


def _edited() -> Document:
    image = np.random.default_rng(2).integers(0, 255, (40, 50, 3), np.uint8)
    alpha = np.full((40, 50), 200, np.uint8)
    document = Document(image, ImageMeta("RGBA", alpha, b"Exif\x00\x00MM", None, None))
    tools.fill_rectangle(document, Layer.MASK, (5, 5), (20, 20))
    tools.fill_rectangle(document, Layer.SKETCH, (1, 1), (3, 3), colour=(1, 2, 3, 255))
    hole = document.mask.copy()
    tools.apply_result(document, np.zeros_like(image), hole)
    tools.fill_rectangle(document, Layer.MASK, (30, 30), (40, 35))
    document.undo()
    return document


def test_session_round_trip_keeps_layers_meta_and_history(tmp_path):
    document = _edited()
    save_session(tmp_path / "s.inpaint", document, {"engine": "telea", "seed": 4})
    loaded, settings = load_session(tmp_path / "s.inpaint")
    assert settings == {"engine": "telea", "seed": 4}
    for name in ("image", "original", "mask", "sketch"):
        assert np.array_equal(getattr(loaded, name), getattr(document, name)), name
    assert np.array_equal(loaded.meta.alpha, document.meta.alpha) and loaded.meta.exif == document.meta.exif
    assert [s.label for s in loaded.history.undo] == [s.label for s in document.history.undo]
    assert len(loaded.history.redo) == 1
    loaded.undo()
    loaded.undo()
    assert np.array_equal(loaded.image, document.original)
    loaded.redo()
    loaded.redo()
    loaded.redo()
    assert loaded.mask[30:36, 30:41].all()


def test_a_broken_session_file_is_one_clear_error(tmp_path):
    (tmp_path / "bad.inpaint").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ImageFileError, match="bad.inpaint: not a readable session file"):
        load_session(tmp_path / "bad.inpaint")


def test_autosave_writes_in_the_background_only_when_changed_and_discards(tmp_path):
    autosave = Autosave(tmp_path)
    document = _edited()
    assert autosave.save_in_background(document, {"engine": "telea"})
    autosave.wait()
    assert autosave.exists() and autosave.last_error is None
    assert not autosave.save_in_background(document, {}), "unchanged since the last autosave"
    restored, settings = autosave.load()
    assert np.array_equal(restored.image, document.image) and settings == {"engine": "telea"}
    autosave.discard()
    assert not autosave.exists()


def test_autosave_snapshot_is_not_torn_by_edits_during_the_write(tmp_path):
    autosave = Autosave(tmp_path)
    document = _edited()
    expected = document.mask.copy()
    autosave.save_in_background(document, {})
    tools.invert_mask(document)
    autosave.wait()
    restored, _ = autosave.load()
    assert np.array_equal(restored.mask, expected)
