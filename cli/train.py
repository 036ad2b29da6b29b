"""``main.py train`` / ``eval`` / ``export``: the learned engines' lifecycle from the command line."""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
from dataclasses import fields
from pathlib import Path

from cli.progress import run_with_bar
from cli.signals import stop_on_signals
from cli.train_checks import (check_device, check_engine, check_training, image_folder, run_config, saved_config,
                               writing_into)
from engines.contract import CancelToken
from engines.errors import InputError
from engines.imageio import write_atomic
from engines.training.config import DEFAULT_STEPS


def add_commands(commands) -> None:
    train = commands.add_parser("train", help="train a learned engine (torchrun for several GPUs)")
    train.add_argument("engine")
    add_train_arguments(train)
    train.add_argument("--out", required=True, help="run folder: checkpoints, metrics.jsonl, tensorboard/, samples/, export/")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its checkpoint (budgets, --amp, --batch, --lr ... may change)")

    evaluate = commands.add_parser("eval", help="quality table per hole-ratio bin, Telea alongside")
    evaluate.add_argument("engine")
    evaluate.add_argument("--images", required=True)
    evaluate.add_argument("--masks", help="hole masks, evaluated per hole-ratio bin")
    evaluate.add_argument("--face-masks", metavar="LANDMARKS", help="instead: Algorithm-1 face masks placed from this landmarks .npz")
    evaluate.add_argument("--run", help="evaluate this training run's weights (and write RUN/eval.json)")
    evaluate.add_argument("--thin", action="store_true", help="instead: generated thin masks (scratches, text)")
    evaluate.add_argument("--weights", help="evaluate this exported folder (weights/E, RUN/export) and write the table into its card")
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


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Training settings; every default is None here: TrainConfig and the engine's trainer hold the defaults."""
    parser.add_argument("--data", help="folder of training images")
    parser.add_argument("--masks", help="folder of hole masks (PNG, white = hole); generated strokes are always added")
    parser.add_argument("--landmarks", help="landmarks .npz of --data (main.py landmarks), for maskedface")
    parser.add_argument("--val", help="folder of validation images (used by eval)")
    parser.add_argument("--domain", help="weight set of an engine that has several (regionwise: faces or scenes)")
    parser.add_argument("--steps", type=int, help=f"training steps (default {DEFAULT_STEPS} unless --minutes is given)")
    parser.add_argument("--minutes", type=float,
                        help="end the run this long after it starts (data loading included), every phase trained inside it")
    parser.add_argument("--export-every", type=float, metavar="MINUTES",
                        help="write RUN/export (fp16 weights, card, sample grid) this often; always at the end")
    parser.add_argument("--init-from", metavar="FOLDER", help="start from exported weights (weights/E, RUN/export)")
    parser.add_argument("--batch", type=int, help="images per step (default: the engine's)")
    parser.add_argument("--lr", type=float, help="learning rate (default: the engine's paper value)")
    parser.add_argument("--size", type=int, help="image side (default 128; a domain's resolution)")
    parser.add_argument("--base", type=int, help="generator width (default 32, or the --init-from weights')")
    parser.add_argument("--edge-sigma", type=float, help="Canny smoothing for the edge priors")
    parser.add_argument("--masks-generated", dest="generated_masks", type=int, help="free-form stroke masks added to the mask folder's")
    parser.add_argument("--amp", choices=("auto", "none", "bf16"), help="bf16 autocast (auto: on CUDA)")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, help="torch.compile the networks (measure first)")
    parser.add_argument("--vgg", help="VGG features file for perceptual/style losses (default: looked for)")
    parser.add_argument("--random-vgg", action="store_true", default=None, help="allow a fixed-seed random VGG when no file is found")
    parser.add_argument("--limit", type=int, help="use only the first N images (smoke runs)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--checkpoint-minutes", type=float)
    parser.add_argument("--sample-every", type=int)
    parser.add_argument("--log-every", type=int, help="steps between metrics lines (each waits for the GPU)")


def _given(args: argparse.Namespace) -> dict:
    from engines.training.config import TrainConfig

    names = {f.name for f in fields(TrainConfig)} - {"engine", "out"}
    return {name: getattr(args, name, None) for name in names}


def train_config(args: argparse.Namespace):
    """The run's config: a new one (defaults < the engine's < the user's), or the resumed run's with what changed."""
    from engines.training.config import resolve, resumed
    from engines.training.export import init_width
    from engines.training.families import paper_defaults

    run, given = Path(args.out), _given(args)
    if args.resume:  # the run folder is where the checkpoint is, whatever folder its config recorded
        return resumed(saved_config(run), {**given, "engine": args.engine}, str(run))
    if (run / "checkpoint").exists():
        raise InputError(f"{run} already holds a run; use --resume to continue it or choose another --out.")
    defaults = paper_defaults(args.engine, args.domain)
    if args.init_from:
        if not Path(args.init_from).is_dir():
            raise InputError(f"--init-from {args.init_from}: no such folder.")
        defaults.update(init_width(Path(args.init_from), args.engine))
    return resolve(args.engine, {**given, "out": str(run)}, defaults)


def run_train(args: argparse.Namespace) -> int:
    from engines.training.loop import train

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.resume:
        check_engine(args.engine, args.domain)  # before the engine's trainer is looked up for its defaults
    config = train_config(args)
    check_training(config)
    run, token = Path(config.out), CancelToken()
    with stop_on_signals(token) as stop, writing_into(run, "training", "the last checkpoint written there is kept"):
        run_with_bar(train(config, resume=args.resume, cancel=token), f"train {config.engine}")
    if stop.signal is not None:
        print(f"Stopped by {stop.signal.name}; the checkpoint is in {run / 'checkpoint'} (--resume continues).")
        return 128 + stop.signal
    exported = " and export/ (the trained networks, fp16)" if (run / "export" / "card.json").is_file() else ""
    print(f"Run in {run}: checkpoint/, metrics.jsonl, samples/{exported}.")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from engines.data.masks import thin_masks
    from engines.evaluation.evaluate import engines_for, evaluate, evaluate_face_masks, format_table
    from engines.training.export import stage_run

    if args.run and args.weights:
        raise InputError("Give --run RUN or --weights FOLDER, not both.")
    if args.weights and not (Path(args.weights) / "card.json").is_file():
        raise InputError(f"--weights {args.weights}: no card.json there; give an exported folder (weights/ENGINE, RUN/export).")
    image_folder(args.images, "--images")
    check_device(args.device)
    if args.run:
        run_config(Path(args.run), args.engine, "evaluate")
    with tempfile.TemporaryDirectory() as staging:
        weights = None
        if args.run:
            stage_run(Path(args.run), args.engine, Path(staging))
            weights = {args.engine: Path(staging)}
        elif args.weights:
            weights = {args.engine: Path(args.weights)}
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
    if args.weights:
        card_path = Path(args.weights) / "card.json"
        card = json.loads(card_path.read_text())
        card["eval"] = rows
        write_atomic(card_path, json.dumps(card, indent=2).encode())  # not covered by its sha256 list: the weights stay trusted
        print(f"Wrote the table into {card_path}")
    return 0


def run_landmarks(args: argparse.Namespace) -> int:
    from engines.faces.landmark_cache import compute_landmarks

    image_folder(args.folder, "landmarks")
    out = run_with_bar(compute_landmarks(Path(args.folder), Path(args.out), args.limit), "landmarks")
    print(f"Wrote {out}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from engines.registry import WEIGHTS_DIR
    from engines.training.export import export

    run_config(Path(args.run), args.engine, "export")
    to = Path(args.to) if args.to else WEIGHTS_DIR
    with writing_into(to, "installing the weights", "what was installed there is unchanged"):
        folder = export(Path(args.run), args.engine, to)
    print(f"Installed {', '.join(sorted(p.name for p in folder.iterdir()))} in {folder}")
    return 0
