"""Two commits' CPU per sign and confirm POST, measured at the same time: which one is cheaper.

    .venv/bin/python bench/ab.py REV [--rounds 3] [--requests 1500]

This machine's speed moves by 2x within minutes, so measurements taken one after the other cannot
tell a 10% change from the weather. Here `bench/inprocess.py` measures the commit REV (in a
temporary git worktree) and this checkout (with its uncommitted changes) at the same moment, each
pinned to a core of its own, the cores swapped every round: both see the same machine. Each
round prints both figures; the end, the median of the per-round ratios (this checkout / REV).

Needs what bench/inprocess.py needs (Postgres, Redis); uses Redis DBs 11 and 12 and two cores.
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
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the commit to compare this checkout with (e.g. HEAD, main~3)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1500, help="requests per measurement (1500)")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))[:2]
    if len(cores) < 2:
        raise SystemExit("needs two cores")
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), args.rev], cwd=ROOT, check=True)
        try:
            (other / ".venv").symlink_to(ROOT / ".venv")
            compare(other, args, cores)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)


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


if __name__ == "__main__":
    main()
