"""Regenerate the fictitious demo records under content/debtors/, and the demo 限制消费令, 悬赏执行公告
and 集中曝光 batches under content/restrictions/, content/rewards/ and content/exposure/ (seeded:
same output every run)."""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.staff import demo, demokinds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 25))
    p.add_argument("-o", type=Path, default=Path("content/debtors"))
    p.add_argument(
        "--kinds-only", action="store_true",
        help="keep the debtor records as they are; regenerate only the other kinds from them",
    )  # fmt: skip
    args = p.parse_args()
    header = "# 演示数据：本文件由 scripts/make_demo.py 随机生成，姓名、证件号码、案号均为虚构。\n"
    if args.kinds_only:
        write_kinds(args.o.parent, written_records(args.o), args, header)
        return
    if args.o.exists():
        shutil.rmtree(args.o)
    records = demo.make_records(args.n, args.seed, args.as_of)
    for rec in records:
        path = args.o / demo.record_path(rec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + demo.to_yaml(rec), encoding="utf-8")
    print(f"wrote {args.n} fictitious records to {args.o}")
    # the kinds from the files as written, as --kinds-only reads them: one output either way
    write_kinds(args.o.parent, written_records(args.o), args, header)


def written_records(folder: Path) -> list[dict]:
    return [yaml.safe_load(f.read_text(encoding="utf-8")) for f in sorted(folder.rglob("*.yaml"))]


def write_kinds(content: Path, records: list[dict], args: argparse.Namespace, header: str) -> None:
    """The other kinds (SPEC §7) beside the debtors folder; batches name those records."""
    for folder in ("restrictions", "rewards", "exposure"):
        if (content / folder).exists():
            shutil.rmtree(content / folder)
    items = demokinds.make_kinds(records, args.seed, args.as_of)
    demokinds.write_kinds(content, items, header)
    print(f"wrote {len(items)} fictitious restrictions, rewards and exposure batches to {content}")


if __name__ == "__main__":
    main()
