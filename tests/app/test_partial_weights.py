"""Weights exported before one of an engine's optional networks trained (CRG without its refiner): the editor's
option is off and greyed out, `main.py engines` says so."""
from __future__ import annotations

import hashlib
import json

from app.engine_panel import EnginePanel
from cli.listing import print_engines


def _crg_without_refiner(root):
    folder = root / "crg"
    folder.mkdir(parents=True)
    digests = {}
    for name in ("encoder.safetensors", "generator.safetensors"):  # contents are never loaded here, only hashed
        (folder / name).write_bytes(name.encode())
        digests[name] = hashlib.sha256(name.encode()).hexdigest()
    (folder / "card.json").write_text(json.dumps({"sha256": digests, "left_out": {"refiner.safetensors": "not trained yet"}}))


def test_refine_is_off_and_greyed_without_a_trained_refiner(qtbot, tmp_path, monkeypatch, capsys):
    _crg_without_refiner(tmp_path)
    monkeypatch.setattr("engines.registry.WEIGHTS_DIR", tmp_path)
    panel = EnginePanel()
    qtbot.addWidget(panel)
    panel.select_engine("crg")
    refine = panel._option_widgets["refine"]
    assert refine.currentText() == "no" and not refine.isEnabled() and "no trained U-Net refiner" in refine.toolTip()
    panel.select_engine("telea")
    panel.select_engine("crg")
    assert not panel._option_widgets["refine"].isEnabled()
    print_engines()
    assert "trained; no U-Net refiner (refine no)" in capsys.readouterr().out
