"""The search service: a WSGI app that reads only the live index folder (Whoosh + site.json).

    GET /api/search?q=&court=&region=&ground=&kind=&page=   JSON (SPEC §4)
    GET /search/?q=…                                         HTML results in the site's theme
    GET /search/                                             the search form
    GET /api/health                                          {"ok": true, "generation": …}

Given the site's output path, the service follows the live build: each request resolves the
output link to the index beside the live site (generator.state.paths.index_dir: a readlink and
a few stats) and re-opens the index when that folder or its table of contents changed. A build's
switch of the link is atomic, so a request sees the old index or the new one; a request in
flight keeps the searcher it started with (open files outlive a removed generation).

Run by gunicorn in production: `gunicorn 'search.service:create_app()'`, configured by
    CHENGLAI_OUTPUT  the site's output path (default `output`): the live index is found from it
    CHENGLAI_STATE   the build's state folder (PORTAL_STATE_PATH): only for an output folder of
                     the layout before generations (a link is followed wherever it points)
    CHENGLAI_INDEX   an index folder to read instead; on the public host the `index/` folder
                     `chenglai publish` sends to, whose CURRENT file names the live index
                     (read at each request: a publish switches it like a build switches the link)
and by `chenglai serve` locally. Bad queries answer 400, never 500. Nothing here logs a query:
it may hold a name or an ID number.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from markupsafe import escape
from whoosh import index
from whoosh.searching import Searcher

from generator.domain.records import KINDS
from generator.errors import SearchError
from generator.state import paths

from . import analysis
from . import query as sq
from .indexer import SITE_FILE

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
MAX_QUERY_STRING = 2048
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "theme" / "templates"
KIND_LABELS = {**KINDS, "news": "执行新闻", "restriction": "限制消费令（非失信名单）", "reward": "悬赏执行公告"}
_TOC = re.compile(r"_MAIN_(\d+)\.toc")
POINTER = paths.POINTER
_POINTED = re.compile(r"[A-Za-z0-9_-]{1,64}")

# (the index folder's real path, its device and inode, its table of contents' generation)
IndexKey = tuple[str, int, int, int]


@dataclass
class Generation:
    """One build's index as this process sees it: shared by threads; searchers are per thread."""

    key: IndexKey
    ix: Any
    stats: sq.IndexStats
    site: dict[str, Any]
    places: tuple[sq.Place, ...]
    known: dict[str, frozenset[str]]  # court and region codes of the index (filters: else 400)
    env: jinja2.Environment
    headers: list[tuple[str, str]]

    @property
    def name(self) -> str:
        """The build generation (g000042) whose index this is; else the index folder's name."""
        folder = Path(self.key[0])
        in_generations = folder.name == "index" and folder.parent.parent.name == paths.GENERATIONS
        return folder.parent.name if in_generations else folder.name


def security_headers(siteurl: str = "") -> list[tuple[str, str]]:
    """Headers every response carries. The theme's CSS comes from SITEURL, which may be absolute."""
    origin = ""
    if siteurl.startswith(("http://", "https://")):
        parts = urlsplit(siteurl)
        origin = f" {parts.scheme}://{parts.netloc}"
    csp = (
        f"default-src 'none'; style-src 'self'{origin}; img-src 'self'{origin} data:; "
        f"script-src 'self'{origin}; form-action 'self'{origin}; base-uri 'none'; frame-ancestors 'none'"
    )
    return [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # a query may hold a person's name: never send it on to another site
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]


def _index_key(index_dir: Path) -> IndexKey | None:
    """Identity of the live index: the folder it resolves to (a build switches the output link
    to a new generation's), that folder's inode (a folder swapped in under the same name) and
    the generation of its table of contents (a commit into the same folder). None: no index."""
    try:
        real = os.path.realpath(index_dir)
        st = os.stat(real)
        tocs = [int(m.group(1)) for m in map(_TOC.fullmatch, os.listdir(real)) if m]
    except OSError:
        return None
    return (real, st.st_dev, st.st_ino, max(tocs)) if tocs else None


class SearchApp:
    """WSGI app over the live index of a site (`output`) or over one index folder (`index_dir`);
    re-opens the index when a new build goes live."""

    def __init__(self, index_dir: str | Path | None = None, per_page: int = sq.PER_PAGE,
                 timelimit: float = sq.TIME_LIMIT, *, output: str | Path | None = None,
                 state: str | Path | None = None):  # fmt: skip
        if (index_dir is None) == (output is None):
            raise ValueError("SearchApp: give an index folder or a site's output path")
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.output = Path(output) if output is not None else None
        self.state = state  # the build's configured state folder (PORTAL_STATE_PATH), if any
        self.per_page = per_page
        self.timelimit = timelimit
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._local = threading.local()  # searchers are not thread-safe: one per thread
        self._pointed: Path | None = None  # the index the publish pointer last named

    # ------------------------------------------------------------ index generations

    def live_index(self) -> Path:
        """The index folder to read now: beside the live site, or the one given."""
        if self.output is not None:
            return paths.index_dir(self.output, self.state)
        assert self.index_dir is not None
        return self._published(self.index_dir)

    def _published(self, folder: Path) -> Path:
        """A folder `chenglai publish` sends to (index/CURRENT names the live index beside it):
        the index it names. The pointer is rewritten in place by the transport, so a read that
        finds it empty or half-written keeps the index named before (never a failed request)."""
        try:
            with open(folder / POINTER, "rb") as fh:
                name = fh.read(256).decode("ascii", "replace").strip()
        except OSError:
            return folder  # a plain index folder
        if _POINTED.fullmatch(name) and (folder / name).is_dir():
            self._pointed = folder / name
        return self._pointed or folder

    def generation(self) -> Generation:
        # twice: a build may switch the link and remove the generation just resolved (it keeps
        # the live one and the one before, so a second look finds one that stays)
        for attempt in (1, 2):
            key = _index_key(self.live_index())
            gen = self._generation
            if gen is not None and gen.key == key:
                return gen
            if key is None:
                break
            with self._lock:
                gen = self._generation
                if gen is not None and gen.key == key:
                    return gen
                try:
                    gen = self._open(key)
                except (OSError, index.IndexError):
                    if attempt == 2:
                        raise SearchError("搜索索引正在更新，请稍后再试", 503) from None
                    continue
                old, self._generation = self._generation, gen
            if old is not None:
                log.info("search index re-opened: %s", gen.name)
            return gen
        raise SearchError("搜索索引尚未建立：请先运行 chenglai build", 503)

    def _open(self, key: IndexKey) -> Generation:
        folder = Path(key[0])
        ix = index.open_dir(str(folder))
        with ix.reader() as reader:
            stats = sq.IndexStats(reader)
        try:
            site = json.loads((folder / SITE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            site = {}
        templates = Path(site.get("templates") or PACKAGE_TEMPLATES)
        if not (templates / "search.html").is_file():
            templates = PACKAGE_TEMPLATES  # index built from another checkout: use our own theme
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True, trim_blocks=False)
        places = sq.places_from_facets(site.get("facets") or {})
        known = sq.known_filters(site.get("facets") or {})
        return Generation(key, ix, stats, site, places, known, env, security_headers(site.get("SITEURL", "")))

    def warm(self) -> None:
        """Load jieba's dictionary and open the index now, not on a visitor's first request."""
        analysis.words("预热")
        try:
            self.generation()
        except SearchError:
            pass  # no index yet: requests answer 503 until a build writes one

    def searcher(self, gen: Generation) -> Searcher:
        """This thread's searcher of `gen`; its searcher of an older generation is closed now,
        when the thread is between requests."""
        local = self._local
        if getattr(local, "key", None) != gen.key:
            old = getattr(local, "searcher", None)
            if old is not None:
                old.close()
            local.searcher = None
            local.searcher = sq.open_searcher(gen.ix, gen.stats)
            local.key = gen.key
        return local.searcher  # type: ignore[no-any-return]

    def search(self, text: str, filters: sq.Filters, page: int, gen: Generation | None = None) -> sq.Page:
        gen = gen or self.generation()
        parsed = sq.parse(text, gen.places)
        return sq.run(self.searcher(gen), parsed, filters, page, self.per_page, self.timelimit)

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        api = path.startswith("/api/")
        try:
            if method not in ("GET", "HEAD"):
                raise SearchError("只支持 GET 请求", 405)
            if path == "/api/search":
                status, ctype, body = self._api(environ)
            elif path == "/api/health":
                status, ctype, body = self._health()
            elif path in ("/search/", "/search", "/search/index.html"):
                status, ctype, body = self._html(environ)
            else:
                raise SearchError("页面不存在", 404)
        except SearchError as exc:
            status, ctype, body = self._error(exc, api)
        except Exception as exc:  # never a traceback page; the log has the frames, not the message
            # (an exception's message may quote what was typed: a name, an ID number)
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("search request failed: %s %s\n%s", path, type(exc).__name__, frames)
            status, ctype, body = self._error(SearchError("搜索服务内部错误，请稍后再试", 500), api)
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
        headers += self._headers()
        if status.startswith("405"):
            headers.append(("Allow", "GET, HEAD"))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def _headers(self) -> list[tuple[str, str]]:
        gen = self._generation
        return gen.headers if gen is not None else security_headers()

    @staticmethod
    def _params(environ: dict[str, Any]) -> dict[str, str]:
        raw = environ.get("QUERY_STRING", "")
        if len(raw) > MAX_QUERY_STRING:
            raise SearchError("请求参数过长")
        raw = raw_utf8(raw)
        try:
            parsed = parse_qs(raw, keep_blank_values=True, errors="strict", max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise SearchError("请求参数编码不正确（应为 UTF-8）") from None
        return {k: v[0] for k, v in parsed.items()}

    @staticmethod
    def _query(params: dict[str, str], gen: Generation) -> tuple[str, sq.Filters, int]:
        filters = sq.parse_filters(params.get("court"), params.get("region"), params.get("ground"), params.get("kind"),
                                   gen.known)  # fmt: skip
        return params.get("q", ""), filters, sq.parse_page(params.get("page"))

    def _api(self, environ: dict[str, Any]) -> tuple[str, str, bytes]:
        params = self._params(environ)
        gen = self.generation()
        text, filters, page = self._query(params, gen)
        result = self.search(text, filters, page, gen)
        return "200 OK", "application/json; charset=utf-8", _json(result.as_json(site_root(gen.site)))

    def _health(self) -> tuple[str, str, bytes]:
        try:
            gen = self.generation()
        except SearchError as exc:
            return _status(exc.status), "application/json; charset=utf-8", _json({"ok": False, "error": str(exc)})
        body = {"ok": True, "generation": gen.name, "toc": gen.key[3], "documents": gen.stats.docs,
                "as_of": gen.site.get("as_of")}  # fmt: skip
        return "200 OK", "application/json; charset=utf-8", _json(body)

    def _html(self, environ: dict[str, Any]) -> tuple[str, str, bytes]:
        params = self._params(environ)
        # one generation for the whole page: results and the theme they are shown in
        gen = self.generation()
        if "q" not in params:
            return "200 OK", "text/html; charset=utf-8", render_page(gen.env, gen.site, filters=sq.Filters())
        try:
            text, filters, page = self._query(params, gen)
            result = self.search(text, filters, page, gen)
        except SearchError as exc:
            if exc.status >= 500 and exc.status != 503:
                raise
            body = render_page(gen.env, gen.site, query=sq.masked_echo(params.get("q", "")[:200]), error=str(exc),
                               filters=sq.Filters())  # fmt: skip
            return _status(exc.status), "text/html; charset=utf-8", body
        return "200 OK", "text/html; charset=utf-8", render_page(gen.env, gen.site, result=result, filters=filters)

    def _error(self, exc: SearchError, api: bool) -> tuple[str, str, bytes]:
        status = exc.status if exc.status in _REASONS else 400
        if api:
            return _status(status), "application/json; charset=utf-8", _json({"error": str(exc), "status": status})
        body = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{status}</title><p>{_esc(str(exc))}</p></html>'
        return _status(status), "text/html; charset=utf-8", body.encode("utf-8")


_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
            503: "Service Unavailable"}  # fmt: skip


def raw_utf8(query_string: str) -> str:
    """The query string with characters sent unescaped read as UTF-8. WSGI (PEP 3333) hands the
    request's bytes over as latin-1: `curl 'http://…/api/search?q=张三'` arrives as 'å¼ ä¸\x89'.
    Percent-escapes are left to parse_qs; a string that is not latin-1 was decoded already."""
    if query_string.isascii():
        return query_string
    try:
        return query_string.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        return query_string
    except UnicodeDecodeError:
        raise SearchError("请求参数编码不正确（应为 UTF-8）") from None


def site_root(site: dict[str, Any]) -> str:
    """The site's root path, with a slash at each end: / or SITEURL's path (/shixin/)."""
    path = urlsplit(str(site.get("SITEURL") or "")).path.strip("/")
    return f"/{path}/" if path else "/"


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Bad Request')}"


def _esc(text: str) -> str:
    return str(escape(text))


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def page_numbers(page: int, pages: int, width: int = 2) -> list[int]:
    """Page links around the current one, plus the first and the last."""
    around = range(max(1, page - width), min(pages, page + width) + 1)
    return sorted({1, pages, *around})


def render_page(env: jinja2.Environment, site: dict[str, Any], *, result: sq.Page | None = None,
                query: str = "", error: str | None = None, filters: sq.Filters | None = None,
                static: bool = False) -> bytes:  # fmt: skip
    """The search page: form, optional results or error. Shared by the service and search.pages."""
    search_url = site.get("PORTAL_SEARCH_URL", "/search/")

    def page_url(n: int) -> str:
        assert result is not None
        params = {"q": result.query, **result.filters.as_dict()}
        if n > 1:
            params["page"] = str(n)
        return f"{search_url}?{urlencode(params)}"

    context = {
        **(site.get("context") or {}),
        "SITENAME": site.get("SITENAME", ""),
        "SITEURL": site.get("SITEURL", ""),
        "PORTAL_DEMO": site.get("PORTAL_DEMO", False),
        "PORTAL_SEARCH_URL": search_url,
        "query": result.query if result else query,
        "page": result,
        "page_numbers": page_numbers(result.page, result.pages) if result else [],
        "page_url": page_url,
        "error": error,
        "facets": site.get("facets") or {},
        "filters": (filters or sq.Filters()).__dict__,
        "kind_labels": KIND_LABELS,
        "static": static,
    }
    html = env.get_template("search.html").render(context)
    return html.encode("utf-8")


def make_app(index_dir: str | Path | None = None, **kwargs: Any) -> SearchApp:
    """The app over an index folder, or (`output=`, `state=`) over the live index of a site."""
    return SearchApp(index_dir, **kwargs)


def app_from_env(environ: dict[str, str] | None = None) -> SearchApp:
    """CHENGLAI_INDEX (a fixed index folder), else the live index of CHENGLAI_OUTPUT (default
    `output`; its state folder from CHENGLAI_STATE when the build configures one)."""
    env = os.environ if environ is None else environ
    configured = env.get("CHENGLAI_INDEX")
    if configured:
        return make_app(Path(configured))
    return make_app(output=Path(env.get("CHENGLAI_OUTPUT") or "output"), state=env.get("CHENGLAI_STATE") or None)


def create_app() -> SearchApp:
    """Factory for gunicorn: `gunicorn 'search.service:create_app()'`."""
    app = app_from_env()
    app.warm()
    return app
