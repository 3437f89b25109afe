"""`chenglai search` on a built fixture index, and `chenglai serve --no-build` over a real socket."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from generator.cli import main
from search.pages import render

from .factory import AS_OF
from .search_fixture import build_generation, build_index, context, switch_link
from .sitefixture import REPO, SETTINGS, Site

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("cli"))


def test_search_prints_results(index_dir, capsys):
    assert main(["search", "zsf", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. 张三丰（自然人 · 东营市东营区人民法院）  /debtors/2024-lu0502-zhi-1234/")
    assert "共 1 条" in out


def test_search_json_and_filters(index_dir, capsys):
    assert main(["search", "张", "--json", "--court", "lu0522", "--index", str(index_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["title"] for r in data["results"]] == ["张伟"] and data["total"] == 1


def test_search_nothing_found(index_dir, capsys):
    assert main(["search", "王五", "--index", str(index_dir)]) == 0  # removed: not public
    assert "没有找到" in capsys.readouterr().out


def test_search_bad_query_and_missing_index_are_usage_errors(index_dir, tmp_path, capsys):
    assert main(["search", "张 AND 李", "--index", str(index_dir)]) == 2
    assert "不支持查询语法" in capsys.readouterr().err
    assert main(["search", "张", "--index", str(tmp_path / "none")]) == 2
    assert "chenglai build" in capsys.readouterr().err
    assert main(["search", "张", "--court", "鲁", "--index", str(index_dir)]) == 2


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def wait_for_url(proc: subprocess.Popen[str], timeout: float = 120) -> list[str]:
    """stdout lines of `chenglai serve` up to the one with its URL; fails (not hangs) otherwise."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        try:
            for line in proc.stdout or ():
                lines.put(line)
        except (ValueError, OSError):  # the pipe closed under us when the test stopped serve
            pass
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        got.append(line)
        if "http://127.0.0.1:" in line:
            return got
    proc.kill()
    _out, err = proc.communicate()
    pytest.fail("serve did not start: " + "".join(got) + err[-3000:])


def serve_site(tmp_path: Path, site: Site) -> subprocess.Popen[str]:
    """`chenglai serve --port 0` (its build included) over a fixture site, from `tmp_path`."""
    settings = tmp_path / "conf.py"
    settings.write_text(
        SETTINGS.read_text(encoding="utf-8")
        + f"\nPATH = {str(site.content)!r}\nTHEME = {str(REPO / 'theme')!r}\nOUTPUT_PATH = {str(site.output)!r}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "-s", str(settings), "--as-of", AS_OF.isoformat(), "--port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture
def served(tmp_path):
    """A small output folder, its search index, and `chenglai serve --no-build` on a free port."""
    out = tmp_path / "site"
    files = {
        "index.html": "<!doctype html><title>首页</title>",
        "404.html": "<!doctype html><title>找不到</title><p>页面不存在（站点 404）</p>",
        "debtors/2024-lu0502-zhi-1234/index.html": "<!doctype html><title>张三丰</title>",
        "feeds/listings.atom": "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>",
        "feeds/listings.rss": "<?xml version='1.0'?><rss/>",
        "feeds/feeds.opml": "<?xml version='1.0'?><opml/>",
        "data/debtors.csv": "\ufeffid\n",
        "data/debtors.json": "[]",
        "theme/css/site.css": "body{}",
    }
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the output", encoding="utf-8")
    for f in render(context(tmp_path / "content")):
        (out / f.path).parent.mkdir(parents=True, exist_ok=True)
        (out / f.path).write_bytes(f.data)
    index_dir = build_index(tmp_path / "ix")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--no-build", "--port", "0", "-o", str(out),
         "--index", str(index_dir)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = wait_for_url(proc)
        yield lines[-1].split("/  ", 1)[0].split("：", 1)[1], proc
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_serve_static_files_and_search_on_one_port(served):
    base, _proc = served
    status, headers, body = _get(f"{base}/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8" and "首页".encode() in body
    assert _get(f"{base}/debtors/2024-lu0502-zhi-1234/")[0] == 200
    status, headers, _ = _get(f"{base}/debtors/2024-lu0502-zhi-1234")
    assert status == 301 and headers["Location"] == "/debtors/2024-lu0502-zhi-1234/"
    types = {
        "/feeds/listings.atom": "application/atom+xml; charset=utf-8",
        "/feeds/listings.rss": "application/rss+xml; charset=utf-8",
        "/feeds/feeds.opml": "text/x-opml; charset=utf-8",
        "/data/debtors.csv": "text/csv; charset=utf-8",
        "/data/debtors.json": "application/json; charset=utf-8",
        "/theme/css/site.css": "text/css; charset=utf-8",
    }
    for path, ctype in types.items():
        status, headers, _ = _get(base + path)
        assert (status, headers["Content-Type"]) == (200, ctype), path
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, _headers, body = _get(f"{base}/no/such/page/")
    assert status == 404 and "站点 404".encode() in body
    assert _get(f"{base}/../secret.txt")[0] == 404
    assert _get(f"{base}/%2e%2e/secret.txt")[0] == 404
    # the static search page without q, the service with q and for /api/
    status, _headers, body = _get(f"{base}/search/")
    assert status == 200 and "搜索服务".encode() in body
    status, headers, body = _get(f"{base}/search/?{urlencode({'q': '张三丰'})}")
    assert status == 200 and "<mark>张三丰</mark>".encode() in body and "Content-Security-Policy" in headers
    status, _headers, body = _get(f"{base}/api/search?q={quote('鲁0502执1234')}")
    assert status == 200 and json.loads(body)["results"][0]["id"] == "2024-lu0502-zhi-1234"
    assert _get(f"{base}/api/search?q=%2A")[0] == 400


def test_serve_logs_no_query_strings(served):
    base, proc = served
    _get(f"{base}/api/search?{urlencode({'q': '张三丰'})}")
    _get(f"{base}/")
    proc.terminate()
    _out, err = proc.communicate(timeout=20)
    # the status may be 503 on a loaded machine (query time limit); the point is the log line
    assert re.search(r"GET /api/search \d{3}", err), err
    assert "张三丰" not in err and "%E5" not in err and "q=" not in err


def test_serve_without_a_built_site_is_a_usage_error(tmp_path, capsys):
    assert main(["serve", "--no-build", "-o", str(tmp_path / "nothing")]) == 2
    assert "chenglai build" in capsys.readouterr().err


def test_search_reads_the_live_index_of_an_output_link(tmp_path, capsys):
    output = tmp_path / "output"
    build_generation(output, 1, context(tmp_path / "a"))
    assert main(["search", "zsf", "-o", str(output)]) == 2  # nothing is live yet
    assert "chenglai build" in capsys.readouterr().err
    switch_link(output, 1)
    assert main(["search", "zsf", "-o", str(output)]) == 0
    assert "共 1 条" in capsys.readouterr().out


def test_serve_follows_a_build_switched_in_while_it_runs(tmp_path):
    """`chenglai serve --no-build` on an output link: a build switching the link is seen by the
    static files and by the search at the next request."""
    output = tmp_path / "output"
    first = build_generation(output, 1, context(tmp_path / "a"))
    switch_link(output, 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--no-build", "--port", "0", "-o", str(output)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = wait_for_url(proc)[-1].split("/  ", 1)[0].split("：", 1)[1]
        assert "第 1 次构建".encode() in _get(f"{base}/")[2]
        assert json.loads(_get(f"{base}/api/search?q=zsf")[2])["total"] == 1
        # the next build: a later date, on which 张三丰's term has ended
        build_generation(output, 2, context(tmp_path / "b", as_of=date(2027, 6, 2)), first)
        switch_link(output, 2)
        assert "第 2 次构建".encode() in _get(f"{base}/")[2]
        assert json.loads(_get(f"{base}/api/search?q=zsf")[2])["total"] == 0
        assert json.loads(_get(f"{base}/api/health")[2])["generation"] == "g000002"
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
