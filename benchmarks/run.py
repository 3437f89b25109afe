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
third on (generator/build/generations.py `discard`): that is measured as it is, and the load
average and the trash still being deleted are printed before each build. The machine is
shared: each figure is the best of --runs with the spread.
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
from datetime import date
from pathlib import Path
from typing import Any, Callable

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
                      "written": r.files_written, "unchanged": r.files_unchanged, "removed": r.files_removed,
                      "generation": r.generation, "phases": r.phases, "cpu": r.cpu}))  # fmt: skip


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
        root.mkdir(parents=True)
        fig = build(content, output)
        assert not fig["incremental"], fig
        cold.append(fig)
        print(f"  cold build {i + 1}: {fig['wall']:.1f} s, peak {fig['peak_mb']:,.0f} MiB ({_before(fig)}); phases "
              + ", ".join(f"{k} {v:.1f}" for k, v in fig["phases"].items()), flush=True)  # fmt: skip
    nochange, changed = [], []
    for i in range(runs):
        fig = build(content, output)
        assert fig["incremental"] and fig["rendered"] == 0, fig
        nochange.append(fig)
        print(f"  no-change rebuild {i + 1}: {fig['wall']:.2f} s, peak {fig['peak_mb']:,.0f} MiB "
              f"(rendered {fig['rendered']}, written {fig['written']}; {_before(fig)})", flush=True)  # fmt: skip
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
    os.sync()
    load = os.getloadavg()[0]
    wall, peak, _ = run([sys.executable, "-m", "pelican", str(base), "-o", str(out), "-q"], cwd=base.parent)
    return {"records": n, "wall": wall, "rate": n / wall, "peak_mb": peak, "load": load}


