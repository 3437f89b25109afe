"""Benchmark: printable notices (one QR code per record) and the statistics page.

    python -m benchmarks.notices_stats --records 20000

Prints notices/s cold (segno chooses every mask) and warm (masks from the previous build's
state file), and the time of the stats page. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import jinja2

from generator import demo, notices, stats
from generator.checker import check_paths
from generator.outputs import RenderContext
from generator.policy import decide

THEME = Path(__file__).resolve().parent.parent / "theme" / "templates"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, default=20000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "debtors"
        demo.write_records(folder, demo.make_records(args.records))
        checked = check_paths([folder])
        view = decide(checked.records, date(2026, 11, 25))
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME), autoescape=True)
        settings = {"SITENAME": "基准", "SITEURL": "https://fayuan.example.invalid", "PORTAL_DEMO": True}
        ctx = RenderContext(view=view, settings=settings, env=env)
        n = len(view.public)

        start = time.perf_counter()
        cold = list(notices.render(ctx))
        cold_s = time.perf_counter() - start

        state = Path(tmp) / "state"
        cache = next(f for f in cold if f.state)
        (state / cache.path).parent.mkdir(parents=True)
        (state / cache.path).write_bytes(cache.data)
        ctx.state = state
        start = time.perf_counter()
        warm = list(notices.render(ctx))
        warm_s = time.perf_counter() - start
        assert warm == cold, "cached masks must give the same bytes"

        start = time.perf_counter()
        list(stats.render(ctx))
        stats_s = time.perf_counter() - start

    html = [f for f in cold if not f.state]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records generated      {args.records}")
    print(f"public records         {n}")
    print(f"notices cold           {cold_s:.2f} s  ({n / cold_s:,.0f}/s)")
    print(f"notices warm (cache)   {warm_s:.2f} s  ({n / warm_s:,.0f}/s)")
    print(f"notice page size       {sum(len(f.data) for f in html) / len(html):,.0f} bytes average")
    print(f"matrix cache (state)   {len(cache.data):,} bytes")
    print(f"stats page             {stats_s * 1000:.0f} ms")
    print(f"peak RSS               {peak:,.0f} MB")


if __name__ == "__main__":
    main()
