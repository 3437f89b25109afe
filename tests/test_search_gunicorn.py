"""The search service under a real gunicorn on 127.0.0.1 (random free port), started and stopped here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest

from .deployfixture import wait_port
from .search_fixture import build_generation, build_index, context, switch_link

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _start(config: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn with two workers of two threads, configured by `config` (CHENGLAI_*)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHENGLAI_")}
    env.update(config, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
         "--log-level", "warning", "search.service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_port(port, proc, "gunicorn")
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        _out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    # nothing logged a traceback while serving
    assert b"Traceback" not in err, err.decode()[-2000:]


@pytest.fixture
def gunicorn(tmp_path):
    proc, base = _start({"CHENGLAI_INDEX": str(build_index(tmp_path))})
    try:
        yield base
    finally:
        _stop(proc)


def test_gunicorn_serves_search(gunicorn):
    status, headers, body = _get(f"{gunicorn}/api/search?{urlencode({'q': 'zsf'})}")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert data["results"][0]["title"] == "张三丰"
    assert (
        headers["X-Content-Type-Options"] == "nosniff"
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    status, _headers, body = _get(f"{gunicorn}/api/search?{urlencode({'q': 'a AND b'})}")
    assert status == 400 and json.loads(body)["status"] == 400
    status, headers, body = _get(f"{gunicorn}/search/?{urlencode({'q': '張三豐'})}")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "张三丰".encode() in body
    status, _headers, _body = _get(f"{gunicorn}/search/")
    assert status == 200
    # many requests over both workers: every one answered
    codes = [
        _get(f"{gunicorn}/api/search?{urlencode({'q': q})}")[0] for q in ("1234", "鲁0502执1234", "zeng", "*") * 10
    ]
    assert codes == [200, 200, 200, 400] * 10


def test_gunicorn_follows_the_output_link(tmp_path):
    """CHENGLAI_OUTPUT: every worker answers from the build the output link points at, and from
    the next one once a build switches the link."""
    output = tmp_path / "output"
    first = build_generation(output, 1, context(tmp_path / "a"))
    switch_link(output, 1)
    proc, base = _start({"CHENGLAI_OUTPUT": str(output)})
    try:
        assert {json.loads(_get(f"{base}/api/search?q=zsf")[2])["total"] for _ in range(8)} == {1}
        build_generation(output, 2, context(tmp_path / "b", as_of=date(2027, 6, 2)), first)  # 张三丰's term ended
        switch_link(output, 2)
        assert {json.loads(_get(f"{base}/api/search?q=zsf")[2])["total"] for _ in range(8)} == {0}
        health = [json.loads(_get(f"{base}/api/health")[2]) for _ in range(4)]
        assert all(h["ok"] and h["generation"] == "g000002" for h in health)
    finally:
        _stop(proc)
