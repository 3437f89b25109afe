"""National scale (issue 14): the whole build at N records, against the targets, with baselines.

    python -m benchmarks.run --records 100000            # make bench N=100000
    python -m benchmarks.run --records 10000,100000,300000 --runs 1 --write-docs   # the growth curve

For each N (a comma list is measured one N after the other), with N fictitious records
(generator.staff.demo, seeded; written once under benchmarks/out/), it prints:

- cold build (site + search index, empty state folder): wall time, records/s, the phases;
- peak RSS: the largest process of the build's process tree (wait4);
- no-change rebuild (it must render nothing: `rendered` 0; `written` is printed, and is 0
  too when Pelican's re-written news/pages/theme files are replaced by links to identical
  ones), and one record changed (its obligation edited; one record file parsed): incremental
  builds into a new generation, the output link switched;
- index build documents/s (the real indexer on the same records, in a process of its own);
- search latency p50/p95/p99 through HTTP (gunicorn, 2 workers, one request at a time, over
  the live index: generator.state.paths.index_dir) and requests/s under a bounded loopback
  load (wrk for a fixed time, else a fixed number of requests), reusing benchmarks/search.py;
- baselines on the same records: plain Pelican (records as Markdown articles; measured once,
  at a smaller N, and extrapolated linearly to each N — said so in the output) and Hugo when
  installed (Debian `hugo`; the records as Markdown pages, a minimal theme with the same
  50-per-page lists), at each N.

Every build runs in a fresh process (interpreter start and imports included), after `sync`.
Trees of earlier runs are moved aside and deleted only after every measure (`set_aside`). The
build itself deletes the oldest generation folder in the background at every build from the
third on (generator/build/generations.py `discard`): rebuilds are measured with it as it is
(the load average and the folders still being deleted are printed before each build); cold
builds, the index build and the baselines wait until such a deletion is done, then a minute
(`settle`). The machine is shared: each figure is the best of --runs with the spread.
With --write-docs the figures go into benchmarks/scale-results.json (merged by N: the other
N's figures stay) and the `## Scale (issue 14)` section of docs/benchmarks.md is written from it.
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
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
ASIDE = OUT / "aside"  # earlier runs' trees, deleted after the measures (set_aside)
RESULTS = REPO / "benchmarks" / "scale-results.json"
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## Scale (issue 14)"
OLD_SECTIONS = ("## Scale (issue 7)",)  # replaced by SECTION when the docs are written
ISSUE = "issue 14"  # this design's figures in RESULTS
BEFORE = "issue 7"  # the figures before the redesign (kept, shown for comparison)
AS_OF = date(2026, 11, 25)
TARGET_N = 100_000
# issue 14, at 100,000 records
TARGETS = {"cold": 40.0, "nochange": 2.0, "changed": 3.0, "peak_mib": 1024.0}
# before the redesign at 300,000 records, as issue 14 quotes them (not in RESULTS)
BEFORE_300K = {"changed": "8.9 s", "peak": "2.05 GB"}

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
    print(json.dumps({"public": r.public, "incremental": r.incremental, "parsed": r.parsed, "rendered": r.rendered,
                      "written": r.files_written, "linked": r.files_unchanged, "removed": r.files_removed,
                      "generation": r.generation, "unchanged": getattr(r, "unchanged", False), "phases": r.phases,
                      "cpu": r.cpu}))  # fmt: skip


def child_index(n: int, folder: str) -> None:
    """In the measured process: the real indexer over the PublicView of the same records."""
    from benchmarks import search as sb

    view = sb.public_view(n)
    print(json.dumps(sb.build_index(view, Path(folder))))


def trash_pending(output: Path) -> int:
    """Folders the build's background `rm -rf` is still deleting (generations.discard)."""
    from generator.state import paths

    trash = paths.state_dir(output) / "trash"
    try:
        return sum(1 for _ in trash.iterdir())
    except OSError:
        return 0


def settle(before: str) -> None:
    """Before a cold build or a baseline (not before a rebuild: there the deletion is the
    design's own cost): wait until the builds' background deletions are done, then a minute
    for ext4 (set_aside), so that one N's or one design's deletions do not slow another's."""

    def pending() -> list[Path]:
        return [p for root in (OUT, ASIDE) for p in root.glob("*/.chenglai-state/*/trash/*")]

    if not pending():
        return
    started = time.monotonic()
    while pending() and time.monotonic() - started < 900:
        time.sleep(2)
    time.sleep(60)
    print(
        f"  (waited {time.monotonic() - started:.0f} s before {before}: a background deletion, then ext4)", flush=True
    )


def build(content: Path, output: Path) -> dict[str, Any]:
    # the previous build's written files go to disk first, outside the measure: a cold build
    # writes 160,000 files (1.5 GB), and the next one would otherwise wait for their writeback
    os.sync()
    load, trash = os.getloadavg()[0], trash_pending(output)
    wall, peak, stdout = run([sys.executable, "-m", "benchmarks.run", "--child", "build", str(content), str(output)],
                             cwd=REPO)  # fmt: skip
    fig = json.loads(stdout.strip().splitlines()[-1])
    return {**fig, "wall": wall, "peak_mb": peak, "load": load, "trash": trash}


def best(runs: list[dict[str, Any]], key: str = "wall") -> dict[str, Any]:
    values = sorted(r[key] for r in runs)
    return {"best": values[0], "worst": values[-1], "n": len(values), "all": values}


def fmt_s(stat: dict[str, Any], digits: int = 1) -> str:
    if stat["n"] == 1:
        return f"{stat['best']:.{digits}f} s"
    return f"{stat['best']:.{digits}f} s ({stat['best']:.{digits}f}–{stat['worst']:.{digits}f}, {stat['n']} runs)"


SKIPPED = "; same inputs as the live build: nothing done"


def _before(fig: dict[str, Any]) -> str:
    return f"load {fig['load']:.1f}" + (f", {fig['trash']} folder(s) still being deleted" if fig["trash"] else "")


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
    """A real edit of the record's obligation, different each time (never seen by the store)."""
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
    if os.path.lexists(path):
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
        settle("the cold build")
        root.mkdir(parents=True)
        fig = build(content, output)
        assert not fig["incremental"], fig
        cold.append(fig)
        print(f"  cold build {i + 1}: {fig['wall']:.1f} s, peak {fig['peak_mb']:,.0f} MiB ({_before(fig)}); phases "
              + phases(fig["phases"]), flush=True)  # fmt: skip
    nochange, changed = [], []
    for i in range(runs):
        fig = build(content, output)
        assert fig["incremental"] and fig["rendered"] == 0, fig
        nochange.append(fig)
        print(f"  no-change rebuild {i + 1}: {fig['wall']:.2f} s, peak {fig['peak_mb']:,.0f} MiB "
              f"(rendered {fig['rendered']}, written {fig['written']}{SKIPPED if fig['unchanged'] else ''}; "
              f"{_before(fig)})", flush=True)  # fmt: skip
    path = one_record(content)
    original = path.read_text(encoding="utf-8")
    try:
        for i in range(runs):
            edit(path, original, time.time_ns())
            fig = build(content, output)
            assert fig["incremental"] and fig["parsed"] == 1, fig
            changed.append(fig)
            print(f"  one record changed {i + 1}: {fig['wall']:.2f} s, peak {fig['peak_mb']:,.0f} MiB "
                  f"(rendered {fig['rendered']}, written {fig['written']}; {_before(fig)})", flush=True)  # fmt: skip
    finally:
        path.write_text(original, encoding="utf-8")  # back as generated
    fastest = min(cold, key=lambda f: f["wall"])
    after_check = [f["wall"] - f["phases"]["check"] for f in cold]
    return {
        "records": n,
        "public": fastest["public"],
        "cold": best(cold),
        "cold_phases": fastest["phases"],
        "cold_cpu": fastest["cpu"],
        "after_check_rate": n / min(after_check),
        "peak_mb": best(cold, "peak_mb"),
        "rebuild_peak_mb": max(f["peak_mb"] for f in nochange + changed),
        "nochange": best(nochange),
        "nochange_rendered": max(f["rendered"] for f in nochange),
        "nochange_written": max(f["written"] for f in nochange),
        "nochange_skipped": all(f["unchanged"] for f in nochange),
        "changed": best(changed),
        "changed_rendered": changed[0]["rendered"],
        "changed_written": changed[0]["written"],
        "load": [f["load"] for f in cold + nochange + changed],
        "trash": [f["trash"] for f in cold + nochange + changed],
    }


def measure_search(n: int, requests: int, duration: int) -> dict[str, Any]:
    from benchmarks import search as sb
    from generator.state import paths

    folder = OUT / f"scale-{n}" / "index-bench"
    shutil.rmtree(folder, ignore_errors=True)
    settle("the index build")
    os.sync()
    wall, peak, stdout = run([sys.executable, "-m", "benchmarks.run", "--child", "index", str(n), str(folder)],
                             cwd=REPO)  # fmt: skip
    index = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(folder, ignore_errors=True)
    live = paths.index_dir(OUT / f"scale-{n}" / "output")
    view = sb.public_view(n)
    mix = sb.query_mix(view.public, requests)
    del view
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
    settle("Hugo")
    os.sync()
    load = os.getloadavg()[0]
    wall, peak, _ = run([hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")])
    pages = sum(len(files) for _d, _s, files in os.walk(site / "public"))
    return {"records": n, "wall": wall, "rate": n / wall, "peak_mb": peak, "files": pages, "version": version,
            "load": load}  # fmt: skip


def measure_pelican(n: int) -> dict[str, Any]:
    from benchmarks.site import baseline_content

    base = baseline_content(n)
    out = OUT / f"pelican-{n}" / "output"
    set_aside(out)
    settle("plain Pelican")
    os.sync()
    load = os.getloadavg()[0]
    wall, peak, _ = run([sys.executable, "-m", "pelican", str(base), "-o", str(out), "-q"], cwd=base.parent)
    return {"records": n, "wall": wall, "rate": n / wall, "peak_mb": peak, "load": load}


# -- report ------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    from benchmarks.site import machine as describe

    return {"machine": describe(), "date": time.strftime("%Y-%m-%d"), "time": time.strftime("%H:%M %Z")}


def _mib(mb: float) -> str:
    return f"{mb / 1024:.2f} GiB" if mb >= 1024 else f"{mb:,.0f} MiB"


def verdicts(b: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(what, measured, target, met) of issue 14's targets (they are for 100,000 records)."""
    figures = {"cold": b["cold"]["best"], "nochange": b["nochange"]["best"], "changed": b["changed"]["best"],
               "peak_mib": max(b["peak_mb"]["best"], b["rebuild_peak_mb"])}  # fmt: skip
    return [(k, figures[k], t, figures[k] <= t) for k, t in TARGETS.items()]


def target_line(b: dict[str, Any]) -> str:
    names = {"cold": "cold build", "nochange": "no-change rebuild", "changed": "one record changed",
             "peak_mib": "peak RSS"}  # fmt: skip
    parts = []
    for key, value, target, met in verdicts(b):
        shown = (_mib(value), _mib(target)) if key == "peak_mib" else (f"{value:.1f} s", f"{target:g} s")
        parts.append(f"{names[key]} {shown[0]} {'≤' if met else '>'} {shown[1]} {'met' if met else 'MISSED'}")
    return "issue 14 targets at 100,000 records: " + "; ".join(parts)


def phases(ph: dict[str, float]) -> str:
    """The build's phases in their order (check, render and its parts, leak_gate, commit)."""
    steps = ["check", "render", "leak_gate", "commit"]

    def key(name: str) -> tuple[int, str]:
        top = name.split(".")[0]
        return (steps.index(top) if top in steps else len(steps), "" if name == top else name)

    return ", ".join(f"{k} {ph[k]:.1f} s" for k in sorted(ph, key=key))


def pelican_at(p: dict[str, Any], n: int) -> str:
    if p["records"] == n:
        return f"{p['wall']:.1f} s"
    return f"≈ {n / p['rate']:,.0f} s (extrapolated from {p['records']:,})"


def lines(r: dict[str, Any]) -> list[str]:
    n = r["records"]
    b = r["builds"]
    out = [
        f"records: {n:,} ({b['public']:,} public on {AS_OF}); measured {r['machine']['date']} {r['machine'].get('time', '')}"
        f", load average {min(b['load']):.1f}–{max(b['load']):.1f} before the builds",
        f"cold build (site + search index): {fmt_s(b['cold'])} = {n / b['cold']['best']:,.0f} records/s; "
        "phases of the fastest: " + phases(b["cold_phases"]),
        f"after the check (render, index, leak gate, commit): {b['after_check_rate']:,.0f} records/s",
        f"peak RSS (largest process): cold {_mib(b['peak_mb']['best'])}"
        + (f"–{_mib(b['peak_mb']['worst'])}" if b["peak_mb"]["n"] > 1 else "")
        + f", rebuilds {_mib(b['rebuild_peak_mb'])}",
        f"no-change rebuild: {fmt_s(b['nochange'], 2)} ({b['nochange_rendered']} files rendered, "
        f"{b['nochange_written']} written{SKIPPED if b.get('nochange_skipped') else ''})",
        f"one record changed: {fmt_s(b['changed'], 2)} ({b['changed_rendered']} files rendered, "
        f"{b['changed_written']} written)",
    ]
    if any(b.get("trash", [])):
        out.append(f"generation folders still being deleted in the background before each build: {b['trash']}")
    if n == TARGET_N:
        out.append(target_line(b))
    s = r.get("search")
    if s:
        lat = s["latency"]
        out += [
            f"index build (alone): {s['index_docs']:,} documents in {s['index_wall']:.1f} s = {s['index_rate']:,.0f} docs/s",
            f"search through HTTP: p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms, p99 {lat['p99']:.2f} ms "
            f"({lat['n']} requests; {s['found']:.0%} found their record); load ({s['load_how']}): "
            f"{s['load']['rps']:,.0f} requests/s, {s['load']['errors']:.0f} errors",
        ]
    p = r.get("pelican")
    if p:
        out.append(f"plain Pelican (records as Markdown articles): {p['records']:,} in {p['wall']:.1f} s = "
                   f"{p['rate']:,.0f} records/s, peak {_mib(p['peak_mb'])}"
                   + (f"; extrapolated linearly to {n:,}: {n / p['rate']:,.0f} s" if p["records"] != n else ""))  # fmt: skip
    h = r.get("hugo")
    if h:
        out.append(f"Hugo {h['version']} (records as Markdown pages, minimal theme, 50 per list page): "
                   f"{h['records']:,} in {h['wall']:.1f} s = {h['rate']:,.0f} records/s, peak {_mib(h['peak_mb'])}, "
                   f"{h['files']:,} files")  # fmt: skip
    elif "hugo" in r:
        out.append("Hugo: not installed (Debian package `hugo`)")
    return out


def _cells(results: dict[str, Any], cols: list[str], value: Callable[[dict[str, Any]], str]) -> list[str]:
    cells = []
    for c in cols:
        try:
            cells.append(value(results[c]))
        except (KeyError, TypeError):
            cells.append("—")
    return cells


def _spread(stat: dict[str, Any], digits: int = 1) -> str:
    if stat["n"] == 1:
        return f"{stat['best']:.{digits}f} s"
    return f"{stat['best']:.{digits}f} s ({stat['best']:.{digits}f}–{stat['worst']:.{digits}f})"


def table(results: dict[str, Any]) -> str:
    """The figures by N, with issue 14's targets (at 100,000 records)."""
    cols = sorted(results, key=int)
    if not cols:
        return "(not measured yet with this design)"
    rows = ["| | " + " | ".join(f"{int(c):,} records" for c in cols) + " | target (100,000) |",
            "|---|" + "---|" * len(cols) + "---|"]  # fmt: skip

    def row(label: str, target: str, value: Callable[[dict[str, Any]], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(_cells(results, cols, value)) + f" | {target} |")

    row("cold build (site + index)", f"≤ {TARGETS['cold']:g} s", lambda r: _spread(r["builds"]["cold"]))
    row("cold build, records/s", "", lambda r: f"{r['records'] / r['builds']['cold']['best']:,.0f}")
    row("no-change rebuild", f"≤ {TARGETS['nochange']:g} s", lambda r: _spread(r["builds"]["nochange"]))
    row("  files rendered / written", "0 rendered",
        lambda r: f"{r['builds']['nochange_rendered']} / {r['builds']['nochange_written']}"
        + (" (same inputs: nothing done)" if r["builds"].get("nochange_skipped") else ""))  # fmt: skip
    row("one record changed", f"≤ {TARGETS['changed']:g} s", lambda r: _spread(r["builds"]["changed"]))
    row("  files rendered / written", "",
        lambda r: f"{r['builds']['changed_rendered']} / {r['builds']['changed_written']}")  # fmt: skip
    row("peak RSS, largest process: cold", "≤ 1 GiB", lambda r: _mib(r["builds"]["peak_mb"]["best"]))
    row("peak RSS, largest process: rebuilds", "≤ 1 GiB", lambda r: _mib(r["builds"]["rebuild_peak_mb"]))
    row("index build alone, documents/s", "", lambda r: f"{r['search']['index_rate']:,.0f}")
    row("search p50 / p95 / p99 (HTTP)", "",
        lambda r: "{p50:.2f} / {p95:.2f} / {p99:.2f} ms".format(**r["search"]["latency"]))  # fmt: skip
    row("search requests/s (loopback load)", "", lambda r: f"{r['search']['load']['rps']:,.0f}")
    row("plain Pelican, whole N", "", lambda r: pelican_at(r["pelican"], r["records"]))
    row("Hugo, whole N", "", lambda r: f"{r['hugo']['wall']:.1f} s, {_mib(r['hugo']['peak_mb'])}")
    return "\n".join(rows)


def curve(results: dict[str, Any]) -> str:
    """One row per N: how each figure grows, beside Hugo and plain Pelican at the same N."""
    rows = ["| records | cold build (site + index) | no-change rebuild | one record changed | "
            "peak RSS: cold / rebuilds | Hugo | Hugo peak RSS | plain Pelican (extrapolated) |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for c in sorted(results, key=int):
        r = results[c]
        b = r["builds"]
        cells = [f"{int(c):,}", f"{b['cold']['best']:.1f} s", f"{b['nochange']['best']:.2f} s",
                 f"{b['changed']['best']:.2f} s", f"{_mib(b['peak_mb']['best'])} / {_mib(b['rebuild_peak_mb'])}"]  # fmt: skip
        h = r.get("hugo")
        cells += [f"{h['wall']:.1f} s", _mib(h["peak_mb"])] if h and h["records"] == r["records"] else ["—", "—"]
        p = r.get("pelican")
        cells.append(f"{r['records'] / p['rate']:,.0f} s" if p else "—")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def before_table(before: dict[str, Any]) -> str:
    """Issue 7's figures (the design before this one), with the 300,000 figures issue 14 quotes."""
    cols = sorted(before, key=int)
    if "300000" not in before:
        cols.append("300000")
    rows = ["| before the redesign (issue 7) | " + " | ".join(f"{int(c):,} records" for c in cols) + " |",
            "|---|" + "---|" * len(cols)]  # fmt: skip

    def row(label: str, value: Callable[[dict[str, Any]], str], at_300k: str = "—") -> None:
        cells = _cells(before, cols, value)
        if "300000" not in before:
            cells[-1] = at_300k
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("cold build (site + index)", lambda r: f"{r['builds']['cold']['best']:.1f} s")
    row("no-change rebuild", lambda r: f"{r['builds']['nochange']['best']:.1f} s")
    row("one record changed", lambda r: f"{r['builds']['changed']['best']:.1f} s", BEFORE_300K["changed"])
    row("peak RSS, largest process (cold)", lambda r: _mib(r["builds"]["peak_mb"]["best"]), BEFORE_300K["peak"])
    row("Hugo, same run", lambda r: f"{r['hugo']['wall']:.1f} s, {_mib(r['hugo']['peak_mb'])}")
    return "\n".join(rows)


NOTES = "<!-- notes: kept by benchmarks.run --write-docs -->"
GROWTH = "<!-- growth -->"
GROWTH_TODO = "_(What the new design makes of the growth: to be written after the measurement.)_"
FIRST_NOTES = """What the figures say: to be written after the measurement (issue 14).

- **How the benchmark treats the disk:** each measured build starts after `sync`, and the trees
  of earlier runs are moved aside and deleted only after all measures (`set_aside`). A tree of
  160,000 files deleted just before a cold build made it 78 s instead of 36 s (issue 7): for a
  minute or more ext4 skips each recently freed inode when it allocates one.
- **Each incremental build deletes a generation in the background:** from the third build of an
  output on, a build keeps only its own generation and the one it replaces (for `chenglai
  rollback`) and hands the older one to a background `rm -rf` (generations.py `discard`: 160,000
  entries at 100,000 records). The figures are measured as the design runs: the deletion shares
  the two cores and the disk with the next builds, and leaves freshly freed inodes behind. The
  load average and the folders still being deleted are printed before each build (in
  scale-results.json: `load` and `trash` per build). Cold builds, the index build and the
  baselines (Hugo, Pelican) wait until such a deletion is done, then a minute (`settle`), so
  that one N's deletion does not slow the next N or the other tools.
- Issue 7's notes on the fast paths of its design (view cache, splices, manifest patcher: since
  deleted) are in git history (docs/benchmarks.md at commit bc2ada0)."""


def loads(results: dict[str, Any]) -> str:
    """The range of load averages seen before the builds of every N measured."""
    seen = [x for r in results.values() for x in r.get("builds", {}).get("load", [])]
    return f"{min(seen):.1f}–{max(seen):.1f}" if seen else "not recorded"


def _kept(old: str, marker: str, default: str, paragraph: bool) -> str:
    """What follows `marker` in the old section (to its next blank line when `paragraph`)."""
    if marker not in old:
        return default
    rest = old[old.index(marker) + len(marker) :].lstrip("\n")
    if paragraph:
        rest = rest.split("\n\n", 1)[0]
    return rest.rstrip("\n") or default


def write_docs(all_results: dict[str, Any], doc: Path = DOC) -> None:
    results = all_results.get(ISSUE, {})
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    heading = next((h for h in (SECTION, *OLD_SECTIONS) if h in text), None)
    old = ""
    if heading is not None:
        start = text.index(heading)
        end = text.find("\n## ", start + len(heading))
        old = text[start : end if end >= 0 else len(text)]
    first = results[max(results, key=int)] if results else None
    what = first["machine"]["machine"] if first else "(not measured yet)"
    body = [
        SECTION, "",
        "`python -m benchmarks.run --records N[,N…]` (or `make bench N=…`) builds N fictitious demo records",
        "from scratch (site + search index, empty state), rebuilds them unchanged, then with one record",
        "edited, then measures search; the baselines build the same records. Each build is a fresh",
        "process (start-up included), after `sync`. The growth curve: `--records 10000,100000,300000",
        "--runs 1 --write-docs` (one run each; figures merged by N into benchmarks/scale-results.json).", "",
        f"Machine: {what}. Other sessions may share it: each figure is the best of the runs, with the",
        f"spread in brackets; load average {loads(results)} (per build in benchmarks/scale-results.json).",
        "Memory is the largest process of the build's tree (wait4), in MiB/GiB.", "",
        f"### Targets (issue 14, at {TARGET_N:,} records)", "",
        table(results), "",
    ]  # fmt: skip
    if str(TARGET_N) in results:
        body += [target_line(results[str(TARGET_N)]["builds"]) + ".", ""]
    body += ["### Growth", "", curve(results) if results else "(not measured yet)", "",
             GROWTH, _kept(old, GROWTH, GROWTH_TODO, paragraph=True), ""]  # fmt: skip
    before = all_results.get(BEFORE, {})
    if before:
        dates = sorted({r["machine"]["date"] for r in before.values()})
        body += [
            f"Before the redesign (issue 7's design, measured {', '.join(dates)}, best of 2 runs; the 300,000",
            "figures as issue 14 quotes them). Its targets at 100,000 were: cold ≤ 60 s, no-change ≤ 5 s,",
            "one record changed ≤ 3 s, peak RSS ≤ 1 GB, site pages ≥ 4,000 records/s.", "",
            before_table(before), "",
        ]  # fmt: skip
    for n in sorted(results, key=int):
        body += [f"### {int(n):,} records ({results[n]['machine']['date']})", ""]
        body += [f"- {line}" for line in lines(results[n])] + [""]
    # issue 7's section is replaced whole: its figures are in the table above, its notes (on fast
    # paths since deleted) in git history
    notes = _kept(old, NOTES, FIRST_NOTES, paragraph=False) if heading == SECTION else FIRST_NOTES
    new = "\n".join(body).rstrip("\n") + "\n\n" + NOTES + "\n" + notes
    if heading is not None:
        start = text.index(heading)
        text = text[:start] + new + "\n" + text[start + len(old) :]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    doc.write_text(text, encoding="utf-8")


# -- results -----------------------------------------------------------------------------------
def read_results(path: Path) -> dict[str, Any]:
    """{design: {N: figures}}; a file of the older shape ({N: figures}) holds issue 7's figures."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data and all(k.isdigit() for k in data):
        return {BEFORE: data}
    return data


def save(path: Path, doc: Path, result: dict[str, Any]) -> None:
    """Merge one N's figures into the results file (the other N's stay) and rewrite the docs."""
    results = read_results(path)
    results.setdefault(ISSUE, {})[str(result["records"])] = result
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    write_docs(results, doc)


def counts(text: str) -> list[int]:
    try:
        ns = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of record counts: {text!r}") from None
    if not ns or min(ns) <= 0:
        raise argparse.ArgumentTypeError(f"not a comma list of record counts: {text!r}")
    return ns


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=counts, default=[10_000], help="N, or a comma list measured in turn")
    p.add_argument("--runs", type=int, default=3, help="builds of each kind (best and spread are reported)")
    p.add_argument("--baseline", type=int, default=4_000, help="records for plain Pelican, once (0: skip)")
    p.add_argument("--hugo", type=int, default=None, help="records for Hugo, once (default: at each N; 0: skip)")
    p.add_argument("--requests", type=int, default=2000, help="sequential search requests for the latency")
    p.add_argument("--duration", type=int, default=10, help="seconds of wrk load")
    p.add_argument("--no-search", "--skip-search", action="store_true", dest="no_search")
    p.add_argument("--write-docs", action="store_true", help="record the figures in docs/benchmarks.md")
    p.add_argument("--results", type=Path, default=RESULTS, help=argparse.SUPPRESS)  # a copy, to try the harness
    p.add_argument("--doc", type=Path, default=DOC, help=argparse.SUPPRESS)
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

    if ASIDE.exists():  # an interrupted run's: deleted now, then a minute for ext4 (set_aside)
        shutil.rmtree(ASIDE, ignore_errors=True)
        time.sleep(60)
    try:
        measure_all(args)
    finally:
        shutil.rmtree(ASIDE, ignore_errors=True)


def measure_all(args: argparse.Namespace) -> None:
    run([sys.executable, "-c", "pass"])  # starts the launcher while this process is small
    ns: list[int] = args.records
    print(f"records: {', '.join(f'{n:,}' for n in ns)}; runs {args.runs}; load average {os.getloadavg()[0]:.1f}",
          flush=True)  # fmt: skip
    pelican = hugo_once = None
    if args.baseline:
        pelican = measure_pelican(min(args.baseline, *ns))
        print(f"plain Pelican: {pelican['records']:,} in {pelican['wall']:.1f} s = {pelican['rate']:,.0f} records/s "
              f"(load {pelican['load']:.1f})", flush=True)  # fmt: skip
    if args.hugo:
        hugo_once = measure_hugo(args.hugo)
    done = []
    for n in ns:
        print(f"\n{n:,} records; load average {os.getloadavg()[0]:.1f}", flush=True)
        result: dict[str, Any] = {"records": n, "machine": machine()}
        result["builds"] = measure_builds(n, args.runs)
        if not args.no_search:
            result["search"] = measure_search(n, args.requests, args.duration)
        if pelican:
            result["pelican"] = pelican
        if args.hugo is None:
            result["hugo"] = measure_hugo(n)
        elif args.hugo:
            result["hugo"] = hugo_once
        print("\n".join(lines(result)), flush=True)
        done.append(result)
        if args.write_docs:  # after each N: a failure at a later N keeps this one's figures
            save(args.results, args.doc, result)
    if len(done) > 1:
        print("\n" + curve({str(r["records"]): r for r in done}))


if __name__ == "__main__":
    main()
