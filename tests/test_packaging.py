"""`pip install .` gives a working command: the wheel holds the code, its data and the entry points.
(The full install into a fresh venv, with torch, is checked by hand: see the README.)"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "inpaint_editor.py", "app", "cli", "engines", "resources", "weights")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The project's wheel, built from a copy (building writes build/ beside the sources)."""
    pytest.importorskip("setuptools")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                           str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_the_wheel_holds_every_package_and_the_data_they_read(wheel):
    names = set(wheel.namelist())
    on_disk = {str(p.relative_to(ROOT)) for folder in ("app", "cli", "engines") for p in (ROOT / folder).rglob("*.py")}
    assert on_disk <= names, f"left out: {sorted(on_disk - names)[:5]}"
    assert {"inpaint_editor.py", "resources/faces/mean_landmarks_128.npy", "resources/face_masks/n95.png"} <= names


def test_the_wheel_declares_the_command_and_the_dependencies(wheel):
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "inpaint-editor = cli.main:main" in entry_points
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert "PySide6-Essentials!=6.12.0,>=6.5" in metadata, "the release that aborts the editor is excluded"
    for requirement in ("torch", "numpy", "PySide6-Essentials", "opencv-python-headless", "dlib-bin", "safetensors"):
        assert f"Requires-Dist: {requirement}" in metadata
    assert "Provides-Extra: train" in metadata and "Provides-Extra: test" in metadata


def test_python_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "inpaint_editor", "engines"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "telea" in done.stdout


def test_every_pinned_requirement_is_declared_for_pip_install():
    """What `make` installs from requirements.txt, `pip install .` must install too: each pin is declared in
    pyproject.toml (dependencies or an extra) or comes with a declared package."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    def name(text: str) -> str:
        return Requirement(text).name.lower().replace("_", "-")

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {name(r) for r in project["dependencies"] + sum(project["optional-dependencies"].values(), [])}
    closure, todo = set(), list(declared)
    while todo:
        package = todo.pop()
        if package in closure:
            continue
        closure.add(package)
        try:
            todo += [name(r) for r in metadata.requires(package) or [] if "extra ==" not in r]
        except metadata.PackageNotFoundError:
            pass
    pinned = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        text = line.split("#")[0].strip()
        if text and (Requirement(text).marker is None or Requirement(text).marker.evaluate()):
            pinned.add(name(text))
    assert pinned <= closure, f"pinned in requirements.txt but not declared in pyproject.toml: {sorted(pinned - closure)}"


def test_no_tracked_file_is_one_that_git_ignores():
    """A file committed before its folder was ignored stays tracked: kit/ (data shards, the landmarks cache, CPU smoke
    downloads: 123 MiB) travelled with every clone and every GPU command, and `main.py pack` refused to pack."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], "tracked although ignored (git rm --cached them)"
