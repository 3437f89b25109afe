"""Benchmark: printable notices (one QR code per record) and the statistics page.

    python -m benchmarks.notices_stats --records 20000

Prints notices/s (every QR code made, its mask chosen as segno does, in one process), the
CPU time of the QR codes and SVG paths alone, and the time of the stats page. Results go in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import jinja2

from generator.domain.policy import decide_records
from generator.read.checker import check_paths
from generator.render import notices, stats
from generator.render.outputs import RenderContext
from generator.staff import demo

THEME = Path(__file__).resolve().parent.parent / "theme" / "templates"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, default=20000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "debtors"
        demo.write_records(folder, demo.make_records(args.records))
        checked = check_paths([folder])
        view = decide_records(checked.records, date(2026, 11, 25))
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME), autoescape=True)
        settings = {"SITENAME": "基准", "SITEURL": "https://fayuan.example.invalid", "PORTAL_DEMO": True}
        ctx = RenderContext(view=view, settings=settings, env=env)
        n = len(view.public)

        start, cpu = time.perf_counter(), time.process_time()
        cold = list(notices.render(ctx))
        cold_s, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert list(notices.render(ctx)) == cold, "the same view must give the same bytes"

        links = [notices.record_link(settings, r) for r in view.public]
        start = time.process_time()
        notices.qr_paths(links)
        qr_s = time.process_time() - start

        start = time.perf_counter()
        list(stats.render(ctx))
        stats_s = time.perf_counter() - start

    html = [f for f in cold if not f.state]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records generated      {args.records}")
    print(f"public records         {n}")
    print(f"notices                {cold_s:.2f} s  ({n / cold_s:,.0f}/s; {cold_cpu / n * 1e6:.0f} CPU us a page)")
    print(f"QR codes + SVG paths   {qr_s:.2f} CPU s  ({qr_s / n * 1e6:.0f} us a code)")
    print(f"notice page size       {sum(len(f.data) for f in html) / len(html):,.0f} bytes average")
    print(f"stats page             {stats_s * 1000:.0f} ms")
    print(f"peak RSS               {peak:,.0f} MB")


if __name__ == "__main__":
    main()
