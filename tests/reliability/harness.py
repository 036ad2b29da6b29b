"""Running the command line as a user would, and checking afterwards that nothing of theirs was lost.

``cli`` runs ``main.py`` in this process (fast: torch and friends are imported once); an exception that escapes
``main`` is a traceback the user would have seen, and is returned as such rather than raised, so a case shows
what went wrong. ``main_process`` runs it in a real child process, for signals and start-up behaviour.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SIZE = (24, 32)  # H, W of the photos the cases use


@dataclass(frozen=True)
class Outcome:
    code: int | None
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*args: str | os.PathLike) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    from cli.main import main

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:  # noqa: BLE001 - what escapes main is what the user would see as a traceback
            code = None
            err.write(traceback.format_exc())
    return Outcome(code, out.getvalue(), err.getvalue())


def main_process(*args: str | os.PathLike, env: dict[str, str] | None = None, timeout: float = 120) -> Outcome:
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    return Outcome(done.returncode, done.stdout, done.stderr)


def signalled(args: list, ready: Callable[[], bool], number: signal.Signals, timeout: float = 120) -> Outcome:
    """Run ``main.py args`` in a child process, send it signal ``number`` once ``ready()`` holds, and wait for it."""
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.02)
        child.send_signal(number)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    return Outcome(child.returncode, out, err)


def assert_refused(outcome: Outcome, code: int, *needles: str) -> None:
    """The exit code, every expected word (the file's name, the problem), and no traceback."""
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == code, outcome.text
    for needle in needles:
        assert needle in outcome.text, f"{needle!r} not in: {outcome.text}"


def snapshot(*folders: Path) -> dict[Path, bytes]:
    """Every file under ``folders`` with its bytes: compare before and after to prove nothing changed."""
    return {p: p.read_bytes() for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def photo(path: Path, seed: int = 0, size: tuple[int, int] = SIZE) -> np.ndarray:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def mask(path: Path, size: tuple[int, int] = SIZE, colour=(255, 255, 255)) -> np.ndarray:
    """A rectangle hole in ``colour`` on black."""
    path.parent.mkdir(parents=True, exist_ok=True)
    hole = np.zeros(size, bool)
    hole[size[0] // 4: size[0] // 2, size[1] // 4: size[1] // 2] = True
    pixels = np.zeros((*size, 3), np.uint8)
    pixels[hole] = colour
    Image.fromarray(pixels if len(set(colour)) > 1 else pixels[..., 0]).save(path)
    return hole
