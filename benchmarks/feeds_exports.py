"""Feeds and open data at scale: render time and output size for N demo records.

    python -m benchmarks.feeds_exports --records 20000

Prints one line per renderer (first build, empty state) and one for a second build that
reads the manifest back. Parsing and checking the records is not counted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from generator.domain.policy import decide_records
from generator.read.checker import check_paths
from generator.render import exports, feeds
from generator.render.outputs import RenderContext
from generator.staff import demo

AS_OF = date(2026, 11, 25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader("theme/templates"), autoescape=True)
    settings = {"SITENAME": "基准测试", "SITEURL": "https://example.gov.cn", "PORTAL_DEMO": True}
    with tempfile.TemporaryDirectory() as tmp:
        folder, state = Path(tmp) / "records", Path(tmp) / "state"
        demo.write_records(folder, demo.make_records(args.records, as_of=AS_OF))
        result = check_paths([folder])
        view = decide_records(result.records, AS_OF)
        print(f"{args.records} records: {len(view.public)} public, {len(view.notices)} removal notices")
        for label, module, as_of in (
            ("feeds", feeds, AS_OF),
            ("exports", exports, AS_OF),
            ("exports, day 2", exports, None),
        ):
            ctx_view = view if as_of else decide_records(result.records, date(2026, 11, 26))
            ctx = RenderContext(ctx_view, settings, [], env, state)
            start = time.perf_counter()
            files = list(module.render(ctx))
            seconds = time.perf_counter() - start
            public = [f for f in files if not f.state]
            size = sum(len(f.data) for f in public) / 2**20
            print(f"{label:16s} {seconds:6.2f} s  {len(public):4d} files  {size:7.1f} MiB")
            for f in files:
                target = state / f.path
                if f.state:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(f.data)


if __name__ == "__main__":
    main()
