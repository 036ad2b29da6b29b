"""``python main.py``: the editor by default; sub-commands for scripts."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from cli import kit
from cli.signals import sigterm_interrupts
from cli.train import add_commands
from engines.errors import InpaintError
from engines.faces import FaceRegion


REGIONS = tuple(region.value for region in FaceRegion)
COMMANDS = ("gui", "engines", "inpaint", "batch", "train", "eval", "export", "landmarks", *kit.COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_program(), description="Inpainting editor and command-line tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("gui", help="open the editor (the default)").add_argument("image", nargs="?", help="photo to open")
    commands.add_parser("engines", help="list the engines and whether they can run")

    fill = commands.add_parser("inpaint", help="fill the masked pixels of one image")
    fill.add_argument("--image", required=True, help="photo to fill (never overwritten)")
    fill.add_argument("--mask", help="mask image: white = fill")
    fill.add_argument("--auto-face-mask", choices=REGIONS, metavar="REGION",
                      help=f"mask this region of every face found ({', '.join(REGIONS)}); added to --mask if both")
    fill.add_argument("--sketch", help="RGBA strokes guiding engines that read a sketch")
    fill.add_argument("--out", required=True, help="output file; the format follows its extension")
    fill.add_argument("--n-results", type=int, default=1, help="results to make, for engines that give several")
    _engine_arguments(fill)

    batch = commands.add_parser("batch", help="fill every image of a folder")
    batch.add_argument("--images", required=True, help="folder of photos (read only)")
    batch.add_argument("--masks", help="folder of masks matched by file stem, or one mask for all (default: photo_mask.png "
                                       "beside each photo, or photo.png in a masks/ folder beside the photos)")
    batch.add_argument("--auto-face-mask", choices=REGIONS, metavar="REGION", help="mask this region of every face found")
    batch.add_argument("--out", required=True, help="output folder (created; never an input folder)")
    batch.add_argument("--concat", action="store_true", help="write original | mask | result side by side")
    batch.add_argument("--paired", action="store_true", help="write original/, mask/, masked/ and result/ with the same stems")
    _engine_arguments(batch)
    add_commands(commands)
    kit.add_commands(commands)
    return parser


def _program() -> str:
    """The name the user typed: main.py, inpaint-editor (installed) or python -m inpaint_editor."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m inpaint_editor" if name == "inpaint_editor.py" else name or "main.py"


def _engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", default="auto", help="engine name (see: main.py engines); auto: PatchMatch, or Telea "
                        "for holes on faces found by --auto-face-mask")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="where learned engines run")
    parser.add_argument("--domain", help="weight set of an engine that has several (regionwise: faces or scenes)")
    parser.add_argument("--opt", action="append", default=[], metavar="NAME=VALUE", help="engine option, repeatable")


def parse_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InpaintError(f"--opt expects NAME=VALUE; got {pair!r}.")
        options[name.strip()] = value.strip()
    return options


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        argv = ["gui", *argv]  # main.py photo.jpg opens the photo in the editor
    args = parser.parse_args(argv)
    try:
        if args.command in (None, "gui"):
            from cli.gui import run_gui

            return run_gui(getattr(args, "image", None), parser)
        if args.command == "engines":
            from cli.listing import print_engines

            return print_engines()
        if args.command == "inpaint":
            from cli.fill import fill_one

            with sigterm_interrupts():
                return fill_one(args, parse_options(args.opt))
        if args.command == "batch":
            from cli.batch import fill_folder

            with sigterm_interrupts():
                return fill_folder(args, parse_options(args.opt))
        from cli import train

        commands = {"train": train.run_train, "eval": train.run_eval, "export": train.run_export, "landmarks": train.run_landmarks,
                    **kit.COMMANDS}
        return commands[args.command](args)
    except InpaintError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the file system's refusal (a full disk, a read-only folder) while training or exporting
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}; what was written before is kept.", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        name = str(interrupt) if str(interrupt) in signal.Signals.__members__ else "SIGINT"
        print(f"interrupted ({name})", file=sys.stderr)
        return 128 + signal.Signals[name]
