"""Training images/s of every weight set, each alone and all together (as `main.py fleet` runs them), on whatever
device torch finds: the numbers that size a GPU window.

Each measurement is a child process running the real training loop (engines/training/loop.py) on small synthetic
data (sample-photo crops; mean landmarks for maskedface; a random VGG, as speed does not depend on weights): it
warms up (cuDNN autotuning, torch.compile when asked), then counts steps for --seconds, the GPU synchronised at both
ends. "Together" starts every child at once and measures them over the same window.
Run: python bench/train_speed.py [--seconds 20] [--batch 16] [--compile] [--mps] [--sets crg cfs] [--json out.json]
Needs no dlib or PySide6 (runs on the GPU machine).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.training.families import WEIGHT_SETS, DataKind, weight_set  # noqa: E402


def synthetic_data(folder: Path, count: int = 48) -> None:
    """Faces (128 px crops of the sample photos), scenes (whole photos), masks, and mean landmarks for every face."""
    photos = [cv2.imread(str(p)) for p in sorted((ROOT / "resources" / "samples").glob("*.jpg"))]
    for name in ("faces", "scenes", "masks"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        photo = photos[i % len(photos)]
        y, x = rng.integers(0, photo.shape[0] - 200), rng.integers(0, photo.shape[1] - 200)
        cv2.imwrite(str(folder / "faces" / f"{i}.png"), cv2.resize(photo[y:y + 200, x:x + 200], (128, 128)))
    for i, photo in enumerate(photos):
        cv2.imwrite(str(folder / "scenes" / f"{i}.jpg"), photo)
    mean = np.load(ROOT / "resources" / "faces" / "mean_landmarks_128.npy")
    np.savez(folder / "landmarks.npz", names=np.array([f"{i}.png" for i in range(count)]),
             landmarks=np.repeat(mean[None], count, 0), sizes=np.full((count, 2), 128))


def worker(args: argparse.Namespace) -> None:
    """One measurement in this process; prints one JSON line."""
    import torch

    from engines.contract import CancelToken
    from engines.training.config import resolve
    from engines.training.families import paper_defaults
    from engines.training.loop import train

    chosen = weight_set(args.worker)
    data = Path(args.data)
    given = {"data": str(data / ("scenes" if chosen.data is DataKind.SCENES else "faces")), "out": args.out, "steps": 10**9,
             "domain": chosen.domain, "batch": args.batch, "compile": args.compile or None, "random_vgg": True, "vgg": None,
             "generated_masks": 200, "log_every": 10**9, "sample_every": 10**9, "checkpoint_minutes": 10**6,
             "device": args.device, "landmarks": str(data / "landmarks.npz") if chosen.data is DataKind.MASKED_FACES else None}
    config = resolve(chosen.trainer, given, paper_defaults(chosen.trainer, chosen.domain))
    cuda = torch.cuda.is_available() and args.device != "cpu"
    token = CancelToken()
    work = train(config, cancel=token)
    started = time.perf_counter()
    for _ in range(args.warmup):
        next(work)
    warm = time.perf_counter() - started
    while time.time() < args.start_at:
        next(work)
    if cuda:
        torch.cuda.synchronize()
    begin, steps = time.perf_counter(), 0
    while time.perf_counter() - begin < args.seconds:
        next(work)
        steps += 1
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - begin
    token.cancel()
    for _ in work:
        pass
    memory = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    print(json.dumps({"set": chosen.name, "images_per_s": steps * config.batch / seconds, "batch": config.batch,
                      "warmup_s": round(warm, 1), "steps": steps, "gpu_mem_gb": memory}), flush=True)


def _children(sets: list[str], args: argparse.Namespace, data: Path, together: bool, env: dict) -> dict[str, dict]:
    start_at = time.time() + (args.settle if together else 0)
    procs = {}
    for name in sets:
        command = [sys.executable, __file__, "--worker", name, "--data", str(data), "--out", tempfile.mkdtemp(prefix="speed-"),
                   "--seconds", str(args.seconds), "--warmup", str(args.warmup), "--device", args.device,
                   "--start-at", str(start_at)] + (["--batch", str(args.batch)] if args.batch else []) + (
                   ["--compile"] if args.compile else [])
        procs[name] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if not together:
            procs[name].wait()
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        results[name] = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"error": err.strip().splitlines()[-1:]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=[s.name for s in WEIGHT_SETS])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--batch", type=int, help="images per step for every set (default: each engine's)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per set")
    parser.add_argument("--warmup", type=int, default=10, help="steps before measuring (compile happens here)")
    parser.add_argument("--settle", type=float, default=60.0, help="together: seconds for every child to warm up first")
    parser.add_argument("--compile", action="store_true", help="torch.compile the networks")
    parser.add_argument("--mps", action="store_true", help="run the children under CUDA MPS")
    parser.add_argument("--alone-only", action="store_true")
    parser.add_argument("--together-only", action="store_true")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    import os

    import torch

    from engines.training.fleet import mps_daemon

    device = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else "CPU"
    print(f"torch {torch.__version__} on {device}; {args.seconds:.0f} s per measurement, compile {args.compile}, MPS {args.mps}")
    with tempfile.TemporaryDirectory() as tmp, mps_daemon(args.mps, Path(tmp) / "mps") as mps_env:
        synthetic_data(Path(tmp) / "data")
        cores = os.cpu_count() or 1
        env = {**os.environ, **mps_env, "OMP_NUM_THREADS": str(cores)}
        alone = {} if args.together_only else _children(args.sets, args, Path(tmp) / "data", together=False, env=env)
        env["OMP_NUM_THREADS"] = str(max(1, cores // len(args.sets)))  # the cores shared, as the fleet shares them
        together = {} if args.alone_only else _children(args.sets, args, Path(tmp) / "data", together=True, env=env)
    rows = [("set", "batch", "alone images/s", "together images/s", "together / alone", "warm-up s", "GPU GB")]
    for name in args.sets:
        a, t = alone.get(name, {}), together.get(name, {})
        ratio = f"{t['images_per_s'] / a['images_per_s']:.2f}" if "images_per_s" in a and "images_per_s" in t else "-"
        rows.append((name, str((a or t).get("batch", "-")), f"{a['images_per_s']:.1f}" if "images_per_s" in a else str(a.get("error", "-")),
                     f"{t['images_per_s']:.1f}" if "images_per_s" in t else str(t.get("error", "-")), ratio,
                     str((a or t).get("warmup_s", "-")), f"{(a or t)['gpu_mem_gb']:.1f}" if (a or t).get("gpu_mem_gb") else "-"))
    total = sum(t.get("images_per_s", 0) for t in together.values())
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if together:
        print(f"all together: {total:.1f} images/s summed over {len(together)} sets")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device, "compile": args.compile, "mps": args.mps, "alone": alone,
                                               "together": together}, indent=2))


if __name__ == "__main__":
    main()
