from __future__ import annotations

import hashlib
import json

import pytest

from engines import registry
from engines.contract import EngineSpec, Need
from engines.errors import EngineUnavailable
from engines.registry import WeightsState

LEARNED = EngineSpec("test-learned", "Test learned", "needs weights", frozenset({Need.MASK}), 64, weights=("g.safetensors",))


def test_telea_is_registered_and_ready():
    assert "telea" in registry.names()
    assert registry.weights_state("telea") is WeightsState.NOT_NEEDED
    assert registry.create("telea").spec.name == "telea"


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(EngineUnavailable, match="Unknown engine 'nope'; known engines: .*telea"):
        registry.spec("nope")


def test_an_engine_is_trained_only_when_files_match_the_card(tmp_path):
    with registry.registered(LEARNED, "tests.engines.fakes:MeanEngine"):
        assert registry.weights_state("test-learned", tmp_path) is WeightsState.MISSING
        folder = tmp_path / "test-learned"
        folder.mkdir()
        (folder / "g.safetensors").write_bytes(b"weights")
        assert registry.weights_state("test-learned", tmp_path) is WeightsState.MISSING
        digest = hashlib.sha256(b"weights").hexdigest()
        (folder / "card.json").write_text(json.dumps({"sha256": {"g.safetensors": digest}}))
        assert registry.weights_state("test-learned", tmp_path) is WeightsState.TRAINED
        (folder / "g.safetensors").write_bytes(b"other weights")
        assert registry.weights_state("test-learned", tmp_path) is WeightsState.MISMATCH


def test_untrained_engines_cannot_run_by_accident():
    with registry.registered(LEARNED, "tests.engines.fakes:MeanEngine"):
        with pytest.raises(EngineUnavailable, match="no trained weights"):
            registry.create("test-learned")


def test_a_class_must_match_the_spec_it_was_registered_with():
    with registry.registered(LEARNED, "tests.engines.fakes:MeanEngine"):
        with pytest.raises(ValueError, match="different spec"):
            registry.create("test-learned", allow_untrained=True)


def test_every_engine_module_is_in_the_one_builtin_list():
    """An engine declared under engines/ but missing from registry.BUILTIN_MODULES would never be listed."""
    import re
    from pathlib import Path

    root = Path(registry.__file__).parent
    declaring = sorted(
        ".".join(("engines", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for path in root.rglob("*.py") if re.search(r"^(registry\.)?register\(", path.read_text(), re.MULTILINE)
    )
    assert declaring == sorted(registry.BUILTIN_MODULES)
