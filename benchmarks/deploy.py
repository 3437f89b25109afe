"""Publishing and serving (issue 17): search through nginx with two search processes, during a
publish that swaps the index, and the publish of a one-record change.

    python -m benchmarks.deploy --records 20000               # prints the figures
    python -m benchmarks.deploy --records 20000 --write-docs  # and the section of docs/benchmarks.md

With N fictitious records (benchmarks/site.py's content, seeded): one build, a first publish with
rclone to a local host folder, then on loopback nginx (`deploy-config nginx`, unprivileged, rate
limit raised out of the way) in front of two gunicorn search processes (`deploy-config
systemd`'s command line, each one worker of --threads threads), and wrk (Debian) with
benchmarks/search_load.lua cycling through benchmarks/search.py's query mix:

1. steady load for --seconds: requests/s, p50/p95/p99, failed requests;
2. the same load while one record is changed, built and published (the search index swapped
   under load): failed requests must be 0;
3. publish of a one-record change (the `chenglai publish` command, interpreter start included)
   to the local folder, and to SFTP (Debian's sshd on 127.0.0.1) when it runs here.

The programs are the ones the tests start (tests/deployfixture.py). The machine is shared:
the load average is printed with every figure.
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## Publishing and serving (issue 17)"
RESULTS = REPO / "benchmarks" / "deploy-results.json"
TARGETS = {"rps": 2000.0, "p95_ms": 20.0, "errors": 0.0, "publish_s": 5.0}


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def edit_one(content: Path, nonce: int) -> Path:
    """Change one public record's obligation (benchmarks/run.py's edit): its page, its lists,
    feeds and data files and one index document change."""
    from benchmarks.run import edit, one_record

    path = one_record(content)
    edit(path, path.read_text(encoding="utf-8"), nonce)
    return path


def timed_publish(output: Path, content: Path, remote: str) -> float:
    settings = _settings_file(content)
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "generator", "publish", "-s", str(settings), "-o", str(output), "--to",
                        remote], cwd=REPO, capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"publish failed: {r.stderr}")
    print("   ", r.stdout.strip())
    return wall


def _settings_file(content: Path) -> Path:
    """A settings file over the repository's, for this content (the command line reads a file)."""
    path = content.parent / "benchconf.py"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom pelicanconf import *  # noqa\n"
        f"PATH = {str(content)!r}\nPORTAL_AS_OF = '2026-11-25'\nPORTAL_DEMO = True\nTHEME = {str(REPO / 'theme')!r}\n"
        f"PLUGIN_PATHS = [{str(REPO)!r}]\n",
        encoding="utf-8",
    )
    return path


def build(content: Path, output: Path) -> None:
    from generator.build.pipeline import build_site

    r = build_site(_settings_file(content), output=output, allow_drop=True)
    print(f"    build: {r.public} public records, generation {r.generation}, {r.seconds:.1f} s")


def measure(n: int, seconds: int, connections: int, threads: int, sftp: bool) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from benchmarks import search as sb
    from benchmarks.site import content_for
    from tests import deployfixture as host

    work = OUT / f"deploy-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    content = work / "content"  # a copy: the records are edited here
    shutil.copytree(content_for(n), content)
    output = work / "output"
    print(f"{n} records; load average {loadavg()}")
    build(content, output)
    view = sb.public_view(n)
    queries = [t for _k, t in sb.query_mix(view.public, 2000)]
    del view
    result: dict[str, Any] = {"records": n, "threads": threads, "connections": connections, "seconds": seconds}
    index = Path(os.path.realpath(output)).parent / "index"
    result["index_mb"] = sum(p.stat().st_size for p in index.iterdir() if p.is_file()) / 1e6
    with host.host_dir() as root:
        t = time.perf_counter()
        timed = timed_publish(output, content, str(root))
        print(f"    first publish (whole site) to a local folder: {timed:.1f} s ({time.perf_counter() - t:.1f} s)")
        result["first_publish_s"] = timed
        with host.search_processes(root / "index", 2, workers=1, threads=threads) as addrs, \
                host.nginx(root, addrs, rate=1_000_000, burst=100_000) as web:  # fmt: skip
            warm = host.start_load(web.base, queries, 3, 2, connections, folder=work)
            host.load_figures(warm)
            result["load_before"] = loadavg()
            steady = host.load_figures(host.start_load(web.base, queries, seconds, 2, connections, folder=work))
            result["steady"] = steady
            result["load_after"] = loadavg()
            print(f"    steady: {json.dumps(steady)}; load average {result['load_after']}")
            load = host.start_load(web.base, queries, seconds, 2, connections, folder=work)
            time.sleep(2)
            edit_one(content, 1)
            build(content, output)
            result["publish_under_load_s"] = timed_publish(output, content, str(root))
            during = host.load_figures(load)
            result["during_publish"] = during
            result["load_during"] = loadavg()
            print(f"    during a publish: {json.dumps(during)}; load average {result['load_during']}")
        edit_one(content, 2)
        build(content, output)
        result["publish_local_s"] = timed_publish(output, content, str(root))
        result["load_publish"] = loadavg()
        print(f"    one-record publish to a local folder: {result['publish_local_s']:.2f} s")
    if sftp:
        result.update(measure_sftp(content, output, work))
    return result


def measure_sftp(content: Path, output: Path, work: Path) -> dict[str, Any]:
    import pytest

    from tests import deployfixture as host

    keys = Path(tempfile.mkdtemp(prefix="chenglai-sshd-"))
    target = work / "sftp-host"
    target.mkdir()
    try:
        with host.sftp_server(keys) as server:
            remote = server.remote(target)
            first = timed_publish(output, content, remote)
            print(f"    first publish (whole site) over SFTP: {first:.1f} s")
            edit_one(content, 3)
            build(content, output)
            one = timed_publish(output, content, remote)
            print(f"    one-record publish over SFTP: {one:.2f} s")
            return {"sftp_first_s": first, "publish_sftp_s": one, "load_sftp": loadavg()}
    except pytest.skip.Exception as exc:
        print(f"    SFTP not measured: {exc}")
        return {"sftp_skipped": str(exc)}
    finally:
        shutil.rmtree(keys, ignore_errors=True)


def verdict(value: float, target: float, lower: bool = True) -> str:
    return "✅" if (value <= target if lower else value >= target) else "❌"


def section(r: dict[str, Any]) -> str:
    s, d = r["steady"], r["during_publish"]
    rows = [
        f"| search requests/s through nginx (≥ {TARGETS['rps']:,.0f}) | {s['rps']:,.0f} "
        f"{verdict(s['rps'], TARGETS['rps'], lower=False)} | {d['rps']:,.0f} |",
        f"| p50 / p95 / p99 (p95 ≤ {TARGETS['p95_ms']:.0f} ms) | {s['p50_ms']:.1f} / {s['p95_ms']:.1f} "
        f"{verdict(s['p95_ms'], TARGETS['p95_ms'])} / {s['p99_ms']:.1f} ms | {d['p50_ms']:.1f} / {d['p95_ms']:.1f} / "
        f"{d['p99_ms']:.1f} ms |",
        f"| failed requests (= 0): non-2xx + socket errors | {s['non2xx'] + s['errors']:.0f} of {s['requests']:,.0f} "
        f"{verdict(s['non2xx'] + s['errors'], 0)} | {d['non2xx'] + d['errors']:.0f} of {d['requests']:,.0f} "
        f"{verdict(d['non2xx'] + d['errors'], 0)} |",
    ]
    pub = [
        f"| one-record change → local folder (≤ {TARGETS['publish_s']:.0f} s) | {r['publish_local_s']:.2f} s "
        f"{verdict(r['publish_local_s'], TARGETS['publish_s'])} | {r['load_publish']} |",
        f"| the same, while wrk loads the search | {r['publish_under_load_s']:.2f} s "
        f"{verdict(r['publish_under_load_s'], TARGETS['publish_s'])} | {r['load_during']} |",
    ]
    if "publish_sftp_s" in r:
        pub.append(f"| one-record change → SFTP, sshd on 127.0.0.1 (≤ {TARGETS['publish_s']:.0f} s) | "
                   f"{r['publish_sftp_s']:.2f} s {verdict(r['publish_sftp_s'], TARGETS['publish_s'])} | {r['load_sftp']} |")  # fmt: skip
        pub.append(f"| first publish (whole site) → SFTP | {r['sftp_first_s']:.1f} s | |")
    pub.append(f"| first publish (whole site) → local folder | {r['first_publish_s']:.1f} s | |")
    return "\n".join([
        SECTION, "",
        f"`python -m benchmarks.deploy --records {r['records']} --write-docs` "
        f"({r['records']:,} fictitious records{'' if r['records'] >= 100000 else '; the target is stated at 100,000'}). "
        f"nginx 1.22 on loopback "
        f"(`deploy-config nginx`, rate limit raised out of the way) → two gunicorn search processes "
        f"(one worker of {r['threads']} threads each), wrk with {r['connections']} connections for "
        f"{r['seconds']} s per figure, cycling through 2,000 queries of benchmarks/search.py's mix.", "",
        "| search | steady | while a build is published (index swapped) |", "|---|---|---|", *rows, "",
        f"Load average (1/5/15 min) before the steady run {r['load_before']}, after it {r['load_after']}, "
        f"after the run during a publish {r['load_during']}.", "",
        "| publish (`chenglai publish`, interpreter start included) | wall | load average after |", "|---|---|---|",
        *pub, "",
        "The machine has 2 CPUs: nginx, both search processes and wrk (the load generator itself) share "
        "them, so requests/s is what one 2-CPU box gives with its client on it, not the figure of a search "
        "server of its own. The load average is printed with each figure.", "",
        f"**Against the targets.** Failed requests, steady and while a publish swapped the index: "
        f"{'none' if s['non2xx'] + s['errors'] + d['non2xx'] + d['errors'] == 0 else 'some'}. One-record "
        f"publishes within {TARGETS['publish_s']:.0f} s: "
        f"{'met' if r['publish_local_s'] <= TARGETS['publish_s'] and r.get('publish_sftp_s', 0) <= TARGETS['publish_s'] else 'not met'}. "
        f"Search requests/s and p95: "
        f"{'met' if s['rps'] >= TARGETS['rps'] and s['p95_ms'] <= TARGETS['p95_ms'] else 'not met'} "
        f"({s['rps']:,.0f} requests/s against {TARGETS['rps']:,.0f}, p95 {s['p95_ms']:.1f} ms against "
        f"{TARGETS['p95_ms']:.0f} ms). The search index is {r.get('index_mb', 0):.0f} MB; it is sent whole, to a "
        f"new folder, whenever it changes, and the first publish of a whole site is the slow one "
        f"(the table's last rows).", "",
    ])  # fmt: skip


def write_docs(r: dict[str, Any]) -> None:
    text = DOC.read_text(encoding="utf-8")
    new = section(r)
    if SECTION in text:
        start = text.index(SECTION)
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + new + (text[nxt + 1 :] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + new
    DOC.write_text(text, encoding="utf-8")
    RESULTS.write_text(json.dumps(r, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=4, help="threads of each search process's worker")
    ap.add_argument("--no-sftp", action="store_true")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--from-results", action="store_true", help="write the section from deploy-results.json only")
    args = ap.parse_args()
    if args.from_results:
        r = json.loads(RESULTS.read_text(encoding="utf-8"))
    else:
        r = measure(args.records, args.seconds, args.connections, args.threads, not args.no_sftp)
    print(section(r))
    if args.write_docs:
        write_docs(r)


if __name__ == "__main__":
    main()
