"""The search service under a real gunicorn on 127.0.0.1 (random free port), started and stopped here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from .search_fixture import build_index

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


@pytest.fixture
def gunicorn(tmp_path):
    index_dir = build_index(tmp_path)
    port = _free_port()
    env = {**os.environ, "CHENGLAI_INDEX": str(index_dir), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
         "--log-level", "warning", "search.service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"gunicorn did not start: {err.decode()[-2000:]}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        # nothing logged a traceback while serving
        assert b"Traceback" not in err, err.decode()[-2000:]


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
