"""``main.py train`` / ``eval`` / ``export``: the learned engines' lifecycle from the command line."""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from cli.progress import run_with_bar
from engines.contract import CancelToken
from engines.errors import InputError


def add_commands(commands) -> None:
    train = commands.add_parser("train", help="train a learned engine (torchrun for several GPUs)")
    train.add_argument("engine")
    train.add_argument("--data", required=True, help="folder of training images")
    train.add_argument("--masks", help="folder of hole masks (PNG, white = hole); generated strokes are always added")
    train.add_argument("--landmarks", help="landmarks .npz of --data (main.py landmarks), for maskedface")
    train.add_argument("--val", help="folder of validation images (used by eval)")
    train.add_argument("--domain", help="weight set of an engine that has several (regionwise: faces or scenes)")
    train.add_argument("--out", required=True, help="run folder: checkpoints, metrics.jsonl, tensorboard/, samples/")
    train.add_argument("--steps", type=int, default=20_000)
    train.add_argument("--batch", type=int, default=16)
    train.add_argument("--lr", type=float, default=1e-4)
    train.add_argument("--size", type=int, default=128)
    train.add_argument("--base", type=int, default=32, help="generator width")
    train.add_argument("--edge-sigma", type=float, default=2.0, help="Canny smoothing for the edge priors")
    train.add_argument("--masks-generated", type=int, default=2000, help="free-form stroke masks added to the mask folder's")
    train.add_argument("--amp", choices=("none", "bf16"), default="none", help="bf16 autocast on CUDA")
    train.add_argument("--limit", type=int, help="use only the first N images (smoke runs)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    train.add_argument("--checkpoint-minutes", type=float, default=5.0)
    train.add_argument("--sample-every", type=int, default=500)
    train.add_argument("--log-every", type=int, default=20, help="steps between metrics lines")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")

    evaluate = commands.add_parser("eval", help="quality table per hole-ratio bin, Telea alongside")
    evaluate.add_argument("engine")
    evaluate.add_argument("--images", required=True)
    evaluate.add_argument("--masks", help="hole masks, evaluated per hole-ratio bin")
    evaluate.add_argument("--face-masks", metavar="LANDMARKS", help="instead: Algorithm-1 face masks placed from this landmarks .npz")
    evaluate.add_argument("--run", help="evaluate this training run's weights (and write RUN/eval.json)")
    evaluate.add_argument("--thin", action="store_true", help="instead: generated thin masks (scratches, text)")
    evaluate.add_argument("--faces", action="store_true", help="also: dlib face found %% and identity distance")
    evaluate.add_argument("--perceptual", action="store_true", help="also: VGG relu3_1 feature distance in the hole")
    evaluate.add_argument("--limit", type=int, default=100, help="images to use")
    evaluate.add_argument("--per-bin", type=int, default=25, help="masks per hole-ratio bin")
    evaluate.add_argument("--size", type=int, default=128)
    evaluate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    evaluate.add_argument("--domain", help="weight set of an engine that has several (regionwise: faces or scenes)")

    landmarks = commands.add_parser("landmarks", help="find the 68 face landmarks of a folder once (dlib, CPU) into an .npz")
    landmarks.add_argument("folder")
    landmarks.add_argument("--out", required=True, help="the .npz to write")
    landmarks.add_argument("--limit", type=int)

    export = commands.add_parser("export", help="install a run's weights as weights/ENGINE with a card")
    export.add_argument("run")
    export.add_argument("--engine", required=True)
    export.add_argument("--to", help="weights folder to install into (default: the project's weights/)")


def run_train(args: argparse.Namespace) -> int:
    from engines.training.config import TrainConfig
    from engines.training.loop import train

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run = Path(args.out)
    if args.resume:
        if not (run / "checkpoint" / "config.json").is_file():
            raise InputError(f"{run} has no checkpoint to resume from.")
        config = TrainConfig.load(run / "checkpoint" / "config.json")
        config.steps = args.steps if args.steps != 20_000 else config.steps
    else:
        if (run / "checkpoint").exists():
            raise InputError(f"{run} already holds a run; use --resume to continue it or choose another --out.")
        config = TrainConfig(engine=args.engine, data=args.data, out=args.out, masks=args.masks, val=args.val, landmarks=args.landmarks,
                             domain=args.domain, steps=args.steps, batch=args.batch, lr=args.lr, size=args.size, base=args.base, seed=args.seed,
                             amp=args.amp, limit=args.limit, device=args.device, edge_sigma=args.edge_sigma,
                             generated_masks=args.masks_generated, checkpoint_minutes=args.checkpoint_minutes,
                             sample_every=args.sample_every, log_every=args.log_every)
    run_with_bar(train(config, resume=args.resume, cancel=CancelToken()), f"train {config.engine}")
    print(f"Run in {run}: checkpoint/, metrics.jsonl, samples/.")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from engines.data.masks import thin_masks
    from engines.evaluation.evaluate import engines_for, evaluate, evaluate_face_masks, format_table
    from engines.training.export import stage_weights

    with tempfile.TemporaryDirectory() as staging:
        weights = None
        if args.run:
            stage_weights(Path(args.run), args.engine, Path(staging))
            weights = {args.engine: Path(staging)}
        engines = engines_for([args.engine], args.device, weights, args.domain)
        if args.face_masks:
            work = evaluate_face_masks(engines, Path(args.images), Path(args.face_masks), args.size, args.limit, args.faces,
                                       args.perceptual)
        elif args.masks or args.thin:
            masks = thin_masks(args.size, args.per_bin) if args.thin else Path(args.masks)
            work = evaluate(engines, Path(args.images), masks, args.size, args.limit, args.per_bin, args.faces, args.perceptual)
        else:
            raise InputError("Give --masks DIR, --thin or --face-masks LANDMARKS.")
        rows = run_with_bar(work, "eval")
    print(format_table(rows))
    if args.run:
        (Path(args.run) / "eval.json").write_text(json.dumps(rows, indent=2))
        print(f"Wrote {Path(args.run) / 'eval.json'}")
    return 0


def run_landmarks(args: argparse.Namespace) -> int:
    from engines.faces.landmark_cache import compute_landmarks

    out = run_with_bar(compute_landmarks(Path(args.folder), Path(args.out), args.limit), "landmarks")
    print(f"Wrote {out}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from engines.registry import WEIGHTS_DIR
    from engines.training.export import export

    folder = export(Path(args.run), args.engine, Path(args.to) if args.to else WEIGHTS_DIR)
    print(f"Installed {', '.join(sorted(p.name for p in folder.iterdir()))} in {folder}")
    return 0
