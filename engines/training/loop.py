"""The training loop shared by every engine family.

``train`` is a progress generator: the CLI drives it with a bar, the editor's training tab with a child
process. Single process, or many with ``torchrun`` (DistributedDataParallel; NCCL on GPUs, gloo on CPUs).
bf16 autocast and channels_last on CUDA; the image bank moves to the GPU when it fits. A checkpoint is
written every few minutes and on stop (Ctrl+C, SIGTERM, or a file named STOP in the run folder), and a
resumed run continues exactly where it stopped: batches depend only on (seed, step, rank).
"""
from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import signal
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from engines.contract import CancelToken, Progress, Work
from engines.imageio import save_image
from engines.losses.vgg import VggFeatures, find_vgg_weights
from engines.training.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from engines.training.config import TrainConfig
from engines.training.families import TRAINERS

log = logging.getLogger(__name__)



def trainer_class(engine: str):
    if engine not in TRAINERS:
        raise ValueError(f"no trainer for {engine!r}; trainable engines: {', '.join(TRAINERS)}")
    module, name = TRAINERS[engine].split(":")
    return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def _distributed():
    """(rank, world, local_rank) from torchrun's environment; a process group while inside."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        yield 0, 1, 0
        return
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    try:
        yield dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))
    finally:
        dist.destroy_process_group()


def _device(config: TrainConfig, local_rank: int) -> torch.device:
    wants_cuda = config.device in ("auto", "cuda") and torch.cuda.is_available()
    if config.device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda, but torch sees no GPU")
    return torch.device(f"cuda:{local_rank}") if wants_cuda else torch.device("cpu")


def _fits_on_gpu(nbytes: int, device: torch.device) -> bool:
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < 0.4 * free


def _stop_requested(run: Path, token: CancelToken) -> bool:
    return token.cancelled or (run / "STOP").exists()


def train(config: TrainConfig, resume: bool = False, cancel: CancelToken | None = None) -> Work[Path]:
    """Train ``config.engine``; yields progress; returns the run folder."""
    token = cancel or CancelToken()
    run = Path(config.out)
    with _distributed() as (rank, world, local_rank):
        device = _device(config, local_rank)
        torch.manual_seed(config.seed)
        np.random.seed(config.seed)
        family = trainer_class(config.engine)
        bank = family.load_data(config)
        if _fits_on_gpu(bank.nbytes, device):
            bank = bank.to(device)
        vgg = VggFeatures(find_vgg_weights()).to(device) if family.USES_VGG else None
        trainer = family(config, device, vgg)
        if device.type == "cuda":
            for model in trainer.models.values():
                model.to(memory_format=torch.channels_last)
        if world > 1:
            ids = [device.index] if device.type == "cuda" else None
            trainer.models = {name: torch.nn.parallel.DistributedDataParallel(m, device_ids=ids) for name, m in trainer.models.items()}
        start = 0
        if resume and has_checkpoint(run):
            start = load_checkpoint(run, trainer.models, trainer.optimizers, str(device))
        elif rank == 0:
            run.mkdir(parents=True, exist_ok=True)
            (run / "samples").mkdir(exist_ok=True)
            config.save(run / "config.json")
        amp = config.amp == "bf16" and device.type == "cuda"
        trainer.autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp)
        writer = _tensorboard(run) if rank == 0 else None
        if rank == 0:
            _log_start(run, config, device, vgg.source if vgg else "not used", bank.nbytes, world, start)
        previous_handler = signal.signal(signal.SIGTERM, lambda *_: token.cancel()) if rank == 0 else None
        last_save = started = time.monotonic()
        step = start
        try:
            while step < config.steps:
                batch = {k: v.to(device, non_blocking=True) for k, v in family.draw(bank, config.batch, config.seed, step, rank).items()}
                metrics = trainer.train_step(batch, step)
                step += 1
                if rank == 0 and (step % config.log_every == 0 or step == config.steps):
                    _log_metrics(run, writer, step, metrics, time.monotonic() - started, (step - start) * config.batch * world)
                if rank == 0 and (step % config.sample_every == 0 or step == config.steps):
                    save_image(run / "samples" / f"{step:07d}.png", trainer.sample(batch))
                stop = _agree(_stop_requested(run, token), world, device)
                if time.monotonic() - last_save > 60 * config.checkpoint_minutes or stop or step == config.steps:
                    if rank == 0:
                        save_checkpoint(run, step, config, trainer.models, trainer.optimizers)
                    last_save = time.monotonic()
                if stop:
                    yield Progress(step, config.steps, "stopped; checkpoint saved")
                    break
                losses = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if k.startswith("gen_"))
                yield Progress(step, config.steps, f"{trainer.phase(step - 1)}: {losses}")
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            if writer is not None:
                writer.close()
    return run


def _agree(stop: bool, world: int, device: torch.device) -> bool:
    """Every rank stops at the same step when any of them is asked to."""
    if world == 1:
        return stop
    flag = torch.tensor([1.0 if stop else 0.0], device=device)
    dist.all_reduce(flag)
    return bool(flag.item() > 0)


def _tensorboard(run: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.warning("tensorboard is not installed; metrics go to metrics.jsonl only")
        return None
    return SummaryWriter(str(run / "tensorboard"))


def _log_start(run: Path, config: TrainConfig, device, vgg_source: str, data_bytes: int, world: int, start: int) -> None:
    entry = {"event": "start", "step": start, "device": str(device), "world": world, "data_mib": round(data_bytes / 2**20, 1),
             "vgg": vgg_source, "time": time.time()}
    with (run / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(entry) + "\n")
    log.info("training %s on %s (x%d): %.1f MiB of data, VGG %s", config.engine, device, world, data_bytes / 2**20, vgg_source)


def _log_metrics(run: Path, writer, step: int, metrics: dict[str, float], seconds: float, images: int) -> None:
    entry = {"step": step, **metrics, "images_per_s": images / max(seconds, 1e-9), "time": time.time()}
    if torch.cuda.is_available():
        entry["gpu_mem_gb"] = torch.cuda.max_memory_allocated() / 2**30
    with (run / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(entry) + "\n")
    if writer is not None:
        for key, value in entry.items():
            if key not in ("step", "time"):
                writer.add_scalar(key, value, step)
