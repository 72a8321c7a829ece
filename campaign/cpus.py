"""How many CPUs this process may use: the cores it may run on, within its cgroup's CPU quota.

A container limited with `docker run --cpus=2` (or compose's `cpus:`, or Kubernetes' CPU limit) on a
64-core host still sees 64 cores, and a web server that starts a worker per core there holds 64 x
WEB_THREADS database connections (Postgres allows 100) while the quota gives each a sliver of time.
Python's os.cpu_count() and os.process_cpu_count() see neither the quota nor, for the former, the
affinity mask; this reads both, for cgroup v2 (cpu.max) and v1 (cpu.cfs_quota_us).
"""

import math
import os
from pathlib import Path

PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def available(proc_cgroup=PROC_CGROUP, cgroup_root=CGROUP_ROOT):
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # not on macOS
    quota = quota_in_cpus(proc_cgroup, cgroup_root)
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


def quota_in_cpus(proc_cgroup=PROC_CGROUP, cgroup_root=CGROUP_ROOT):
    """The tightest CPU quota over this process's cgroup and its ancestors, in CPUs (1.5 for
    150 ms of every 100 ms); None where there is none or it cannot be read (not Linux, say)."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    limits = []
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: one hierarchy, mounted at the root
            limits += _walk(cgroup_root, path, _v2)
        elif "cpu" in controllers.split(","):  # v1: mounted as "cpu" or "cpu,cpuacct"
            for mount in (cgroup_root / controllers, cgroup_root / "cpu"):
                if mount.is_dir():
                    limits += _walk(mount, path, _v1)
                    break
    return min(limits, default=None)


def _walk(mount, path, read):
    """The quotas of the cgroup at `path` and of its ancestors up to the mount. A container sees
    its own cgroup at the mount's root; where it still sees the host's path, which does not
    exist inside it, the root is the one that applies."""
    directory, limits = mount / path.lstrip("/"), []
    while True:
        limit = read(directory)
        if limit:
            limits.append(limit)
        if directory == mount or mount not in directory.parents:
            return limits
        directory = directory.parent


def _v2(directory):
    try:
        quota, period = (directory / "cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _v1(directory):
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text())
        period = int((directory / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 else None  # -1: no quota
    except (OSError, ValueError, ZeroDivisionError):
        return None
