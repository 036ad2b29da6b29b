"""From a training run to shippable weights: fp16 safetensors (each <= 16 MiB) plus a card (data, steps per
network, minutes, device, final losses, the eval table, sha256). The registry trusts an engine only when its
files match the card.

An export never ships a network that has not trained: one the engine needs refuses the export, one it can run
without (CRG's refiner) is left out and the card says why. The other networks of the run (discriminators, for
continuing a GAN with --init-from) go into the export's ``training/`` folder, which the registry ignores and git
does not track.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import torch
from engines import registry
from engines.errors import InputError
from engines.nn.weights import read_metadata, read_tensors, write_tensors
from engines.training.checkpoint import has_checkpoint, network_state, read_state, swap_in
from engines.training.config import TrainConfig
from engines.training.families import trainer_class
from engines.training.gpu import unwrap
from engines.training.schedule import phase_at
from engines.training.metrics import read_entries

MAX_FILE_BYTES = 16 * 2**20
TRAINING_FOLDER = "training"  # discriminators and other networks used only to continue training
DATA_NOTE = "Trained on research-use-only data (see ../shared/datasets/README.md); these weights carry the same terms."


def optional_files(engine: str) -> dict[str, str]:
    """{file: why the engine can run without it} for an engine's optional networks (none for a non-engine)."""
    if engine not in registry.names():
        return {}
    return {o.file: f"{o.title} not trained yet; the engine runs with {o.option}={o.off}" for o in registry.spec(engine).optional_weights}


def _phase_note(state: dict, phases) -> str:
    phase = phase_at(phases, state["progress"])
    if phase is None:
        return "the run finished its schedule"
    return f"the run is in its {phase.name!r} phase at {100 * state['progress']:.0f} % of its budget"


def _save_half(state: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> str:
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    data = write_tensors(path, half, metadata)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is {len(data) / 2**20:.1f} MiB, over the 16 MiB limit; train a narrower model")
    return hashlib.sha256(data).hexdigest()


def stage(engine: str, config: TrainConfig, states: dict[str, dict[str, torch.Tensor]], state: dict, folder: Path,
          run: Path | None = None) -> dict:
    """Write the trained networks of ``states`` into ``folder`` (fp16) with card.json; returns the card. Refuses
    (InputError) when a network the engine needs has not trained."""
    family = trainer_class(engine)
    trained = state["network_steps"]
    optional = optional_files(engine)
    untrained = [f"{file} ({model})" for model, file in family.EXPORTS.items() if not trained.get(model) and file not in optional]
    if untrained:
        raise InputError(f"{engine}: {', '.join(untrained)} not trained yet ({_phase_note(state, family.PHASES)}); "
                         "train longer or resume before exporting.")
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"engine": engine, "base": str(config.base), "size": str(config.size)}
    digests, left_out, extra = {}, {}, {}
    for model, values in states.items():
        shipped = family.EXPORTS.get(model)
        if not trained.get(model):
            if shipped:
                left_out[shipped] = optional[shipped]
            continue
        if shipped:
            digests[shipped] = _save_half(values, folder / shipped, metadata)
        else:
            (folder / TRAINING_FOLDER).mkdir(exist_ok=True)
            extra[f"{TRAINING_FOLDER}/{model}.safetensors"] = _save_half(values, folder / TRAINING_FOLDER / f"{model}.safetensors", metadata)
    built = card(engine, config, state, digests, run)
    built.update({"left_out": left_out, "training_sha256": extra})
    (folder / "card.json").write_text(json.dumps(built, indent=2))
    return built


def _training_minutes(entries: list[dict]) -> float:
    """Wall time from each (re)start to its last logged step, summed over the run's segments."""
    minutes, segment_start, last = 0.0, None, None
    for entry in entries:
        if entry.get("event") == "start":
            if segment_start is not None:
                minutes += (last - segment_start) / 60
            segment_start = last = entry["time"]
        elif "event" not in entry:
            last = entry["time"]
    if segment_start is not None:
        minutes += (last - segment_start) / 60
    return minutes


def card(engine: str, config: TrainConfig, state: dict, digests: dict[str, str], run: Path | None) -> dict:
    family = trainer_class(engine)
    entries = read_entries(run) if run else []
    starts = [e for e in entries if e.get("event") == "start"]
    logged = [e for e in entries if "event" not in e]
    evaluation = run / "eval.json" if run else None
    return {
        "engine": engine,
        "domain": config.domain,
        "data": {"images": config.data, "masks": config.masks or "generated free-form strokes only",
                 "generated_masks": config.generated_masks, "note": DATA_NOTE},
        "steps": state["step"],
        "network_steps": {model: state["network_steps"].get(model, 0) for model in (*family.EXPORTS, *sorted(
            set(state["network_steps"]) - set(family.EXPORTS)))},
        "progress": round(state["progress"], 4),
        "phases": [{"name": p.name, "share": p.share, "trains": list(p.trains)} for p in family.PHASES],
        "batch": config.batch,
        "minutes": round(_training_minutes(entries), 1),
        "device": starts[-1]["device"] if starts else None,
        "world_size": starts[-1]["world"] if starts else None,
        "vgg": starts[-1]["vgg"] if starts else None,
        "init_from": starts[0].get("init_from") if starts else None,
        "final_losses": {k: v for k, v in (logged[-1] if logged else {}).items() if k.startswith(("gen_", "dis_"))},
        "eval": json.loads(evaluation.read_text()) if evaluation and evaluation.is_file() else
        "not evaluated: run `main.py eval ENGINE --weights FOLDER` (or --run RUN) first",
        "config": asdict(config),
        "exported": time.strftime("%Y-%m-%d %H:%M:%S"),
        "dtype": str(torch.float16),
        "sha256": digests,
    }


def checkpoint_states(run: Path) -> dict[str, dict[str, torch.Tensor]]:
    return {path.stem: read_tensors(path) for path in sorted((run / "checkpoint").glob("*.safetensors"))}


def stage_run(run: Path, engine: str, folder: Path) -> dict:
    """Stage a run's checkpoint as an export in ``folder`` (for eval and install); returns the card."""
    if not has_checkpoint(run):
        raise InputError(f"{run} has no checkpoint to export (train first, or check the run folder).")
    config = TrainConfig.load(run / "checkpoint" / "config.json")
    return stage(engine, config, checkpoint_states(run), read_state(run), folder, run)


def install_folder(engine: str, domain: str | None, weights_root: Path) -> Path:
    return weights_root / engine / (domain or "")


def replace_folder(final: Path, write) -> Path:
    """Build a folder beside ``final`` with ``write(staging)``, then swap it in: the old one goes only when the new
    one is complete."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, final)
    return final


def export(run: Path, engine: str, weights_root: Path = registry.WEIGHTS_DIR) -> Path:
    """Install the run's weights as ``weights_root/engine`` (``/domain`` for an engine with several weight sets),
    replacing what was there only when all is written."""
    domain = TrainConfig.load(run / "checkpoint" / "config.json").domain if (run / "checkpoint").is_dir() else None
    return replace_folder(install_folder(engine, domain, weights_root), lambda staging: stage_run(run, engine, staging))


def export_live(run: Path, engine: str, config: TrainConfig, models: dict, state: dict, sample) -> dict:
    """RUN/export from the networks in memory (every --export-every minutes and at the end), with the sample grid;
    returns the card."""
    from engines.imageio import save_image

    card = {}

    def write(staging: Path) -> None:
        card.update(stage(engine, config, {name: network_state(m) for name, m in models.items()}, state, staging, run))
        save_image(staging / "sample.png", sample)

    replace_folder(run / "export", write)
    return card


def init_weights(folder: Path, engine: str, models: dict) -> dict:
    """Load an export (weights/E, RUN/export, a collected download) into a new run's networks: shipped files by
    name, the others from its training/ folder. Returns what was loaded and the steps each network had trained."""
    family = trainer_class(engine)
    card_path = folder / "card.json"
    if not card_path.is_file():
        raise InputError(f"--init-from {folder}: no card.json there; give an exported folder (weights/ENGINE or RUN/export).")
    previous = json.loads(card_path.read_text())
    if previous.get("engine") not in (None, engine):
        raise InputError(f"--init-from {folder} holds {previous['engine']} weights, not {engine}.")
    loaded, steps = [], {}
    for name, model in models.items():
        path = folder / family.EXPORTS[name] if name in family.EXPORTS else folder / TRAINING_FOLDER / f"{name}.safetensors"
        if not path.is_file():
            continue
        target = unwrap(model)
        reference = next(iter(target.state_dict().values()))
        values = {k: v.to(reference.dtype) if v.is_floating_point() else v for k, v in read_tensors(path).items()}
        try:
            target.load_state_dict(values)
        except RuntimeError as error:
            raise InputError(f"--init-from {path}: the network does not fit this run ({str(error).splitlines()[0]}); "
                             "use the same --base and --size as the exported run.") from None
        loaded.append(name)
        steps[name] = int(previous.get("network_steps", {}).get(name, 0))
    if not loaded:
        raise InputError(f"--init-from {folder}: none of {engine}'s network files are there.")
    return {"folder": str(folder), "loaded": loaded, "exported": previous.get("exported"), "network_steps": steps}


def init_width(folder: Path, engine: str) -> dict:
    """The width (base) and size an export was trained at, read from its first shipped file's metadata."""
    for file in trainer_class(engine).EXPORTS.values():
        if (folder / file).is_file():
            metadata = read_metadata(folder / file)
            return {k: int(metadata[k]) for k in ("base", "size") if k in metadata}
    return {}
