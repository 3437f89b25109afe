"""Benchmark `chenglai check` (issue 2): check N fictitious records, print records/s and peak RSS.

    python benchmarks/check.py [--records 100000] [--jobs N] [--profile]

The records come from generator.staff.demo (seeded, so every run checks the same files). Writing
them is not timed; `check_paths` is timed cold: a fresh call with no cache of ours (the OS
page cache is warm, as it is for a clerk who just ran `git pull`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.read.checker import check_paths  # noqa: E402
from generator.staff import demo


def machine() -> str:
    """nproc, CPU model and RAM, for docs/benchmarks.md."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "? RAM"
    return f"{os.cpu_count()} CPUs ({model}), {ram}, Python {platform.python_version()}"


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child (the pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=100_000, help="number of records (default 100000)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all CPUs)")
    p.add_argument(
        "--dir", type=Path, help="write the records here and reuse them on the next run (default: a temp folder)"
    )
    p.add_argument("--profile", action="store_true", help="run in one process under cProfile and print the top 25")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="chenglai-bench-") as tmp:
        folder = args.dir or Path(tmp) / "debtors"
        print(f"machine: {machine()}")
        marker = folder / f".records-{args.records}"
        if marker.exists():
            print(f"reusing {args.records} records in {folder}")
        else:
            t0 = time.perf_counter()
            demo.write_records(folder, demo.make_records(args.records))
            marker.touch()
            print(f"wrote {args.records} records in {time.perf_counter() - t0:.1f} s (not timed)")

        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            result = check_paths([folder], jobs=1)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        else:
            # the machine may be shared: the load average and CPU seconds make the wall time readable
            load = os.getloadavg()[0]
            cpu0 = os.times()
            t1 = time.perf_counter()
            result = check_paths([folder], jobs=args.jobs)
            elapsed = time.perf_counter() - t1
            cpu1 = os.times()
            own_cpu = cpu1.user - cpu0.user + cpu1.system - cpu0.system
            child_cpu = cpu1.children_user - cpu0.children_user + cpu1.children_system - cpu0.children_system
            own, children = peak_rss_mb()
            print(
                f"check: {len(result.records)} records, {len(result.errors)} errors, {elapsed:.2f} s wall, "
                f"{len(result.records) / elapsed:,.0f} records/s; CPU {own_cpu:.1f} s main + {child_cpu:.1f} s workers; "
                f"peak RSS {own:.0f} MB (main), {children:.0f} MB (largest worker); load average before {load:.2f}"
            )
        if result.errors:
            print("unexpected errors, first 5:", *result.errors[:5], sep="\n  ")
            sys.exit(1)


if __name__ == "__main__":
    main()
