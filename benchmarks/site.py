"""Cold site build at N records (issue 3): records/s, phases, peak memory, and the plain-Pelican baseline.

    python -m benchmarks.site                     # 100,000 records, baseline at 4,000
    python -m benchmarks.site --records 20000 --baseline 2000
    python -m benchmarks.site --write-docs        # also update docs/benchmarks.md

The records come from generator.staff.demo.make_records (seeded, fictitious), written once into
benchmarks/out/site-<N>/content and reused. Each build runs in a fresh process so that its
peak RSS (the largest of the build process and its forked workers) can be read back.
The baseline is plain Pelican (default settings and theme) with the same records as
Markdown articles, at a smaller N, in the same run; its rate is extrapolated linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
AS_OF = date(2026, 11, 25)
SECTION = "## Site build (issue 3)"
NOTES = "<!-- notes: kept by --write-docs -->"


def _records(n: int) -> list[dict]:
    from generator.staff import demo

    # demo.make_records can give a second debtor of a shared case an age of 17 (E084): drop it,
    # a build refuses any invalid record
    return [r for r in demo.make_records(n, as_of=AS_OF) if r["debtor"].get("age", 99) >= 18]


def content_for(n: int) -> Path:
    from generator.staff import demo

    root = OUT / f"site-{n}" / "content"
    if (root / ".ready").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    demo.write_records(root / "debtors", _records(n))
    (root / "news").mkdir(parents=True)
    (root / "pages").mkdir(parents=True)
    (root / ".ready").write_text("ok\n")
    return root


def markdown_body(r: dict) -> str:
    """The record's fields as a Markdown list: the page body of both baselines (Pelican, Hugo)."""
    d = r["debtor"]
    return "\n".join(
        f"- {k}: {v}"
        for k, v in (
            ("执行案号", r["case_number"]), ("执行法院", r["court"]), ("证件号码", d.get("id_masked") or d.get("uscc")),
            ("生效法律文书确定的义务", r["obligation"]), ("履行情况", r["performance"]),
            ("未履行金额", r.get("outstanding")), ("失信情形", "、".join(r["grounds"])),
        )
    )  # fmt: skip


def baseline_content(n: int) -> Path:
    """The same records as Pelican Markdown articles (title, date, the art. 6 fields as text)."""
    root = OUT / f"pelican-{n}" / "content"
    if (root / ".ready").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for i, r in enumerate(_records(n)):
        d = r["debtor"]
        body = markdown_body(r)
        text = f"Title: {d['name']}\nDate: {r['listed_on']}\nSlug: r{i}\n\n{body}\n"
        (root / f"r{i}.md").write_text(text, encoding="utf-8")
    (root / ".ready").write_text("ok\n")
    return root


def child_build(content: str, output: str) -> None:
    """Runs in the measured process: one cold build_site, figures as JSON on stdout."""
    from generator.build.pipeline import build_site

    started = time.perf_counter()
    r = build_site(
        REPO / "pelicanconf.py", output=output,
        overrides={"PATH": content, "PORTAL_AS_OF": AS_OF.isoformat(), "PORTAL_DEMO": True},
    )  # fmt: skip
    total = time.perf_counter() - started
    self_ru, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = self_ru.ru_utime + self_ru.ru_stime + kids.ru_utime + kids.ru_stime
    figures = {"public": r.public, "files": r.files_written, "seconds": total, "phases": r.phases}
    print(json.dumps({**figures, "cpu": cpu, "phases_cpu": r.cpu}))


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, Linux {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--baseline", type=int, default=4_000, help="records for the plain-Pelican baseline (0: skip)")
    p.add_argument("--write-docs", action="store_true", help="write the figures into docs/benchmarks.md")
    p.add_argument("--child", nargs=2, metavar=("CONTENT", "OUTPUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child_build(*args.child)
        return

    n = args.records
    print(f"preparing {n:,} fictitious records …", flush=True)
    content = content_for(n)
    output = OUT / f"site-{n}" / "output"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(OUT / f"site-{n}" / ".chenglai-state", ignore_errors=True)
    load_before = os.getloadavg()[0]
    _, stdout = measure([sys.executable, "-m", "benchmarks.site", "--child", str(content), str(output)], cwd=REPO)
    load_after = os.getloadavg()[0]
    fig = json.loads(stdout.strip().splitlines()[-1])
    peak = peak_mb()
    ph = fig["phases"]
    pages_s = fig["seconds"] - ph["check"]
    pages_cpu = sum(v for k, v in fig["phases_cpu"].items() if k != "check")
    lines = [
        f"machine: {machine()}; load average {load_before:.1f} before, {load_after:.1f} after",
        f"records: {n:,} ({fig['public']:,} public on {AS_OF}), files written: {fig['files']:,}",
        f"cold `build_site`: {fig['seconds']:.1f} s = {n / fig['seconds']:,.0f} records/s "
        f"(CPU {fig['cpu']:.1f} s over build process + workers)",
        "phases (wall / CPU): " + ", ".join(f"{k} {v:.1f} s / {fig['phases_cpu'][k]:.1f} s" for k, v in ph.items()),
        f"site pages (render + leak gate + swap, records already checked): {pages_s:.1f} s = {n / pages_s:,.0f} records/s"
        f" (CPU {pages_cpu:.1f} s: {2 * n / pages_cpu:,.0f} records/s if both cores were ours)",
        f"peak RSS (largest process): {peak:,.0f} MB",
    ]
    if args.baseline:
        base = baseline_content(args.baseline)
        out = OUT / f"pelican-{args.baseline}" / "output"
        shutil.rmtree(out, ignore_errors=True)
        seconds, _ = measure([sys.executable, "-m", "pelican", str(base), "-o", str(out), "-q"], cwd=base.parent)
        rate = args.baseline / seconds
        lines.append(
            f"plain Pelican baseline (default settings and theme, records as Markdown articles): "
            f"{args.baseline:,} in {seconds:.1f} s = {rate:,.0f} records/s; "
            f"extrapolated linearly to {n:,}: {n / rate:,.0f} s"
        )
    print("\n".join(lines))
    if args.write_docs:
        write_docs(lines)


def write_docs(lines: list[str]) -> None:
    doc = REPO / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    body = f"{SECTION}\n\n`python -m benchmarks.site` (figures of the last run):\n\n" + "\n".join(
        f"- {line}" for line in lines
    )
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        old = text[start : end if end >= 0 else len(text)]
        if NOTES in old:  # hand-written analysis below the figures stays
            body += "\n\n" + old[old.index(NOTES) :].rstrip("\n")
        rest = text[end:] if end >= 0 else ""
        text = text[:start] + body + "\n" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
