"""Regenerate the fictitious demo records under content/debtors/ (seeded: same output every run)."""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.staff import demo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 25))
    p.add_argument("-o", type=Path, default=Path("content/debtors"))
    args = p.parse_args()
    if args.o.exists():
        shutil.rmtree(args.o)
    header = "# 演示数据：本文件由 scripts/make_demo.py 随机生成，姓名、证件号码、案号均为虚构。\n"
    for rec in demo.make_records(args.n, args.seed, args.as_of):
        path = args.o / demo.record_path(rec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + demo.to_yaml(rec), encoding="utf-8")
    print(f"wrote {args.n} fictitious records to {args.o}")


if __name__ == "__main__":
    main()
