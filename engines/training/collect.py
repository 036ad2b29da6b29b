"""Getting a fleet's weights off a machine that lets little through, and installing them here.

`collect` packs the latest export of each weight set into tar files of at most 16 MiB, at most MAX_FILES of them
and MAX_TOTAL bytes in all (what one GPU command may hand back), plus a small meta archive (the fleet table,
cards, sample grids, metrics, log tails). Generators go first, in the fleet's order, then the discriminators that
let a later window continue a GAN. A weight set is never split across two collects; what was handed back is
remembered (COLLECTED_FILE), so the next collect brings what is new or still missing. `install` unpacks any number
of those tars, checks every file against its card's sha256 and installs each complete weight set into weights/
(its discriminators into weights/<set>/training/, which git ignores).
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from engines.errors import InputError
from engines.registry import sha256_file
from engines.imageio import write_atomic
from engines.training.export import TRAINING_FOLDER, install_folder, replace_folder
from engines.training.families import weight_set
from engines.training.status import format_table

MIB = 2**20
MAX_FILES = 8  # files one command may hand back, the meta archive included
MAX_FILE = 16 * MIB - 128 * 1024  # per tar, room left for its headers and the cards added to it
MAX_TOTAL = 62 * MIB  # of the 64 MiB one command may hand back
COLLECTED_FILE = "collected.json"
META_NAME = "fleet-meta-{stamp}.tgz"  # the time in every name: downloads of several commands never collide


def _snapshot(export: Path, into: Path) -> bool:
    """Copy a run's export folder, which the run may replace at any moment, as one consistent version."""
    for _ in range(5):
        try:
            before = (export / "card.json").read_bytes()
            shutil.rmtree(into, ignore_errors=True)
            shutil.copytree(export, into)
            if (export / "card.json").read_bytes() == before == (into / "card.json").read_bytes():
                return True
        except (FileNotFoundError, shutil.Error):
            time.sleep(0.5)
    return False


def _units(out: Path, plan: dict, snapshots: Path) -> list[tuple[str, Path, list[str]]]:
    """(key, export snapshot, files relative to it) in delivery order; the key names the export's version."""
    generators, training = [], []
    for slug in plan["members"]:
        folder = snapshots / slug
        if not (out / slug / "export" / "card.json").is_file() or not _snapshot(out / slug / "export", folder):
            continue
        card = json.loads((folder / "card.json").read_text())
        version = hashlib.sha256(json.dumps(card["sha256"], sort_keys=True).encode()).hexdigest()[:16]
        generators.append((f"{slug}:weights:{version}", folder, ["card.json", *sorted(card["sha256"])]))
        if card.get("training_sha256"):
            training.append((f"{slug}:training:{version}", folder, ["card.json", *sorted(card["training_sha256"])]))
    return generators + training


def _pack_bins(files: list[tuple[Path, str]], limit_bins: int) -> list[list[tuple[Path, str]]] | None:
    """First-fit decreasing into tars of at most MAX_FILE bytes; None when more than ``limit_bins`` are needed."""
    bins: list[list[tuple[Path, str]]] = []
    sizes: list[int] = []
    for path, name in sorted(files, key=lambda f: -f[0].stat().st_size):
        size = path.stat().st_size + 1024
        for index, used in enumerate(sizes):
            if used + size <= MAX_FILE:
                bins[index].append((path, name))
                sizes[index] += size
                break
        else:
            bins.append([(path, name)])
            sizes.append(size)
    return bins if len(bins) <= limit_bins else None


def _meta(out: Path, plan: dict, target: Path) -> None:
    """The fleet table, plan, and per set: card, sample grid, metrics and the end of its log."""
    with tarfile.open(target, "w:gz") as tar:
        def add_text(name: str, text: str) -> None:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))

        add_text("fleet.txt", format_table(out, plan) + "\n")
        add_text("fleet.json", json.dumps(plan, indent=2))
        for slug in plan["members"]:
            for name in ("export/card.json", "export/sample.png", "metrics.jsonl"):
                if (out / slug / name).is_file():
                    tar.add(out / slug / name, arcname=f"{slug}/{Path(name).name}")
            log = out / f"{slug}.log"
            if log.is_file():
                add_text(f"{slug}/train.log", "\n".join(log.read_text(errors="replace").splitlines()[-300:]) + "\n")


def collect(out: Path, plan: dict, target: Path, again: bool = False) -> dict:
    """Write the exports not handed back yet (``again``: all) into ``target`` (tars + META_NAME); returns
    {"delivered": [...], "waiting": [...]} (keys SET:weights|training:VERSION)."""
    target.mkdir(parents=True, exist_ok=True)
    record_path = out / COLLECTED_FILE
    record = json.loads(record_path.read_text()) if record_path.is_file() and not again else {}
    with tempfile.TemporaryDirectory() as snapshots:
        result = _collect(out, plan, target, record, Path(snapshots))
    record.update({key: time.time() for key in result["delivered"]})
    write_atomic(record_path, json.dumps(record, indent=2).encode())
    return result


def _collect(out: Path, plan: dict, target: Path, record: dict, snapshots: Path) -> dict:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    meta = target / META_NAME.format(stamp=stamp)
    _meta(out, plan, meta)
    budget = MAX_TOTAL - meta.stat().st_size
    chosen: list[tuple[Path, str]] = []
    delivered, waiting = [], []
    for key, folder, names in _units(out, plan, snapshots):
        if key in record:
            continue
        slug = key.split(":")[0]
        files = [(folder / name, f"{slug}/{name}") for name in names]
        trial = list({arc: (path, arc) for path, arc in chosen + files}.values())
        if sum(p.stat().st_size for p, _ in trial) <= budget and _pack_bins(trial, MAX_FILES - 1) is not None:
            chosen = trial
            delivered.append(key)
        else:
            waiting.append(key)
    cards = {arc.split("/")[0]: path for path, arc in chosen if arc.endswith("/card.json")}
    for index, members in enumerate(_pack_bins(chosen, MAX_FILES - 1) or [], 1):
        names = {arc for _, arc in members}
        for slug in sorted({arc.split("/")[0] for arc in names}):  # each tar carries the cards of what it holds
            if f"{slug}/card.json" not in names:
                members.append((cards[slug], f"{slug}/card.json"))
        with tarfile.open(target / f"weights-{stamp}-{index}.tar", "w") as tar:
            for path, arcname in members:
                tar.add(path, arcname=arcname)
    return {"delivered": delivered, "waiting": waiting}


def _complete(folder: Path, digests: dict[str, str]) -> list[str]:
    """The files of ``digests`` that are missing or differ."""
    return [name for name, digest in digests.items() if not (folder / name).is_file() or sha256_file(folder / name) != digest]


def install(paths: list[Path], weights_root: Path, keep: Path | None = None) -> list[str]:
    """Install every complete weight set found in the collected tars (or folders) ``paths``; returns one line per
    set. ``keep``: also copy everything unpacked there (sample grids, logs) for looking at."""
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        for path in sorted(paths, key=lambda p: p.name):  # collects are named by time: a later version wins
            if path.is_dir():
                shutil.copytree(path, staging, dirs_exist_ok=True)
            elif tarfile.is_tarfile(path):
                with tarfile.open(path) as tar:
                    tar.extractall(staging, filter="data")
            else:
                raise InputError(f"{path}: neither a folder nor a tar made by `main.py fleet-status --collect`.")
        if keep is not None:
            shutil.copytree(staging, keep, dirs_exist_ok=True)
        lines = []
        for card_path in sorted(staging.glob("*/card.json")):
            lines.append(_install_set(card_path.parent, weights_root))
        if not lines:
            raise InputError("No weight set found in what was given (no SET/card.json inside).")
        return lines


def _install_set(folder: Path, weights_root: Path) -> str:
    chosen = weight_set(folder.name)
    card = json.loads((folder / "card.json").read_text())
    final = install_folder(chosen.trainer, chosen.domain, weights_root)
    steps = ", ".join(f"{k} {v}" for k, v in card.get("network_steps", {}).items())
    bad = _complete(folder, card["sha256"])
    if not bad:
        def write(staging: Path) -> None:
            staging.mkdir(parents=True)
            for name in ["card.json", *card["sha256"]]:
                shutil.copy2(folder / name, staging / name)
        replace_folder(final, write)
        said = f"{chosen.name}: installed in {final} (steps per network: {steps})"
    else:
        installed = final / "card.json"
        if not installed.is_file() or json.loads(installed.read_text()).get("sha256") != card["sha256"]:
            return f"{chosen.name}: not installed, {', '.join(bad)} missing or damaged (another collect brings them)"
        said = f"{chosen.name}: weights already installed"
    extra = card.get("training_sha256", {})
    if extra and not _complete(folder, extra):
        (final / TRAINING_FOLDER).mkdir(exist_ok=True)
        for name in extra:
            shutil.copy2(folder / name, final / name)
        said += f"; discriminators for --init-from in {final / TRAINING_FOLDER}"
    left = card.get("left_out") or {}
    return said + "".join(f"; left out {name}: {why}" for name, why in left.items())
