"""What ``train``, ``eval`` and ``export`` check before any slow work, so that an ordinary mistake is one sentence
and never a traceback: the folders and files given, the engine, the device, and which run a resume continues.

A resumed run continues in ``--out``, where its checkpoint is, whatever folder its config.json recorded when it was
made (engines/training/config.py ``resumed``): a copied or moved run trains where it now is."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from engines import registry
from engines.errors import InputError
from engines.imageio import IMAGE_SUFFIXES, list_images
from engines.training.families import TRAINERS


def image_folder(path: str | Path, flag: str) -> Path:
    folder = Path(path)
    if folder.is_file():
        raise InputError(f"{flag} {folder}: is a file; give the folder that holds the images.")
    if not folder.is_dir():
        raise InputError(f"{flag} {folder}: no such folder.")
    if not list_images(folder):
        raise InputError(f"{flag} {folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder.")
    return folder


def check_engine(engine: str, domain: str | None) -> None:
    if engine not in TRAINERS:
        known = engine in registry.names()
        why = "needs no training" if known and not registry.spec(engine).weights else "cannot be trained"
        raise InputError(f"Engine {engine!r} {why}; trainable engines: {', '.join(TRAINERS)}.")
    if engine in registry.names() and registry.spec(engine).domains:
        spec = registry.spec(engine)
        if domain is None:
            raise InputError(f"{engine} trains one weight set at a time: add --domain "
                             f"{' or '.join(d.name for d in spec.domains)}.")
        spec.domain(domain)  # an unknown domain is an error that lists the known ones


def check_device(device: str) -> None:
    if device == "cuda":
        from engines.device import resolve_device

        resolve_device(device)


def check_training(config) -> None:
    """A new or resumed run's settings: engine, device, data, masks, landmarks, validation folder."""
    check_engine(config.engine, config.domain)
    check_device(config.device)
    image_folder(config.data, "--data")
    if config.masks:
        masks = Path(config.masks)
        if not masks.is_dir():
            raise InputError(f"--masks {masks}: {'is a file, not a folder' if masks.is_file() else 'no such folder'}.")
        from engines.data.masks import mask_files  # imports torch: only when masks are given

        if not mask_files(masks):  # as the loader finds them: PNGs of any case, or an index.csv here or one up
            raise InputError(f"--masks {masks}: no PNG masks in this folder.")
    if config.landmarks and not Path(config.landmarks).is_file():
        raise InputError(f"--landmarks {config.landmarks}: no such file (make it with `main.py landmarks`).")
    if config.val:
        image_folder(config.val, "--val")


def saved_config(run: Path, action: str = "resume"):
    """The config of the run in ``run`` (to ``action`` it): the folder must hold a readable one, and to resume, a
    checkpoint too."""
    from engines.training.checkpoint import has_checkpoint
    from engines.training.config import TrainConfig

    path = run / "checkpoint" / "config.json"
    if not path.is_file():
        raise InputError(f"{run}: no training run to {action} here (no checkpoint/config.json).")
    if action == "resume" and not has_checkpoint(run):
        raise InputError(f"{run}: no checkpoint to resume from (checkpoint/state.json is missing).")
    try:
        return TrainConfig.load(path)
    except (OSError, ValueError, TypeError) as error:
        raise InputError(f"{path}: damaged ({type(error).__name__}); this run cannot be {action}d.") from None


def run_config(run: Path, engine: str, action: str):
    """The config of a finished or stopped run to evaluate or export as ``engine``."""
    config = saved_config(run, action)
    if config.engine != engine:
        raise InputError(f"{run} is a {config.engine} run, not {engine}; name its engine: {config.engine}.")
    return config


@contextlib.contextmanager
def writing_into(folder: Path, doing: str, kept: str) -> Iterator[None]:
    """A full disk or a read-only folder while ``doing`` is one sentence saying what is ``kept``."""
    try:
        yield
    except OSError as error:
        raise InputError(f"{folder}: {error.strerror or error} while {doing}; {kept}.") from None
