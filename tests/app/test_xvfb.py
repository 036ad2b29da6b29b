"""The real app in a real X window (Xvfb): open, paint, inpaint (the default engine), save, reopen, screenshot."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"

pytestmark = pytest.mark.xvfb


@pytest.fixture
def display():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb); the real-window test needs it")
    number = 90 + os.getpid() % 400
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(10)


def test_whole_loop_in_a_real_window(display, tmp_path):
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "INPAINT_STATE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "tests.app.e2e_editor", str(SAMPLE), str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "e2e ok" in done.stdout
    for name in ("painted.png", "filled_window.png", "filled.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
