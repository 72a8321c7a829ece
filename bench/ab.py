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
callgrind (`apt-get install valgrind`; ~50x slower, so fewer requests): the N requests after 200 to
warm up, divided by N (N a multiple of 100 for emails: whole batches). bench/inprocess.py marks them
for callgrind itself (a small library built here from Valgrind's callgrind.h, so a C compiler is
needed), so nothing else the process does is counted. Twice, one after the other: the two counts
of a side have agreed to 0.15-0.6% (psycopg and redis-py poll their sockets a number of times that
depends on timing), the ratio between the sides of one count to ~0.1%: a change of 0.5% shows in
one go, where timing needs many rounds. (Until 2026-12-04 it took the difference between a run of
200 + N requests and one of 200: the two processes' start-up, which waits on other processes, made
that move by ~1% of a sign POST.) (Instructions are not time -- a cache miss, a system call, a wait for the GIL
count little or nothing -- so a change that saves a round trip is worth more than its count says.)

Needs what bench/inprocess.py needs (Postgres, Redis); uses Redis DBs 11 and 12 and two cores
(--instructions: DBs 11 and 14).
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
                for _ in range(2):  # the two counts of a side agreeing is the measurement's error bar
                    count_instructions(other, args, tmp)
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


# Valgrind's client requests (valgrind/callgrind.h, in Debian's valgrind package): bench/inprocess.py
# zeroes callgrind's counters before the requests it measures and dumps them after.
MARKS_C = r"""
#include <valgrind/callgrind.h>
void bench_zero(void) { CALLGRIND_ZERO_STATS; }
void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""
SUMMARY = re.compile(r"^summary: (\d+)$", re.M)


def build_marks(tmp):
    library = Path(tmp) / "libbenchmarks.so"
    built = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-x", "c", "-", "-o", str(library)],
                           input=MARKS_C, text=True, capture_output=True)
    if built.returncode:
        raise SystemExit(f"--instructions needs a C compiler and Valgrind's headers (apt-get install valgrind gcc):\n"
                         f"{built.stderr}")
    return library


def count_instructions(other, args, tmp):
    """Instructions per sign POST (or email) on each side: two callgrind runs at once, each with
    a Redis DB of its own, counting only the N requests after 200 to warm up (build_marks); the
    counts do not depend on the scheduling."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "BENCH_CALLGRIND_MARKS": str(build_marks(tmp))}
    runs = {}
    for label, tree, db, name in ((args.rev, other, 11, "rev"), ("this checkout", ROOT, 14, "this")):
        out = Path(tmp) / f"callgrind.{name}"
        runs[label] = out, subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             str(ROOT / "bench" / "inprocess.py"), "--root", str(tree), "--redis-db", str(db),
             "--requests", str(args.requests), f"--{args.path}-only"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
    per_request = {}
    for label, (out, run) in runs.items():
        output = run.communicate()[0]
        dump = Path(f"{out}.1")  # the first dump: the one bench/inprocess.py asked for
        found = SUMMARY.search(dump.read_text()) if dump.exists() else None
        if run.returncode or not found:
            raise SystemExit(f"{label}: bench/inprocess.py under callgrind failed:\n{output[-3000:]}")
        per_request[label] = int(found.group(1)) / args.requests
        for path in Path(tmp).glob(f"{out.name}*"):
            path.unlink()
    old, new = per_request[args.rev], per_request["this checkout"]
    what = "sign POST" if args.path == "sign" else "signer email"
    print(f"instructions per {what} ({args.requests} after 200): {args.rev} {old / 1e6:.3f} M, "
          f"this checkout {new / 1e6:.3f} M, ratio {new / old:.3f}")


if __name__ == "__main__":
    main()
