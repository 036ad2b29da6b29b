"""The GPU training kit from the command line: ``pack`` / ``unpack`` the data, train every weight set at once
(``fleet``), watch and hand back its exports (``fleet-status``), ``install`` what came back. The README's
"Training on a GPU" section is the runbook."""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cli.progress import run_with_bar
from engines.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared"
KIT = Path(__file__).resolve().parents[1] / "kit"


def add_commands(commands) -> None:
    fleet = commands.add_parser("fleet", help="train every missing weight set (or those named) at once, with one live table")
    fleet.add_argument("--out", required=True, help="folder of the runs (one per weight set), logs and fleet.json")
    fleet.add_argument("--minutes", type=float, required=True, help="the whole fleet ends this long after it starts")
    fleet.add_argument("--sets", nargs="+", metavar="SET",
                       help="weight sets to train (default: those not installed; with --init-from-installed, all)")
    fleet.add_argument("--data-root", default=str(SHARED / "datasets"),
                       help="../shared/datasets, or the folder `main.py unpack` filled (default: ../shared/datasets)")
    fleet.add_argument("--landmarks", help="landmarks .npz of the training faces (default: found in the data root or the cache)")
    fleet.add_argument("--vgg", help="VGG features file (default: found beside the data root)")
    fleet.add_argument("--export-every", type=float, default=3.0, metavar="MINUTES", help="export each run this often")
    fleet.add_argument("--batch", type=int, help="images per step for every set (default: each engine's)")
    fleet.add_argument("--init-from-installed", action="store_true",
                       help="start each installed set from its weights (weights/SET, discriminators from weights/SET/training); "
                            "the others start afresh")
    fleet.add_argument("--compile", action="store_true", help="torch.compile every network (measure first)")
    fleet.add_argument("--mps", action="store_true", help="run the children under CUDA MPS (measure first)")
    fleet.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    fleet.add_argument("--size", type=int, help="image side for every set (smoke runs)")
    fleet.add_argument("--base", type=int, help="generator width for every set (smoke runs)")
    fleet.add_argument("--limit", type=int, help="use only the first N images of each set (smoke runs)")
    fleet.add_argument("--steps", type=int, help="also stop each set after this many steps (smoke runs)")
    fleet.add_argument("--refresh", type=float, default=30.0, help="seconds between tables")

    status = commands.add_parser("fleet-status", help="the fleet's table; watch it, and collect its exports for download")
    status.add_argument("--out", required=True, help="the fleet's --out")
    status.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                        help="print the table every --refresh seconds for this long, or until the fleet ends")
    status.add_argument("--refresh", type=float, default=60.0)
    status.add_argument("--collect", metavar="DIR", help="then pack the exports not handed back yet into DIR (<= 8 files of 16 MiB)")
    status.add_argument("--again", action="store_true", help="collect every export, also those handed back before")

    install = commands.add_parser("install", help="install the weight sets in tars (or folders) made by fleet-status --collect")
    install.add_argument("paths", nargs="+")
    install.add_argument("--to", help="weights folder (default: the project's weights/)")

    pack = commands.add_parser("pack", help="pack ../shared's training data into shards that fit one GPU command each")
    pack.add_argument("--shared", default=str(SHARED), help="the shared folder (datasets/, weights/)")
    pack.add_argument("--to", default=str(KIT / "data"), help="folder for kit-data-N.tgz (default: kit/data, git-ignored)")
    pack.add_argument("--limit", type=int, help="only the first N files of each dataset (smoke runs)")
    pack.add_argument("--landmarks", metavar="FILE",
                      help="landmarks of faces128/train made before (`main.py landmarks`), instead of the cache's or dlib's")
    pack.add_argument("--shard-mib", type=float, help="shard size (default: 56 MiB, less if the project's files leave less room)")

    plan = commands.add_parser("gpu-plan", help="the exact device commands of a GPU window of a given length")
    plan.add_argument("--window", type=float, required=True, metavar="MINUTES", help="the window's device time, start included")
    plan.add_argument("--first", action="store_true",
                      help="the first window: after training, the GPU tests and fill times (bench/first_window.sh)")
    plan.add_argument("--measure-speed", action="store_true",
                      help="after training, also measure training speed settings (batch 64, CUDA MPS, torch.compile)")
    plan.add_argument("--shards", default=str(KIT / "data"), help="the folder `main.py pack` wrote (default: kit/data)")
    plan.add_argument("--fleet-options", default="", help="extra options for the fleet (e.g. '--batch 64 --mps' after measuring)")

    unpack = commands.add_parser("unpack", help="unpack data shards into a data root for `fleet --data-root`")
    unpack.add_argument("shards", nargs="+")
    unpack.add_argument("--to", required=True, help="the data root to fill (outside the repository, e.g. /tmp/kitdata)")


def run_fleet(args: argparse.Namespace) -> int:
    from engines.training.fleet import DataRoot, Fleet, chosen_sets, mps_daemon, run
    from engines.training.status import format_table

    sets = chosen_sets(args.sets, every=args.init_from_installed)
    data = DataRoot.find(Path(args.data_root), Path(args.landmarks) if args.landmarks else None, Path(args.vgg) if args.vgg else None)
    options = ["--export-every", str(args.export_every), "--device", args.device, "--checkpoint-minutes", "3"]
    for flag, value in (("--size", args.size), ("--base", args.base), ("--limit", args.limit), ("--steps", args.steps)):
        options += [flag, str(value)] if value else []
    options += ["--compile"] if args.compile else []
    out = Path(args.out)
    with mps_daemon(args.mps, Path(tempfile.gettempdir()) / "kit-mps") as env:
        fleet = Fleet(sets, out, args.minutes, data, options, args.batch, env)
        if args.init_from_installed:
            fleet.init_from_installed()
        print(f"fleet: {', '.join(s.name for s in sets)} for {args.minutes} minutes; logs in {out}", flush=True)
        plan = run(fleet, lambda: print(format_table(out, fleet.plan), flush=True), args.refresh)
    failed = [m["name"] for m in plan["members"].values() if m["rc"]]
    exported = [m["name"] for slug, m in plan["members"].items() if (out / slug / "export" / "card.json").is_file()]
    print(f"exported: {', '.join(exported) or 'none'}" + (f"; failed: {', '.join(failed)} (see their logs)" if failed else ""))
    return 1 if failed else 0


def run_status(args: argparse.Namespace) -> int:
    from engines.training.collect import collect
    from engines.training.fleet import read_plan
    from engines.training.status import finished, format_table

    out = Path(args.out)
    end = time.monotonic() + args.watch
    while True:
        plan = read_plan(out)
        print(format_table(out, plan), flush=True)
        if finished(plan) or time.monotonic() + args.refresh > end:
            break
        time.sleep(args.refresh)
    if args.collect:
        result = collect(out, read_plan(out), Path(args.collect), args.again)
        files = sorted(p.name for p in Path(args.collect).iterdir())
        print(f"collected into {args.collect}: {', '.join(files)}")
        print(f"handed back: {', '.join(result['delivered']) or 'nothing new'}")
        if result["waiting"]:
            print(f"still to collect (run again): {', '.join(result['waiting'])}")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from engines.registry import WEIGHTS_DIR
    from engines.training.collect import install

    check_paths(args.paths)
    keep = KIT / "collected" / time.strftime("%Y%m%d-%H%M%S")
    for line in install([Path(p) for p in args.paths], Path(args.to) if args.to else WEIGHTS_DIR, keep):
        print(line)
    print(f"Everything unpacked (sample grids, logs, metrics) is kept in {keep}")
    return 0


def run_pack(args: argparse.Namespace) -> int:
    from engines.data.pack import MIB, pack

    shard_bytes = int(args.shard_mib * MIB) if args.shard_mib else None
    landmarks = Path(args.landmarks) if args.landmarks else None
    if landmarks is not None:
        check_paths([args.landmarks])
    manifest = run_with_bar(pack(Path(args.shared), Path(args.to), args.limit, shard_bytes=shard_bytes,
                                 landmarks=landmarks), "pack")
    for part, measured in manifest["quality"].items():
        print(f"{part}: WebP quality {measured['quality']}, PSNR {measured['psnr_db']} dB against the originals "
              f"(worst image {measured['worst_psnr_db']} dB), {measured['files']} files")
    print(f"the project's own files: {manifest['carried_mib']} MiB travel with every GPU command")
    for shard in manifest["shards"]:
        print(f"{Path(args.to) / shard['file']}: {shard['mib']} MiB ({', '.join(f'{k} {v}' for k, v in shard['parts'].items())})")
    return 0


def run_unpack(args: argparse.Namespace) -> int:
    from engines.data.pack import unpack

    check_paths(args.shards)
    for line in unpack([Path(s) for s in args.shards], Path(args.to)):
        print(line)
    return 0


def run_plan(args: argparse.Namespace) -> int:
    import json

    from engines.data import pack
    from engines.data.pack import INSTALLED, MANIFEST, MIB, WEIGHTS_ASIDE
    from engines.training.window import plan

    root = pack.ROOT
    folder = Path(args.shards).resolve()
    shards = sorted(folder.glob("kit-data-*.tgz"))
    if not shards or not (folder / MANIFEST).is_file():
        raise InputError(f"{args.shards}: no kit-data-N.tgz; run `main.py pack` first.")
    if not shards[0].is_relative_to(root):
        raise InputError(f"{args.shards} is outside the repository; a device command carries only paths inside it.")
    carried = [name for name in json.loads((folder / MANIFEST).read_text())["totals"] if name.startswith(INSTALLED)]
    try:
        minutes, calls = plan(args.window, [str(p.relative_to(root)) for p in shards], args.first, args.fleet_options,
                              args.measure_speed, continue_installed=bool(carried))
    except ValueError as error:
        raise InputError(f"{error}.") from None
    weights = pack.aside_bytes(root)
    print(f"A {args.window:g}-minute window: the fleet trains {minutes:g} minutes"
          + (", continuing the installed weight sets the shards carry" if carried else "")
          + (", then the first window's checks" if args.first else "") + ".")
    if weights > MIB:
        print(f"\nBefore the first command: `mv {WEIGHTS_ASIDE} ../{WEIGHTS_ASIDE}-aside` ({weights / MIB:.1f} "
              f"MiB of weights would travel with every command; the shards carry what the fleet needs). After the last: "
              f"`mv ../{WEIGHTS_ASIDE}-aside {WEIGHTS_ASIDE}`, then `main.py install`.")
    print("\nOne device command per step, each right after the previous one (the machine is wiped about 30 s after a "
          "command ends), timeout_s 600, carrying the files named. After every command, fetch the files it handed back "
          "(files_fetch, where the reply gives one) and copy them into one folder here, dl/: only the latest command's "
          "files can be fetched, and a collect does not hand back again what an earlier one did (`fleet-status "
          "--collect $OUT --again` does). Back here: `main.py install dl/*.tar`.")
    for index, call in enumerate(calls, 1):
        carry = f"carry {', '.join(call.carry)}" if call.carry else "carry nothing"
        print(f"\n{index}. {carry}; done by minute {call.ends_min:g}: {call.why}\n   {call.command}")
    return 0


COMMANDS = {"gpu-plan": run_plan, "fleet": run_fleet, "fleet-status": run_status, "install": run_install, "pack": run_pack, "unpack": run_unpack}


def check_paths(paths: list[str]) -> None:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputError(f"{missing[0]}: no such file or folder.")
