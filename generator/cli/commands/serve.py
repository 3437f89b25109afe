"""`chenglai serve [--port N] [--as-of DATE] [--no-build] [-o DIR]`: local preview of site + search.

One port on 127.0.0.1: /api/ and /search/?q= go to the search service, everything else is a
static file of the output folder (as a web server would serve it). Both follow the output
link: a build while this runs switches the site and the search index together, and the next
request sees the new build. For preview only; in production a web server serves the files and
gunicorn runs `search.service:create_app()`.
"""

from __future__ import annotations

import argparse
import errno
import mimetypes
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import FileWrapper

from generator.cli.registry import EXIT_OK, command, parse_date
from generator.errors import UsageError

StartResponse = Callable[..., Any]

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}
STATIC_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-cache"),
]


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class StaticFiles:
    """The output folder as a web server serves it: folder → index.html, missing → /404.html.
    `root` is the output path itself, resolved per request: a link a build switches."""

    def __init__(self, root: Path):
        self.root = Path(os.path.abspath(root))

    def _file(self, root: Path, url_path: str) -> Path | None:
        target = (root / url_path.lstrip("/")).resolve()
        if target != root and root not in target.parents:
            return None  # ../ out of the output folder
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        # WSGI hands PATH_INFO as latin-1-decoded bytes
        raw = environ.get("PATH_INFO") or "/"
        try:
            path = raw.encode("latin-1").decode("utf-8")
        except UnicodeError:
            path = raw
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), *STATIC_HEADERS])
            return [b""]
        root = Path(os.path.realpath(self.root))  # once per request: one build's files throughout
        folder = (root / path.lstrip("/")).resolve()
        if not path.endswith("/") and folder.is_dir() and (folder == root or root in folder.parents):
            location = quote(path + "/") + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
            start_response("301 Moved Permanently", [("Location", location), *STATIC_HEADERS])
            return [b""]
        found = self._file(root, path)
        status = "200 OK"
        if found is None:
            status, found = "404 Not Found", self._file(root, "/404.html")
        if found is None:
            body = "<!doctype html><meta charset=utf-8><title>404</title><p>页面不存在</p>".encode()
            start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                                    *STATIC_HEADERS])  # fmt: skip
            return [b""] if method == "HEAD" else [body]
        headers = [
            ("Content-Type", content_type(found)),
            ("Content-Length", str(found.stat().st_size)),
            *STATIC_HEADERS,
        ]
        start_response(status, headers)
        if method == "HEAD":
            return [b""]
        return FileWrapper(found.open("rb"))


def dispatcher(
    static: Callable[..., Iterable[bytes]], search: Callable[..., Iterable[bytes]]
) -> Callable[..., Iterable[bytes]]:
    """/api/… and /search/?q=… to the search service, everything else to the static files."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        qs = environ.get("QUERY_STRING", "")
        if path.startswith("/api/") or (path in ("/search/", "/search") and qs):
            return search(environ, start_response)
        return static(environ, start_response)

    return app


class ThreadingServer(ThreadingMixIn, WSGIServer):
    # server_close() waits for the requests in flight: each is answered and logged before the
    # process exits (a request is logged after its response has gone out)
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True


_RAW_BYTE = re.compile(rb"[\x80-\xff]")


def escape_raw_bytes(request_line: bytes) -> bytes:
    """A request line with bytes above ASCII percent-escaped. `curl 'http://…/search/?q=张三'`
    sends UTF-8 unescaped, and http.server splits the line on what latin-1 calls spaces (张 is
    E5 BC A0: A0 is NBSP), answering 400; escaped, the bytes reach the app as if the client
    had escaped them."""
    return _RAW_BYTE.sub(lambda m: b"%%%02X" % m.group()[0], request_line)


class QuietHandler(WSGIRequestHandler):
    """Logs method, path and status, never the query string: it may hold a name or an ID number."""

    timeout = 10  # seconds: an idle connection (a browser's preconnect) cannot hold up the exit

    def parse_request(self) -> bool:
        self.raw_requestline = escape_raw_bytes(self.raw_requestline)  # type: ignore[has-type]
        return super().parse_request()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        sys.stderr.write(f"{self.command} {path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000；0 表示任选空闲端口）")
    p.add_argument("--as-of", type=parse_date, metavar="DATE", help="按此日期构建（YYYY-MM-DD，默认上海时区今天）")
    p.add_argument("--no-build", action="store_true", help="不构建，直接预览已有的输出目录")
    p.add_argument(
        "-o", "--output", metavar="DIR", help="输出目录（默认：设置文件中的 OUTPUT_PATH，--no-build 时为 output）"
    )
    p.add_argument("-s", "--settings", default="pelicanconf.py", metavar="FILE", help="设置文件（默认 pelicanconf.py）")
    p.add_argument("--index", metavar="DIR", help="固定使用此搜索索引目录（默认：输出目录所指的当前构建的索引）")


def local_siteurl(port: int) -> str:
    """The SITEURL of a local preview: absolute, so that feeds, OPML, sitemaps, CSV and the
    notices' QR text carry URLs a reader and a validator accept (relative ones are invalid there)."""
    return f"http://localhost:{port}"


def listen(port: int, app: Callable[..., Iterable[bytes]]) -> ThreadingServer:
    """The preview's server on 127.0.0.1:`port` (0: any free port); a clear message when taken."""
    if not 0 <= port <= 65535:
        raise UsageError("端口应在 0 到 65535 之间")
    try:
        return make_server("127.0.0.1", port, app, server_class=ThreadingServer,  # type: ignore[return-value]
                           handler_class=QuietHandler)  # fmt: skip
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"端口 {port} 已被占用（可能已有一个预览在运行）：请换一个端口，"
                f"如 chenglai serve --port {port + 1 if port < 65535 else 8001}，"
                f"或 make serve PORT={port + 1 if port < 65535 else 8001}"
            ) from None
        raise UsageError(f"无法在 127.0.0.1:{port} 上监听：{exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    # the socket first: the build needs the port for its absolute SITEURL (--port 0 picks one)
    app = Dispatch()
    server = listen(args.port, app)
    try:
        port = server.server_address[1]
        state = None
        if args.no_build:
            output = Path(args.output or "output")
        else:
            from generator import progress
            from generator.build.pipeline import build_site  # lazily: the build pulls in Pelican

            with progress.shown():
                built = build_site(args.settings, output=args.output, as_of=args.as_of,
                                   overrides={"SITEURL": local_siteurl(port)})  # fmt: skip
            output, state = built.output, built.state
            print(f"构建完成（发布日期 {built.as_of.isoformat()}）：公开记录 {built.public} 条。", flush=True)
        if not (output / "index.html").is_file():
            raise UsageError(f"输出目录 {output} 中没有已构建的网站：请先运行 chenglai build，或去掉 --no-build")
        from search.service import make_app

        # the output path itself, not where it points now: a later build switches it
        search = make_app(Path(args.index)) if args.index else make_app(output=output, state=state)
        app.app = dispatcher(StaticFiles(output), search)
        url = local_siteurl(port)
        print(f"本地预览已启动：{url}/  （搜索：{url}/search/；也可用 http://127.0.0.1:{port}/）", flush=True)
        print("按 Ctrl+C 停止。", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops as cleanly as Ctrl+C
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    finally:
        server.server_close()
    print("已停止。", flush=True)
    return EXIT_OK


class Dispatch:
    """The server's app, set once the build is done (the socket is open before: its port is
    the build's SITEURL). No request is served before: serve_forever starts after."""

    def __init__(self) -> None:
        self.app: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


command("serve", "构建并在本机预览网站与搜索（127.0.0.1）")((configure, run))
