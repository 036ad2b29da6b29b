"""The training loop shared by every engine family.

``train`` is a progress generator: the CLI drives it with a bar, the editor's training tab with a child
process. Single process, or many with ``torchrun`` (DistributedDataParallel; NCCL on GPUs, gloo on CPUs).
A run is bounded by steps, by time (``minutes``: it ends that long after it starts, every phase of the
engine trained inside it; engines/training/schedule.py) or both. On CUDA: bf16 autocast, TF32, cuDNN autotuning,
channels_last weights and batches, fused optimizers, the image bank on the GPU when it fits and batches drawn
there; the host reads metrics only every ``log_every`` steps, so it never waits for the GPU in between.
A checkpoint is written every few minutes and on stop (Ctrl+C, SIGTERM, or a file named STOP in the run
folder); RUN/export gets the trained networks (fp16, with a card and a sample grid) every ``export_every``
minutes and at the end, so a run killed at any moment leaves usable weights. A resumed run continues exactly
where it stopped: batches depend only on (seed, step, rank).
"""
from __future__ import annotations

import contextlib
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
from engines.errors import InpaintError, InputError
from engines.imageio import save_image
from engines.losses.vgg import VggFeatures, find_vgg_weights
from engines.training import gpu
from engines.training.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from engines.training.config import DEFAULT_STEPS, TrainConfig
from engines.training.export import export_live, init_weights
from engines.training.families import fixed_size, trainer_class
from engines.training.schedule import Schedule, check_phases

log = logging.getLogger(__name__)
DDP_CHECK_EVERY = 10  # steps between the ranks' agreement on stopping and progress (a host sync each)


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
        raise InputError("--device cuda, but torch sees no GPU on this machine; use --device cpu or auto.")
    return torch.device(f"cuda:{local_rank}") if wants_cuda else torch.device("cpu")


def _fits_on_gpu(nbytes: int, device: torch.device) -> bool:
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < 0.4 * free


def vgg_file(config: TrainConfig) -> Path | None:
    """The VGG features file to train with; None only when a random VGG was asked for."""
    if config.vgg:
        if not Path(config.vgg).is_file():
            raise InputError(f"--vgg {config.vgg}: no such file.")
        return Path(config.vgg)
    found = find_vgg_weights()
    if found is None and not config.random_vgg:
        raise InputError("No VGG features file found (perceptual and style losses need one): give --vgg FILE "
                         "(../shared/weights/vgg19_normalised_relu3_1.safetensors; `main.py pack` carries it), set "
                         "INPAINT_VGG_WEIGHTS, or pass --random-vgg to train with a fixed-seed random VGG (weak losses).")
    return found


def _stop_requested(run: Path, token: CancelToken) -> bool:
    return token.cancelled or (run / "STOP").exists()


def _reserve(seconds: float) -> float:
    """Time kept back at the end of a time budget for the last checkpoint, export and sample grid."""
    return min(20.0, 0.05 * max(seconds, 0.0))


class _Run:
    """The state of one training process: trainer, schedule, clocks, what was last logged and exported."""

    def __init__(self, config: TrainConfig, resume: bool, rank: int, world: int, device: torch.device, started: float) -> None:
        self.config, self.rank, self.world, self.device = config, rank, world, device
        self.run = Path(config.out)
        if rank == 0:
            (self.run / "STOP").unlink(missing_ok=True)  # left by an earlier stop: this process has not been asked yet
        family = self.family = trainer_class(config.engine)
        if fixed_size(config.engine) not in (None, config.size):
            raise InputError(f"{config.engine} trains at {fixed_size(config.engine)} px only (its networks are built for it); "
                             "leave --size out.")
        vgg = VggFeatures(vgg_file(config)).to(device) if family.USES_VGG else None
        bank = family.load_data(config)
        self.bank = bank.to(device) if _fits_on_gpu(bank.nbytes, device) else bank
        trainer = self.trainer = family(config, device, vgg)
        check_phases(family.PHASES, set(trainer.models))
        if device.type == "cuda":
            for model in trainer.models.values():
                model.to(memory_format=torch.channels_last)
        state, init = {"step": 0, "progress": 0.0, "network_steps": {}}, None
        if resume and has_checkpoint(self.run):
            state = load_checkpoint(self.run, trainer.models, trainer.optimizers, str(device))
        else:
            if config.init_from:
                init = init_weights(Path(config.init_from), config.engine, trainer.models)
                state["network_steps"] = dict(init["network_steps"])
            if rank == 0:
                self.run.mkdir(parents=True, exist_ok=True)
                (self.run / "samples").mkdir(exist_ok=True)
                config.save(self.run / "config.json")
        if config.compile:
            trainer.models = gpu.compiled(trainer.models)
        if world > 1:
            ids = [device.index] if device.type == "cuda" else None
            trainer.models = {n: torch.nn.parallel.DistributedDataParallel(m, device_ids=ids) for n, m in trainer.models.items()}
        trainer.autocast = gpu.autocast(device, gpu.uses_bf16(config.amp, device))
        self.step = self.start_step = state["step"]
        self.train_start = time.monotonic()
        seconds = None
        if config.minutes is not None:
            available = started + 60 * config.minutes - self.train_start
            seconds = max(1e-3, available - _reserve(available))
        steps = config.steps if (config.steps or config.minutes) else DEFAULT_STEPS
        # a time-bounded run that had finished its schedule (stopped by its deadline) and is resumed with a new budget
        # goes through its phases again, keeping weights and optimizer state; an interrupted one finishes its schedule
        start_progress = state["progress"] if state["progress"] < 1 else 0.0
        self.schedule = Schedule(family.PHASES, steps, seconds, start_progress, dict(state["network_steps"]))
        self.progress = self.time_progress = 0.0  # set by the first check
        self.last_log = (self.train_start, self.step)
        self.last_save = self.last_export = self.train_start
        self.message = "starting"
        self.writer = _tensorboard(self.run) if rank == 0 else None
        if rank == 0:
            _log_event(self.run, {"event": "start", "step": self.step, "device": str(device), "world": world,
                                  "data_mib": round(bank.nbytes / 2**20, 1), "vgg": vgg.source if vgg else "not used",
                                  "amp": "bf16" if gpu.uses_bf16(config.amp, device) else "none", "compile": config.compile,
                                  "budget": {"steps": config.steps, "minutes": config.minutes, "train_seconds": seconds},
                                  "init_from": init, "time": time.time()})
            log.info("training %s on %s (x%d): %.1f MiB of data, VGG %s", config.engine, device, world, bank.nbytes / 2**20,
                     vgg.source if vgg else "not used")

    def state(self) -> dict:
        return {"step": self.step, "progress": self.progress, "network_steps": dict(self.schedule.network_steps)}

    def one_step(self) -> None:
        config, trainer = self.config, self.trainer
        phase = self.schedule.phase(self.progress)
        batch = self.family.draw(self.bank, config.batch, config.seed, self.step, self.rank)
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        if self.device.type == "cuda":
            batch = gpu.to_channels_last(batch)
        metrics = {k: v.detach() if torch.is_tensor(v) else v  # kept until the next log: never a step's graph
                   for k, v in trainer.train_step(batch, self.step, phase.name).items()}
        self.schedule.trained(phase)
        self.step += 1
        self.batch, self.metrics, self.phase_name = batch, metrics, phase.name
        if self.rank == 0 and self.step % config.log_every == 0:
            self.log_metrics()
        if self.rank == 0 and self.step % config.sample_every == 0:
            save_image(self.run / "samples" / f"{self.step:07d}.png", trainer.sample(batch))

    def log_metrics(self) -> None:
        """The one place the host waits for the GPU: every log_every steps."""
        metrics, phase = self.metrics, self.phase_name
        tensors = {k: v for k, v in metrics.items() if torch.is_tensor(v)}  # a trainer may give plain numbers too
        values = torch.stack([v.float().reshape(()) for v in tensors.values()]).tolist() if tensors else []
        numbers = {k: float(v) for k, v in metrics.items() if not torch.is_tensor(v)} | dict(zip(tensors, values))
        now = time.monotonic()
        then, step_then = self.last_log
        progress = self.schedule.progress(self.step, now - self.train_start)
        entry = {"step": self.step, "phase": phase, "progress": round(progress, 4), **numbers,
                 "images_per_s": (self.step - step_then) * self.config.batch * self.world / max(now - then, 1e-9),
                 "elapsed": now - self.train_start, "time": time.time()}
        if self.device.type == "cuda":
            entry["gpu_mem_gb"] = torch.cuda.max_memory_allocated(self.device) / 2**30
        self.last_log = (now, self.step)
        _log_event(self.run, entry)
        if self.writer is not None:
            for key, value in entry.items():
                if isinstance(value, float) and key not in ("time", "progress"):
                    self.writer.add_scalar(key, value, self.step)
        self.message = f"{phase}: " + ", ".join(f"{k} {v:.3f}" for k, v in numbers.items() if k.startswith("gen_"))

    def checkpoint(self) -> None:
        if self.rank == 0:
            save_checkpoint(self.run, self.state(), self.config, self.trainer.models, self.trainer.optimizers)
        self.last_save = time.monotonic()

    def export(self) -> None:
        """RUN/export of the networks trained so far; a refusal (a needed network untrained) is logged, not raised."""
        self.last_export = time.monotonic()
        if self.rank != 0 or self.step == self.start_step:
            return
        try:
            card = export_live(self.run, self.config.engine, self.config, self.trainer.models, self.state(),
                               self.trainer.sample(self.batch))
            _log_event(self.run, {"event": "export", "step": self.step, "shipped": sorted(card["sha256"]),
                                  "left_out": sorted(card["left_out"]), "time": time.time()})
        except InpaintError as refused:
            _log_event(self.run, {"event": "export", "step": self.step, "refused": str(refused), "time": time.time()})
            log.info("not exported yet: %s", refused)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def train(config: TrainConfig, resume: bool = False, cancel: CancelToken | None = None) -> Work[Path]:
    """Train ``config.engine``; yields progress; returns the run folder."""
    started = time.monotonic()  # a time budget counts from here: data loading is part of it
    token = cancel or CancelToken()
    with _distributed() as (rank, world, local_rank):
        device = _device(config, local_rank)
        gpu.configure(device)
        torch.manual_seed(config.seed)
        np.random.seed(config.seed)
        state = _Run(config, resume, rank, world, device, started)
        previous_handler = signal.signal(signal.SIGTERM, lambda *_: token.cancel()) if rank == 0 else None
        try:
            yield from _steps(state, token)
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            state.close()
    return state.run


def _steps(state: _Run, token: CancelToken) -> Work[None]:
    """One progress event per step; the last one comes after the final checkpoint and export."""
    config = state.config
    stop = _check(state, token)
    while state.progress < 1 and not stop:
        state.one_step()
        now = time.monotonic()
        if now - state.last_save > 60 * config.checkpoint_minutes:
            state.checkpoint()
        if config.export_every and now - state.last_export > 60 * config.export_every:
            state.export()
        stop = _check(state, token)
        if state.progress < 1 and not stop:
            yield _progress(state)
    if state.rank == 0 and state.step > state.last_log[1]:
        state.log_metrics()
    state.checkpoint()
    state.export()
    last = _progress(state)
    yield Progress(last.step, last.total, "stopped; checkpoint saved" if stop else last.message)


def _check(state: _Run, token: CancelToken) -> bool:
    """Update the run's progress; whether to stop. Several processes agree on the clock and on stopping every
    DDP_CHECK_EVERY steps (a host sync each); steps count the same everywhere."""
    schedule = state.schedule
    stop = False
    if state.world == 1 or state.step % DDP_CHECK_EVERY == 0 or state.step == state.start_step:
        by_time = schedule.by_time(time.monotonic() - state.train_start)
        stop, state.time_progress = _agree(_stop_requested(state.run, token), by_time, state.world, state.device)
    state.progress = max(schedule.by_steps(state.step), state.time_progress)
    return stop


def _progress(state: _Run) -> Progress:
    if state.config.steps and not state.config.minutes:
        return Progress(state.step, state.config.steps, state.message)
    return Progress(round(1000 * state.progress), 1000, f"step {state.step}, {state.message}")


def _agree(stop: bool, progress: float, world: int, device: torch.device) -> tuple[bool, float]:
    """Every rank stops at the same step, and takes the same phase, as the most advanced rank says."""
    if world == 1:
        return stop, progress
    flags = torch.tensor([1.0 if stop else 0.0, progress], device=device)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return bool(flags[0].item() > 0), float(flags[1].item())


def _tensorboard(run: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.warning("tensorboard is not installed; metrics go to metrics.jsonl only")
        return None
    return SummaryWriter(str(run / "tensorboard"))


def _log_event(run: Path, entry: dict) -> None:
    with (run / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(entry) + "\n")
