"""The commands of one GPU window, worked out from its length: `main.py gpu-plan --window 15`.

The machine starts bare and is wiped about 30 s after a command ends unless the next one comes; a command may run
10 minutes, carry 64 MiB and hand back 8 files of 16 MiB (64 MiB in all). So: one command per data shard
(unpacked outside the repository), the last one also starts the fleet detached (`setsid`, it outlives the
command) and watches it; further commands watch and collect the exports as they come (insurance if the window is
cut short); after the fleet's deadline, commands collect what is left (generators first, then discriminators).
The first window also checks and measures (bench/first_window.sh) once the fleet is done: the GPU tests and fill
times (and, asked for, training speed settings), on a GPU nobody else uses; training comes first, so a window cut
short loses measurements, not weights. Shards that carry installed weight sets make the fleet continue them.
"""
from __future__ import annotations

from dataclasses import dataclass

START_MIN = 2.0  # the machine's start, counted in the window
CALL_MIN = 0.4  # per command: sending the tree and the carried shard, the wait between commands
UNPACK_MIN = 0.3
CHECK_MIN = 2.4  # bench/first_window.sh's GPU tests and fill times at most (their timeouts), the command included
SPEED_MIN = 3.5  # its training-speed settings (alone and together, batch 64, CUDA MPS)
COMPILE_MIN = 2.0  # and torch.compile, measured only when this window still trains COMPILE_IF_MIN minutes
COMPILE_IF_MIN = 10.0
COLLECT_CALLS = 2  # after the deadline: about 72 MiB of generators and 30 MiB of discriminators
COLLECT_MIN = 0.5
SLACK_MIN = 1.0
WATCH_MAX_S = 540  # a command may run 600 s
COMMAND_MAX = 2000
DATA, RUNS = "/tmp/kitdata", "/tmp/kitruns"


@dataclass(frozen=True)
class Call:
    carry: tuple[str, ...]
    command: str
    ends_min: float  # minutes into the window, at the latest
    why: str


def plan(window_min: float, shards: list[str], first: bool = False, fleet_options: str = "",
         measure_speed: bool = False, continue_installed: bool = False) -> tuple[float, list[Call]]:
    """(fleet minutes, the commands) for a window of ``window_min`` minutes. ``first``: checks and fill times after
    the fleet (``measure_speed``: training-speed settings too); ``continue_installed``: the shards carry installed
    weight sets, and the fleet continues every set from them."""
    if not shards:
        raise ValueError("no data shards: run `main.py pack` first")
    fixed = START_MIN + len(shards) * (CALL_MIN + UNPACK_MIN) + COLLECT_CALLS * (CALL_MIN + COLLECT_MIN) + SLACK_MIN
    measure = (CALL_MIN + CHECK_MIN + (SPEED_MIN if measure_speed else 0.0)) if first or measure_speed else 0.0
    compile_measure = measure_speed and window_min - fixed - measure - COMPILE_MIN >= COMPILE_IF_MIN
    measure += COMPILE_MIN if compile_measure else 0.0
    minutes = round(window_min - fixed - measure, 1)
    if minutes < 2:
        raise ValueError(f"a {window_min:g}-minute window leaves {minutes:g} minutes to train; use a longer window")
    options = " ".join(o for o in ("--init-from-installed" if continue_installed else "", fleet_options) if o)
    calls, now = [], START_MIN
    for index, shard in enumerate(shards):
        now += CALL_MIN + UNPACK_MIN
        command = f"python3 main.py unpack {shard} --to {DATA}"
        if index < len(shards) - 1:
            calls.append(Call((shard,), command, round(now, 1), f"shard {index + 1} of {len(shards)}"))
    fleet_end = now + minutes
    watch = min(WATCH_MAX_S, (fleet_end - now) * 60 - 30)
    start = (f"{command} && mkdir -p {RUNS} && (setsid nohup python3 main.py fleet --out {RUNS} --minutes {minutes:g} "
             f"--data-root {DATA}{' ' + options if options else ''} > {RUNS}/fleet.out 2>&1 < /dev/null &) "
             f"&& sleep 3 && python3 main.py fleet-status --out {RUNS} --watch {watch:.0f} --refresh 60 --collect $OUT")
    now += watch / 60 + 0.2
    calls.append(Call((shards[-1],), start, round(now, 1), f"shard {len(shards)}, the fleet started detached, watched, "
                                                          "exports so far collected"))
    while fleet_end - now > 0.2:
        now += CALL_MIN
        watch = min(WATCH_MAX_S, (fleet_end - now) * 60 + 45)
        now += watch / 60 + 0.2
        calls.append(Call((), f"python3 main.py fleet-status --out {RUNS} --watch {watch:.0f} --refresh 60 --collect $OUT",
                          round(now, 1), "watch until the fleet ends (or this command's limit), collect"))
    for _ in range(COLLECT_CALLS):
        now += CALL_MIN + COLLECT_MIN
        calls.append(Call((), f"python3 main.py fleet-status --out {RUNS} --collect $OUT", round(now, 1),
                          "collect what is left (generators first, then discriminators)"))
    if measure:
        now += measure
        settings = "".join(f"{name}=1 " for name, on in (("MEASURE_SPEED", measure_speed), ("MEASURE_COMPILE", compile_measure)) if on)
        calls.append(Call((), f"{settings}bash bench/first_window.sh", round(now, 1),
                          "the GPU tests and fill times" + (", training-speed settings" if measure_speed else "")
                          + " (first-window.txt and JSON files come back)"))
    if any(len(c.command) > COMMAND_MAX for c in calls):
        raise ValueError(f"a command is longer than the {COMMAND_MAX} characters a GPU command may have")
    return minutes, calls
