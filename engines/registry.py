"""Every engine the app knows: its spec (cheap to read) and where its class lives (imported on first use).

Specs are declared beside each engine; heavy modules (torch networks) load only when an engine is created,
so listing engines stays fast for the CLI and the editor's start-up.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engines.base import Engine
from engines.contract import EngineSpec, OptionalNetwork
from engines.device import resolve_device
from engines.errors import EngineUnavailable

WEIGHTS_DIR = Path(os.environ.get("INPAINT_WEIGHTS_DIR") or Path(__file__).resolve().parent.parent / "weights")

# The one list of built-in engines: the modules that declare them, in the order the editor and CLI list them.
# tests/engines/test_registry.py checks that every module under engines/ that registers an engine is here.
BUILTIN_MODULES = ("engines.classical.auto", "engines.classical.telea", "engines.classical.patchmatch", "engines.lskfnet",
                   "engines.maskedface", "engines.crg", "engines.cfs", "engines.regionwise")


@dataclass(frozen=True)
class _Entry:
    spec: EngineSpec
    loader: str  # "package.module:ClassName"


_entries: dict[str, _Entry] = {}
_builtins_loaded = False


def register(spec: EngineSpec, loader: str) -> None:
    """Declare an engine: its spec and the dotted path of its :class:`Engine` subclass."""
    if spec.name in _entries and _entries[spec.name].loader != loader:
        raise ValueError(f"engine {spec.name!r} is already registered by {_entries[spec.name].loader}")
    _entries[spec.name] = _Entry(spec, loader)


@contextmanager
def registered(spec: EngineSpec, loader: str) -> Iterator[None]:
    """Register an engine for the duration of a block (tests, plug-ins)."""
    register(spec, loader)
    try:
        yield
    finally:
        _entries.pop(spec.name, None)


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _builtins_loaded = True


def names() -> list[str]:
    """Built-in engines in their declared order (whatever imported them first), then the others as registered."""
    _load_builtins()
    return sorted(_entries, key=_builtin_rank)


def _builtin_rank(name: str) -> int:
    module = _entries[name].loader.split(":")[0]
    return next((i for i, m in enumerate(BUILTIN_MODULES) if module == m or module.startswith(m + ".")), len(BUILTIN_MODULES))


def spec(name: str) -> EngineSpec:
    _load_builtins()
    if name not in _entries:
        raise EngineUnavailable(f"Unknown engine {name!r}; known engines: {', '.join(_entries)}.")
    return _entries[name].spec


class WeightsState(StrEnum):
    NOT_NEEDED = "ready (no weights needed)"
    TRAINED = "trained"
    MISSING = "no trained weights"
    MISMATCH = "weights do not match their card"
    UNREADABLE = "weights or card cannot be read"


def weights_state(name: str, root: Path | None = None, domain: str | None = None) -> WeightsState:
    """An engine counts as trained only when every file it expects (and each optional one that is there) is
    present and matches its card's sha256. An engine with domains: that domain's weights, or without one, trained
    when any domain is."""
    entry = spec(name)
    if not entry.weights:
        return WeightsState.NOT_NEEDED
    if entry.domains and domain is None:
        states = [weights_state(name, root, d.name) for d in entry.domains]
        return WeightsState.TRAINED if WeightsState.TRAINED in states else states[0]
    folder = weights_folder(name, root, domain)
    present = tuple(o.file for o in entry.optional_weights if (folder / o.file).is_file())
    return files_state(folder, entry.weights + present)


def weights_folder(name: str, root: Path | None = None, domain: str | None = None) -> Path:
    entry = spec(name)
    return (root or WEIGHTS_DIR) / name / (entry.domain(domain).name if entry.domains else "")


def missing_optional(name: str, folder: Path | None = None, domain: str | None = None) -> tuple[OptionalNetwork, ...]:
    """The optional networks an engine's weights lack (their options run forced off)."""
    folder = folder or weights_folder(name, None, domain)
    return tuple(o for o in spec(name).optional_weights if not (folder / o.file).is_file())


def trained_domains(name: str, root: Path | None = None) -> list[str]:
    return [d.name for d in spec(name).domains if weights_state(name, root, d.name) is WeightsState.TRAINED]


def files_state(folder: Path, files: tuple[str, ...]) -> WeightsState:
    """TRAINED when every file is in ``folder`` and matches the sha256 in its card.json."""
    card_path = folder / "card.json"
    if not card_path.is_file() or not all((folder / f).is_file() for f in files):
        return WeightsState.MISSING
    try:
        sha = json.loads(card_path.read_text())["sha256"]
        digests = {f: sha256_file(folder / f) for f in files}
    except OSError:
        return WeightsState.UNREADABLE
    except (ValueError, KeyError, TypeError):
        return WeightsState.MISMATCH
    if not isinstance(sha, dict) or any(sha.get(f) != digest for f, digest in digests.items()):
        return WeightsState.MISMATCH  # a card whose sha256 is not a table of file -> hex digest matches nothing
    return WeightsState.TRAINED


def sha256_file(path: Path) -> str:
    """The file's sha256, hashed once per file version."""
    stat = path.stat()
    return _sha256_of(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    """Hashed once per file version (the editor asks for every engine's state at start and on reload)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_runnable(name: str, domain: str | None = None) -> bool:
    return runs_with(weights_state(name, None, domain))


def runs_with(state: WeightsState) -> bool:
    return state in (WeightsState.NOT_NEEDED, WeightsState.TRAINED)


def how_to_get_weights(name: str, domain: str | None = None) -> str:
    """What a user does about an engine without trained weights, in one sentence."""
    flag = f" --domain {domain}" if domain else ""
    return (f"To get weights, train it in the editor's Training tab or with `main.py train {name}{flag} --data FOLDER "
            f"--out runs/{name}`, then Install as weights (or `main.py export runs/{name} --engine {name}`); "
            f"the README section \"Training on a GPU\" walks through it.")


def require_runnable(name: str, domain: str | None = None) -> None:
    """Refuse an unknown engine, or one without trained weights (saying how to get them), before any slow work."""
    entry = spec(name)
    chosen = _chosen_domain(entry, domain)
    state = weights_state(name, None, chosen)
    if state not in (WeightsState.NOT_NEEDED, WeightsState.TRAINED):
        where = f" for {chosen}" if chosen else ""
        raise EngineUnavailable(f"Engine {name!r} cannot run{where}: {state.value}. {how_to_get_weights(name, chosen)}")


def _chosen_domain(entry: EngineSpec, domain: str | None) -> str | None:
    """The domain an engine works in: the one asked for, else its first trained one, else its first; None without."""
    if entry.domains:
        return entry.domain(domain if domain is not None else next(iter(trained_domains(entry.name)), None)).name
    if domain is not None:
        raise EngineUnavailable(f"Engine {entry.name!r} has one set of weights; --domain does not apply to it.")
    return None


def engine_class(name: str) -> type[Engine]:
    """The engine's class (its module imported on first use), checked against the registered spec."""
    entry_spec = spec(name)
    module_name, class_name = _entries[name].loader.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if cls.spec != entry_spec:
        raise ValueError(f"{_entries[name].loader} declares a different spec than the one registered")
    return cls


def create(name: str, device: str = "auto", *, allow_untrained: bool = False, weights_dir: Path | None = None,
           domain: str | None = None) -> Engine:
    """Instantiate an engine on a device, with the shipped weights or those staged in ``weights_dir`` (a run
    being evaluated). Untrained engines are refused unless a test asks for random weights. An engine with
    domains works in ``domain`` (default: its first trained domain, else its first)."""
    entry_spec = spec(name)
    chosen = _chosen_domain(entry_spec, domain)
    if weights_dir is not None:
        missing = [f for f in entry_spec.weights if not (Path(weights_dir) / f).is_file()]
        if missing:
            raise EngineUnavailable(f"{weights_dir} lacks {', '.join(missing)} for engine {name!r}.")
    elif not allow_untrained:
        require_runnable(name, chosen)
    cls = engine_class(name)
    folder = Path(weights_dir) if weights_dir is not None else weights_folder(name, None, chosen)
    engine = cls(device=resolve_device(device) if cls.uses_device else "cpu", weights_dir=folder)
    if chosen is not None:
        engine.spec = entry_spec.for_domain(chosen)  # the pipeline reads the instance's spec
    return engine
