"""National scale (issue 7): the whole build at N records, against the targets, with baselines.

    python -m benchmarks.run --records 100000            # make bench N=100000
    python -m benchmarks.run --records 10000 --runs 3 --write-docs

For N fictitious records (generator.staff.demo, seeded; written once under benchmarks/out/) it prints:

- cold full build (site + search index, empty state folder): wall time, records/s, the phases,
  and records/s of everything after the check (the site pages target);
- peak RSS: the largest process of the build's process tree (wait4);
- no-change rebuild, and one record changed (its obligation edited): incremental builds;
- index build documents/s (the real indexer on the same records, in a process of its own);
- search latency p50/p95/p99 through HTTP (gunicorn, 2 workers, one request at a time) and
  requests/s under a bounded loopback load (wrk for a fixed time, else a fixed number of
  requests), reusing benchmarks/search.py;
- baselines on the same records: plain Pelican (records as Markdown articles; at a smaller N,
  extrapolated linearly — said so in the output) and Hugo when installed (Debian `hugo`; the
  records as Markdown pages, a minimal theme with the same 50-per-page lists).

Every build runs in a fresh process (interpreter start and imports included). The machine is
shared: each figure is the best of --runs with the spread, and the load average is printed.
With --write-docs the figures go into benchmarks/scale-results.json and the `## Scale (issue 7)`
section of docs/benchmarks.md is written from it (one column per N measured).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
ASIDE = OUT / "aside"  # earlier runs' trees, deleted after the measures (set_aside)
RESULTS = REPO / "benchmarks" / "scale-results.json"
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## Scale (issue 7)"
AS_OF = date(2026, 11, 25)


# -- processes -------------------------------------------------------------------------------
_LAUNCHER: subprocess.Popen[str] | None = None


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB of the largest process of its tree, stdout), through the
    launcher: a process forked from this one would count this one's memory as its own peak
    (ru_maxrss keeps the resident size of the copy made at fork)."""
    global _LAUNCHER
    if _LAUNCHER is None:
        _LAUNCHER = subprocess.Popen([sys.executable, "-m", "benchmarks.run", "--child", "launcher"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)  # fmt: skip
    assert _LAUNCHER.stdin is not None and _LAUNCHER.stdout is not None
    _LAUNCHER.stdin.write(json.dumps({"cmd": cmd, "cwd": str(cwd) if cwd else None}) + "\n")
    _LAUNCHER.stdin.flush()
    answer = json.loads(_LAUNCHER.stdout.readline())
    if answer["code"] != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{answer['stderr'][-3000:]}")
    return answer["wall"], answer["peak_mb"], answer["stdout"]


def launcher() -> None:
    """A small process that runs the measured commands one at a time (JSON lines in and out)."""
    for line in sys.stdin:
        job = json.loads(line)
        wall, peak, code, stdout, stderr = _run(job["cmd"], Path(job["cwd"]) if job["cwd"] else None)
        print(json.dumps({"wall": wall, "peak_mb": peak, "code": code, "stdout": stdout, "stderr": stderr}), flush=True)


def _run(cmd: list[str], cwd: Path | None) -> tuple[float, float, int, str, str]:
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    return seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr


def child_build(content: str, output: str) -> None:
    """In the measured process: one build_site, its figures as JSON on stdout."""
    sys.path.insert(0, str(REPO))
    from generator.build.pipeline import build_site

    r = build_site(
        REPO / "pelicanconf.py", output=output, allow_drop=True,
        overrides={"PATH": content, "PORTAL_AS_OF": AS_OF.isoformat(), "PORTAL_DEMO": True},
    )  # fmt: skip
    print(json.dumps({"public": r.public, "incremental": r.incremental, "parsed": r.parsed,
                      "written": r.files_written, "phases": r.phases}))  # fmt: skip


def child_index(n: int, folder: str) -> None:
    """In the measured process: the real indexer over the PublicView of the same records."""
    from benchmarks import search as sb

    view = sb.public_view(n)
    print(json.dumps(sb.build_index(view, Path(folder))))


def build(content: Path, output: Path) -> dict[str, Any]:
    # the previous build's written files go to disk first, outside the measure: a cold build
    # writes 160,000 files (1.5 GB), and the next one would otherwise wait for their writeback
    os.sync()
    wall, peak, stdout = run([sys.executable, "-m", "benchmarks.run", "--child", "build", str(content), str(output)],
                             cwd=REPO)  # fmt: skip
    fig = json.loads(stdout.strip().splitlines()[-1])
    return {**fig, "wall": wall, "peak_mb": peak, "load": os.getloadavg()[0]}


def best(runs: list[dict[str, Any]], key: str = "wall") -> dict[str, Any]:
    values = sorted(r[key] for r in runs)
    return {"best": values[0], "worst": values[-1], "n": len(values), "all": values}


def fmt_s(stat: dict[str, Any]) -> str:
    if stat["n"] == 1:
        return f"{stat['best']:.1f} s"
    return f"{stat['best']:.1f} s ({stat['best']:.1f}–{stat['worst']:.1f}, {stat['n']} runs)"


# -- the steps ---------------------------------------------------------------------------------
def one_record(content: Path) -> Path:
    """A record that is public on AS_OF (listed, listed this year): its edit shows on the site."""
    files = sorted((content / "debtors").rglob("*.yaml"))
    for path in files[len(files) // 2 :]:
        text = path.read_text(encoding="utf-8")
        listed = next(line for line in text.splitlines() if line.startswith("listed_on: "))
        if "status: listed" in text and date.fromisoformat(listed.split(": ")[1]).year == AS_OF.year:
            return path
    raise SystemExit("no public record to edit")


def edit(path: Path, original: str, nonce: int) -> None:
    """A real edit of the record's obligation, different each time (never seen by the cache)."""
    lines = original.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("obligation: "):
            lines[i] = line.rstrip("\n") + f"（基准测试修改 {nonce}）\n"
    path.write_text("".join(lines), encoding="utf-8")


def set_aside(path: Path) -> None:
    """Move a tree an earlier run wrote out of the way; it is deleted once everything is
    measured (`main`). Deleted just before a build that writes 100,000 files, it would slow that
    build by half: for a minute or more ext4 skips each recently freed inode when it allocates
    one (recently_deleted), at every file and folder made."""
    if path.exists():
        ASIDE.mkdir(parents=True, exist_ok=True)
        os.rename(path, ASIDE / f"{path.name}.{time.monotonic_ns()}")


def measure_builds(n: int, runs: int) -> dict[str, Any]:
    from benchmarks.site import content_for

    content = content_for(n)
    root = OUT / f"scale-{n}"
    output = root / "output"
    cold = []
    for i in range(runs):
        set_aside(root)
        root.mkdir(parents=True)
        fig = build(content, output)
        assert not fig["incremental"], fig
        cold.append(fig)
        print(f"  cold build {i + 1}: {fig['wall']:.1f} s, peak {fig['peak_mb']:,.0f} MB, phases "
              + ", ".join(f"{k} {v:.1f}" for k, v in fig["phases"].items()), flush=True)  # fmt: skip
    nochange, changed = [], []
    for i in range(runs):
        fig = build(content, output)
        assert fig["incremental"] and fig["written"] == 0, fig
        nochange.append(fig)
        print(f"  no-change rebuild {i + 1}: {fig['wall']:.2f} s (written {fig['written']})", flush=True)
    path = one_record(content)
    original = path.read_text(encoding="utf-8")
    try:
        for i in range(runs):
            edit(path, original, time.time_ns())
            fig = build(content, output)
            assert fig["incremental"] and fig["parsed"] == 1, fig
            changed.append(fig)
            print(f"  one record changed {i + 1}: {fig['wall']:.2f} s (files written {fig['written']})", flush=True)
    finally:
        path.write_text(original, encoding="utf-8")  # back as generated
    fastest = min(cold, key=lambda f: f["wall"])
    after_check = [f["wall"] - f["phases"]["check"] for f in cold]
    pages = [f["phases"].get("render.pages", 0.0) for f in cold]
    return {
        "records": n,
        "public": fastest["public"],
        "cold": best(cold),
        "cold_phases": fastest["phases"],
        "after_check_rate": n / min(after_check),
        "pages_rate": n / min(pages) if min(pages) else None,
        "peak_mb": best(cold, "peak_mb"),
        "rebuild_peak_mb": max(f["peak_mb"] for f in nochange + changed),
        "nochange": best(nochange),
        "changed": best(changed),
        "changed_written": changed[0]["written"],
        "load": [f["load"] for f in cold + nochange + changed],
    }


def measure_search(n: int, requests: int, duration: int) -> dict[str, Any]:
    from benchmarks import search as sb

    folder = OUT / f"scale-{n}" / "index-bench"
    shutil.rmtree(folder, ignore_errors=True)
    wall, peak, stdout = run([sys.executable, "-m", "benchmarks.run", "--child", "index", str(n), str(folder)],
                             cwd=REPO)  # fmt: skip
    index = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(folder, ignore_errors=True)
    live = OUT / f"scale-{n}" / ".chenglai-state" / "output" / "index"
    view = sb.public_view(n)
    mix = sb.query_mix(view.public, requests)
    proc, port = sb.start_gunicorn(live, workers=2, threads=1)
    tmp = Path(tempfile.mkdtemp(prefix="chenglai-scale-"))
    try:
        lat = sb.latency(port, mix)
        if shutil.which("wrk"):
            load = sb.load_wrk(port, mix, duration, 8, tmp)
            how = f"wrk, 8 connections, {duration} s"
        else:
            load = sb.load_python(port, mix, requests * 2, 8)
            how = f"{requests * 2} requests from 8 threads"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"index_docs": index["docs"], "index_rate": index["rate"], "index_wall": index["wall"],
            "index_peak_mb": peak, "latency": lat["all"], "found": lat["found"], "load": load, "load_how": how}  # fmt: skip


# -- baselines -----------------------------------------------------------------------------
HUGO_CONFIG = """baseURL = "http://localhost/"
languageCode = "zh-cn"
title = "失信被执行人名单（基准测试，虚构）"
paginate = 50
disableKinds = ["taxonomy", "term"]
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}'
    '</title></head><body>{{ block "main" . }}{{ end }}</body></html>\n',
    "_default/single.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range (.Paginate .Pages).Pages }}'
    '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n',
}


def hugo_site(n: int) -> Path:
    from benchmarks.site import _records, markdown_body

    root = OUT / f"hugo-{n}"
    if (root / ".ready").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "content" / "debtors").mkdir(parents=True)
    (root / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (root / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "layouts" / name).write_text(text, encoding="utf-8")
    for i, r in enumerate(_records(n)):
        d = r["debtor"]
        body = markdown_body(r)
        text = f'---\ntitle: "{d["name"]}"\ndate: {r["listed_on"]}\n---\n\n{body}\n'
        (root / "content" / "debtors" / f"r{i}.md").write_text(text, encoding="utf-8")
    (root / ".ready").write_text("ok\n")
    return root


def measure_hugo(n: int) -> dict[str, Any] | None:
    hugo = shutil.which("hugo")
    if hugo is None:
        return None
    site = hugo_site(n)
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()[1]
    set_aside(site / "public")
    wall, peak, _ = run([hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")])
    pages = sum(len(files) for _d, _s, files in os.walk(site / "public"))
    return {"records": n, "wall": wall, "rate": n / wall, "peak_mb": peak, "files": pages, "version": version}


def measure_pelican(n: int) -> dict[str, Any]:
    from benchmarks.site import baseline_content

    base = baseline_content(n)
    out = OUT / f"pelican-{n}" / "output"
    set_aside(out)
    wall, peak, _ = run([sys.executable, "-m", "pelican", str(base), "-o", str(out), "-q"], cwd=base.parent)
    return {"records": n, "wall": wall, "rate": n / wall, "peak_mb": peak}


# -- report ------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    from benchmarks.site import machine as describe

    return {"machine": describe(), "date": time.strftime("%Y-%m-%d")}


def lines(r: dict[str, Any]) -> list[str]:
    n = r["records"]
    b = r["builds"]
    out = [
        f"records: {n:,} ({b['public']:,} public on {AS_OF})",
        f"cold full build (site + search index): {fmt_s(b['cold'])} = {n / b['cold']['best']:,.0f} records/s; "
        "phases of the fastest: " + ", ".join(f"{k} {v:.1f} s" for k, v in b["cold_phases"].items()),
        f"after the check (render, leak gate, swap): {b['after_check_rate']:,.0f} records/s; "
        f"site pages alone (records, lists, sitemaps): {b['pages_rate'] or 0:,.0f} records/s",
        f"peak RSS (largest process): cold {b['peak_mb']['best']:,.0f}–{b['peak_mb']['worst']:,.0f} MB, "
        f"rebuilds {b['rebuild_peak_mb']:,.0f} MB",
        f"no-change rebuild: {fmt_s(b['nochange'])}",
        f"one record changed: {fmt_s(b['changed'])} ({b['changed_written']} files written)",
    ]
    s = r.get("search")
    if s:
        lat = s["latency"]
        out += [
            f"index build: {s['index_docs']:,} documents in {s['index_wall']:.1f} s = {s['index_rate']:,.0f} docs/s",
            f"search through HTTP: p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms, p99 {lat['p99']:.2f} ms "
            f"({lat['n']} requests; {s['found']:.0%} found their record); load ({s['load_how']}): "
            f"{s['load']['rps']:,.0f} requests/s, {s['load']['errors']:.0f} errors",
        ]
    p = r.get("pelican")
    if p:
        out.append(f"plain Pelican (records as Markdown articles): {p['records']:,} in {p['wall']:.1f} s = "
                   f"{p['rate']:,.0f} records/s, peak {p['peak_mb']:,.0f} MB"
                   + (f"; extrapolated linearly to {n:,}: {n / p['rate']:,.0f} s" if p["records"] != n else ""))  # fmt: skip
    h = r.get("hugo")
    if h:
        out.append(f"Hugo {h['version']} (records as Markdown pages, minimal theme, 50 per list page): "
                   f"{h['records']:,} in {h['wall']:.1f} s = {h['rate']:,.0f} records/s, peak {h['peak_mb']:,.0f} MB, "
                   f"{h['files']:,} files")  # fmt: skip
    elif "hugo" in r:
        out.append("Hugo: not installed (Debian package `hugo`)")
    return out


def table(results: dict[str, Any]) -> str:
    cols = sorted(results, key=int)
    head = "| | " + " | ".join(f"{int(c):,} records" for c in cols) + " | target (100,000) |"
    rows = [head, "|---|" + "---|" * len(cols) + "---|"]

    def row(label: str, target: str, value: Any) -> None:
        cells = []
        for c in cols:
            try:
                cells.append(value(results[c]))
            except (KeyError, TypeError):
                cells.append("—")
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    row("cold full build (site + index)", "≤ 60 s", lambda r: f"{r['builds']['cold']['best']:.1f} s"
        + (f" ({r['builds']['cold']['best']:.1f}–{r['builds']['cold']['worst']:.1f})" if r["builds"]["cold"]["n"] > 1 else ""))  # fmt: skip
    row("cold build, records/s", "", lambda r: f"{r['records'] / r['builds']['cold']['best']:,.0f}")
    row("site pages, records/s", "≥ 4,000", lambda r: f"{r['builds']['pages_rate']:,.0f}")
    row("everything after the check, records/s", "", lambda r: f"{r['builds']['after_check_rate']:,.0f}")
    row("peak RSS, largest process (cold)", "≤ 1 GB", lambda r: f"{r['builds']['peak_mb']['best']:,.0f} MB")
    row("no-change rebuild", "≤ 5 s", lambda r: f"{r['builds']['nochange']['best']:.1f} s"
        + f" ({r['builds']['nochange']['best']:.1f}–{r['builds']['nochange']['worst']:.1f})")  # fmt: skip
    row("one record changed", "≤ 3 s", lambda r: f"{r['builds']['changed']['best']:.1f} s"
        + f" ({r['builds']['changed']['best']:.1f}–{r['builds']['changed']['worst']:.1f})")  # fmt: skip
    row("index build, documents/s", "", lambda r: f"{r['search']['index_rate']:,.0f}")
    row(
        "search p50 / p95 / p99 (HTTP)",
        "",
        lambda r: "{p50:.2f} / {p95:.2f} / {p99:.2f} ms".format(**r["search"]["latency"]),
    )
    row("search requests/s (loopback load)", "", lambda r: f"{r['search']['load']['rps']:,.0f}")
    row("plain Pelican, records/s", "", lambda r: f"{r['pelican']['rate']:,.0f} (at {r['pelican']['records']:,})")
    row("plain Pelican, whole N (extrapolated)", "", lambda r: f"{r['records'] / r['pelican']['rate']:,.0f} s")
    row(
        "Hugo, records/s",
        "",
        lambda r: f"{r['hugo']['rate']:,.0f} ({r['hugo']['wall']:.1f} s, {r['hugo']['peak_mb']:,.0f} MB)",
    )
    return "\n".join(rows)


NOTES = "<!-- notes: kept by benchmarks.run --write-docs -->"


def loads(results: dict[str, Any]) -> str:
    """The range of load averages seen before the builds of every N measured."""
    seen = [x for r in results.values() for x in r.get("builds", {}).get("load", [])]
    return f"{min(seen):.1f}–{max(seen):.1f}" if seen else "not recorded"


def write_docs(results: dict[str, Any]) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    first = results[max(results, key=int)]
    body = [
        SECTION, "",
        "`python -m benchmarks.run --records N` (or `make bench N=…`) builds N fictitious demo records from",
        "scratch, then rebuilds them unchanged and with one record edited, then measures search; the",
        "baselines build the same records. Each build is a fresh process (start-up included).", "",
        f"Machine: {first['machine']['machine']}. Other sessions may share it: each figure is the best of",
        f"the runs, with the spread in brackets; load average {loads(results)} (per run in benchmarks/scale-results.json).", "",
        table(results), "",
    ]  # fmt: skip
    for n in sorted(results, key=int):
        body += [f"### {int(n):,} records ({results[n]['machine']['date']})", ""]
        body += [f"- {line}" for line in lines(results[n])] + [""]
    new = "\n".join(body).rstrip("\n")
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        old = text[start : end if end >= 0 else len(text)]
        if NOTES in old:
            new += "\n\n" + old[old.index(NOTES) :].rstrip("\n")
        text = text[:start] + new + "\n" + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3, help="builds of each kind (best and spread are reported)")
    p.add_argument("--baseline", type=int, default=4_000, help="records for plain Pelican (0: skip)")
    p.add_argument("--hugo", type=int, default=None, help="records for Hugo (default: all; 0: skip)")
    p.add_argument("--requests", type=int, default=2000, help="sequential search requests for the latency")
    p.add_argument("--duration", type=int, default=10, help="seconds of wrk load")
    p.add_argument("--no-search", action="store_true")
    p.add_argument("--write-docs", action="store_true", help="record the figures in docs/benchmarks.md")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        if args.child[0] == "launcher":
            launcher()
        elif args.child[0] == "build":
            child_build(*args.child[1:])
            from generator.cli import end_process

            end_process(0)  # as `chenglai build` ends: no teardown of the build's objects
        else:
            child_index(int(args.child[1]), args.child[2])
        return

    n = args.records
    if ASIDE.exists():  # an interrupted run's: deleted now, then a minute for ext4 (set_aside)
        shutil.rmtree(ASIDE)
        time.sleep(60)
    try:
        measure_all(args, n)
    finally:
        shutil.rmtree(ASIDE, ignore_errors=True)


def measure_all(args: argparse.Namespace, n: int) -> None:
    run([sys.executable, "-c", "pass"])  # starts the launcher while this process is small
    print(f"{n:,} records; load average {os.getloadavg()[0]:.1f}", flush=True)
    result: dict[str, Any] = {"records": n, "machine": machine()}
    result["builds"] = measure_builds(n, args.runs)
    if not args.no_search:
        result["search"] = measure_search(n, args.requests, args.duration)
    if args.baseline:
        result["pelican"] = measure_pelican(min(args.baseline, n))
    hugo_n = n if args.hugo is None else args.hugo
    if hugo_n:
        result["hugo"] = measure_hugo(hugo_n)
    print("\n".join(lines(result)))
    if args.write_docs:
        results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        results[str(n)] = result
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        write_docs(results)


if __name__ == "__main__":
    main()
