"""Two commits' CPU per sign and confirm POST and per signer email, measured at the same time:
which one is cheaper.

    .venv/bin/python bench/ab.py REV [--rounds 3] [--requests 1500]
    .venv/bin/python bench/ab.py REV --instructions [--path sign|emails] [--requests 300]

This machine's speed moves by 2x within minutes, so measurements taken one after the other cannot
tell a 10% change from the weather. Here `bench/inprocess.py` measures the commit REV (in a
temporary git worktree) and this checkout (with its uncommitted changes) at the same moment, each
pinned to a core of its own, the cores swapped every round: both see the same machine. Each
round prints both figures; the end, the median of the per-round ratios (this checkout / REV).

With `--instructions` it counts instead of timing: the CPU instructions a sign POST (or, with
`--path emails`, a signer's email sent by the outbox) executes on each side, under Valgrind's
callgrind (`apt-get install valgrind`; ~50x slower, so fewer requests), as the difference between
a run of 200 + N and one of 200, divided by N (N a multiple of 100 for emails: whole batches). With
PYTHONHASHSEED fixed, the same commit counted 5.26, 5.16 and 5.16 M instructions per sign POST in
three runs, whatever the machine was doing: a change of 3% or more shows in one go, where timing
needs many rounds. (Instructions are not time -- a cache miss, a system call, a wait for the GIL
count little or nothing -- so a change that saves a round trip is worth more than its count says.)

Needs what bench/inprocess.py needs (Postgres, Redis); uses Redis DBs 11 and 12 and two cores
(--instructions: DBs 11, 12, 14, 15).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {
    "sign": re.compile(r"^sign POST: ([\d,]+) µs", re.M),
    "sign, step by step": re.compile(r"^sign POST, step by step \(([\d,]+) µs", re.M),
    "confirm": re.compile(r"^confirm POST: ([\d,]+) µs", re.M),
    "emails": re.compile(r"^signer emails: ([\d,]+) µs", re.M),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the commit to compare this checkout with (e.g. HEAD, main~3)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, help="requests per measurement (1500; --instructions: 300)")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per sign POST or email (callgrind)")
    parser.add_argument("--path", choices=["sign", "emails"], default="sign", help="what --instructions counts")
    args = parser.parse_args()
    args.requests = args.requests or (300 if args.instructions else 1500)
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), args.rev], cwd=ROOT, check=True)
        try:
            (other / ".venv").symlink_to(ROOT / ".venv")
            if args.instructions:
                count_instructions(other, args)
            else:
                compare(other, args, _two_cores())
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)


def _two_cores():
    cores = sorted(os.sched_getaffinity(0))[:2]
    if len(cores) < 2:
        raise SystemExit("needs two cores")
    return cores


def compare(other, args, cores):
    ratios = {name: [] for name in FIGURES}
    for round_ in range(args.rounds):
        pins = cores if round_ % 2 == 0 else cores[::-1]
        runs = {
            label: subprocess.Popen(
                ["taskset", "-c", str(core), sys.executable, str(ROOT / "bench" / "inprocess.py"),
                 "--root", str(tree), "--redis-db", str(db), "--requests", str(args.requests)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for label, tree, core, db in ((args.rev, other, pins[0], 11), ("this checkout", ROOT, pins[1], 12))
        }
        figures = {}
        for label, run in runs.items():
            output = run.communicate()[0]
            if run.returncode:
                raise SystemExit(f"{label}: bench/inprocess.py failed:\n{output}")
            figures[label] = {name: int(pattern.search(output).group(1).replace(",", ""))
                              for name, pattern in FIGURES.items()}
        old, new = figures[args.rev], figures["this checkout"]
        print(f"round {round_ + 1}: " + "; ".join(
            f"{name} {old[name]:,} -> {new[name]:,} µs" for name in FIGURES), flush=True)
        for name in FIGURES:
            ratios[name].append(new[name] / old[name])
    print(f"median ratio, this checkout / {args.rev} (below 1: cheaper): " + "; ".join(
        f"{name} {statistics.median(values):.3f} ({', '.join(f'{v:.2f}' for v in values)})"
        for name, values in ratios.items()))


COLLECTED = re.compile(r"^==\d+== Collected : (\d+)", re.M)


def count_instructions(other, args):
    """Instructions per sign POST (or email) on each side: four callgrind runs at once (200 + N and
    200 per tree), each with a Redis DB of its own; the counts do not depend on the scheduling."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    runs = {}
    plan = [(args.rev, other, args.requests, 11), (args.rev, other, 0, 12),
            ("this checkout", ROOT, args.requests, 14), ("this checkout", ROOT, 0, 15)]
    for label, tree, n, db in plan:
        runs[label, n] = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             str(ROOT / "bench" / "inprocess.py"), "--root", str(tree), "--redis-db", str(db),
             "--requests", str(n), f"--{args.path}-only"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
    counts = {}
    for (label, n), run in runs.items():
        output = run.communicate()[0]
        found = COLLECTED.search(output)
        if run.returncode or not found:
            raise SystemExit(f"{label}: bench/inprocess.py under callgrind failed:\n{output[-3000:]}")
        counts[label, n] = int(found.group(1))
    per_request = {label: (counts[label, args.requests] - counts[label, 0]) / args.requests
                   for label in (args.rev, "this checkout")}
    old, new = per_request[args.rev], per_request["this checkout"]
    what = "sign POST" if args.path == "sign" else "signer email"
    print(f"instructions per {what} ({args.requests} after 200): {args.rev} {old / 1e6:.3f} M, "
          f"this checkout {new / 1e6:.3f} M, ratio {new / old:.3f}")


if __name__ == "__main__":
    main()
