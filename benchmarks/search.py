"""Search at scale: index build speed, query latency through HTTP, throughput under load.

    python -m benchmarks.search --records 100000 [--workers 2] [--requests 3000] [--duration 10]

1. Builds the index of N demo records (their PublicView, no YAML written) with the real
   indexer: documents/s, wall and CPU (this process and its writer processes).
2. Starts gunicorn on 127.0.0.1 (free port) over that index and times a mix of name, pinyin,
   case-number and ID queries one after another through HTTP: p50/p95/p99.
3. Loads it with `wrk` (Debian package) for a fixed time and connection count, or with a
   bounded number of requests from a threaded Python client when wrk is missing: requests/s
   and errors. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

from generator.domain.ids import check_digit
from generator.domain.policy import PublicRecord, decide_records
from generator.domain.records import Record, SourceRecord
from generator.render.outputs import RenderContext
from generator.staff import demo
from search import analysis, indexer

AS_OF = date(2026, 11, 25)
ROOT = Path(__file__).resolve().parent.parent


def public_view(n: int):  # type: ignore[no-untyped-def]
    """The PublicView of n demo records, validated by the record model (no YAML round trip)."""
    sources = [
        SourceRecord(f"debtors/{i}.yaml", Record.model_validate(rec), {})
        for i, rec in enumerate(demo.make_records(n, as_of=AS_OF))
    ]
    return decide_records(sources, AS_OF)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def build_index(view, folder: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ctx = RenderContext(view=view, settings={"SITENAME": "基准测试", "SITEURL": "", "THEME": str(ROOT / "theme")})
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu()
    indexer.build(ctx, folder)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    docs = len(view.public)
    size = sum(f.stat().st_size for f in folder.iterdir())
    return {"docs": docs, "wall": wall, "cpu": cpu, "rate": docs / wall, "cpu_rate": docs / cpu, "load": load,
            "mb": size / 2**20}  # fmt: skip


def _full_id(masked: str, rng: random.Random) -> str | None:
    """A full number with this masked form (made up here, never written anywhere)."""
    head, tail = masked[:10], masked[14:]
    days = [(m, d) for m in range(1, 13) for d in range(1, 29)]
    rng.shuffle(days)
    for month, day in days:
        first17 = f"{head}{month:02d}{day:02d}{tail[:3]}"
        if check_digit(first17) == tail[3]:
            return first17 + tail[3]
    return None


def query_mix(public: tuple[PublicRecord, ...], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, text) queries a visitor would type about records that are on the list."""
    rng = random.Random(seed)
    people = [r for r in public if r.kind == "person"]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        r = rng.choice(people)
        kind = rng.choice(("name", "name_part", "pinyin", "initials", "case", "case_part", "id_full", "id_last4"))
        if kind == "name":
            text = r.name
        elif kind == "name_part":
            text = r.name[:2]
        elif kind in ("pinyin", "initials"):
            full, initials = analysis.pinyin_keys(r.name)
            text = full[0] if kind == "pinyin" else initials[0]
        elif kind == "case":
            text = rng.choice((r.case_number, r.case_number.replace("（", "〔").replace("）", "〕"),
                               r.case_number.replace("（", "(").replace("）", ")")))  # fmt: skip
        elif kind == "case_part":
            text = r.case_number[6:-1]  # 鲁0502执1234
        elif kind == "id_full":
            text = _full_id(r.id_masked or "", rng) or (r.id_masked or "")
        else:
            text = (r.id_masked or "")[-4:]
        out.append((kind, text))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(index_dir: Path, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "CHENGLAI_INDEX": str(index_dir), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--log-level", "warning", "--backlog", "512"]  # fmt: skip
    if threads > 1:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen([*cmd, "search.service:create_app()"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/search?q=" + quote("张"))
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("gunicorn did not start")
        time.sleep(0.2)
    # warm every worker (first request opens the index and loads jieba/opencc)
    for _ in range(workers * threads * 4):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/search?q=" + quote("张三"))
        conn.getresponse().read()
        conn.close()
    return proc, port


def latency(port: int, queries: list[tuple[str, str]]) -> dict[str, object]:
    """One request at a time, a new connection each (as a browser's first visit)."""
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    statuses: dict[int, int] = {}
    found = 0
    for kind, text in queries:
        path = "/api/search?q=" + quote(text)
        t = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        dt = (time.perf_counter() - t) * 1000
        times.append(dt)
        by_kind.setdefault(kind, []).append(dt)
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        found += b'"total":0,' not in body
    return {"all": _pcts(times), "kinds": {k: _pcts(v) for k, v in sorted(by_kind.items())}, "statuses": statuses,
            "found": found / len(queries)}  # fmt: skip


def _pcts(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": q[49], "p95": q[94], "p99": q[98], "max": max(values)}


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i])
end
"""


def load_wrk(port: int, queries: list[tuple[str, str]], duration: int, connections: int, tmp: Path) -> dict[str, float]:
    paths = tmp / "paths.txt"
    paths.write_text("".join("/api/search?q=" + quote(t) + "\n" for _k, t in queries), encoding="ascii")
    script = tmp / "mix.lua"
    script.write_text(WRK_SCRIPT % paths, encoding="ascii")
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = {"rps": 0.0, "errors": 0.0, "non2xx": 0.0, "requests": 0.0}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif line.startswith("Socket errors:"):
            result["errors"] = float(sum(int(p.split()[-1]) for p in line.split(":", 1)[1].split(",")))
        elif line.startswith("Non-2xx or 3xx responses:"):
            result["non2xx"] = float(line.split()[-1])
        elif "requests in" in line:
            result["requests"] = float(line.split()[0])
    print(out)
    return result


def load_python(port: int, queries: list[tuple[str, str]], requests: int, clients: int) -> dict[str, float]:
    """A bounded number of requests from `clients` threads (fallback when wrk is missing)."""
    paths = ["/api/search?q=" + quote(t) for _k, t in queries]
    errors = [0]
    lock = threading.Lock()
    per = requests // clients

    def client(offset: int) -> None:
        for i in range(per):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", paths[(offset + i) % len(paths)])
                ok = conn.getresponse().status == 200
                conn.close()
            except OSError:
                ok = False
            if not ok:
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(n * 997,)) for n in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.perf_counter() - t
    return {"rps": per * clients / dt, "errors": float(errors[0]), "non2xx": 0.0, "requests": float(per * clients)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--requests", type=int, default=3000, help="sequential latency requests")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load (wrk)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", metavar="DIR", help="build the index here and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: use the index already there")
    parser.add_argument("--build-runs", type=int, default=3, help="index builds to time (the machine is shared)")
    args = parser.parse_args()

    t = time.perf_counter()
    view = public_view(args.records)
    print(f"{args.records} demo records → {len(view.public)} public ({time.perf_counter() - t:.1f} s to make)")
    tmp = Path(tempfile.mkdtemp(prefix="chenglai-bench-"))
    folder = Path(args.keep) if args.keep else tmp / "index"
    try:
        if args.reuse and (folder / indexer.SITE_FILE).is_file():
            print(f"index build: skipped, using {folder}")
        else:
            runs = []
            for _ in range(max(1, args.build_runs)):
                b = build_index(view, folder)
                runs.append(b)
                print(f"index build: {b['docs']:.0f} documents in {b['wall']:.1f} s wall = {b['rate']:.0f} docs/s; "
                      f"CPU {b['cpu']:.1f} s (all processes) = {b['cpu_rate']:.0f} docs per CPU-second; "
                      f"load average before {b['load']:.1f}; index {b['mb']:.0f} MiB")  # fmt: skip
            rates = sorted(r["rate"] for r in runs)
            print(f"index build over {len(runs)} runs: best {rates[-1]:.0f} docs/s, median "
                  f"{statistics.median(rates):.0f} docs/s, worst {rates[0]:.0f} docs/s")  # fmt: skip
        mix = query_mix(view.public, args.requests)
        proc, port = start_gunicorn(folder, args.workers, args.threads)
        try:
            lat = latency(port, mix)
            a = lat["all"]
            print(f"latency over HTTP ({args.workers} gunicorn workers, {a['n']} sequential requests): "  # type: ignore[index]
                  f"p50 {a['p50']:.2f} ms, p95 {a['p95']:.2f} ms, p99 {a['p99']:.2f} ms, max {a['max']:.1f} ms; "  # type: ignore[index]
                  f"statuses {lat['statuses']}; {lat['found']:.0%} found their record")  # fmt: skip
            for kind, p in lat["kinds"].items():  # type: ignore[attr-defined]
                print(f"  {kind:10s} n={p['n']:4d} p50 {p['p50']:.2f} ms  p95 {p['p95']:.2f} ms  p99 {p['p99']:.2f} ms")
            if shutil.which("wrk"):
                load = load_wrk(port, mix, args.duration, args.connections, tmp)
                how = f"wrk, {args.connections} connections, {args.duration} s"
            else:
                load = load_python(port, mix, args.requests * 2, args.connections)
                how = f"Python client, {args.connections} threads"
            print(f"load ({how}): {load['requests']:.0f} requests, {load['rps']:.0f} requests/s, "
                  f"socket errors {load['errors']:.0f}, non-2xx {load['non2xx']:.0f}; "
                  f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
