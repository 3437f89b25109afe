"""The search service called in process through WSGI: JSON shape, errors, headers, HTML pages,
pagination, and re-opening the index when a new build is swapped in."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from datetime import date
from urllib.parse import urlencode

import lxml.html
import pytest

from generator.render.outputs import RENDERERS
from generator.state import paths
from search import indexer
from search import query as sq
from search.pages import render
from search.service import app_from_env, make_app

from .search_fixture import PUBLIC, build_generation, build_index, context, full_id, switch_link

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def call(app, path, query=None, method="GET", raw_qs=None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": raw_qs if raw_qs is not None else urlencode(query or {}),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    got = {}

    def start_response(status, headers):
        got["status"], got["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return int(got["status"].split()[0]), got["headers"], body


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("svc"))


@pytest.fixture(scope="module")
def app(index_dir):
    return make_app(index_dir)


def test_api_json_shape(app):
    status, headers, body = call(app, "/api/search", {"q": "张三丰"})
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert list(data) == ["query", "total", "page", "per_page", "results", "removed"]
    assert data["query"] == "张三丰" and data["page"] == 1 and data["total"] >= 1
    first = data["results"][0]
    assert list(first) == ["id", "url", "title", "kind", "court", "snippet"]
    assert first == {
        "id": "2024-lu0502-zhi-1234",
        "url": "/debtors/2024-lu0502-zhi-1234/",
        "title": "张三丰",
        "kind": "person",
        "court": "东营市东营区人民法院",
        "snippet": first["snippet"],
    }
    assert "（2024）鲁0502执1234号" in first["snippet"] and "3705021985****1234" in first["snippet"]


def test_api_filters(app):
    data = json.loads(call(app, "/api/search", {"q": "张", "court": "lu0522"})[2])
    assert [r["title"] for r in data["results"]] == ["张伟"] and data["total"] == 1
    data = json.loads(call(app, "/api/search", {"q": "张", "court": "", "region": "", "kind": ""})[2])
    assert data["total"] >= 2


def test_api_full_id_is_never_echoed(app):
    number = full_id(PUBLIC["张三丰"]["debtor"]["id_masked"])
    status, _headers, body = call(app, "/api/search", {"q": number})
    assert status == 200
    assert number.encode() not in body
    assert json.loads(body)["query"] == "3705021985****1234"
    status, _headers, body = call(app, "/search/", {"q": number})
    assert status == 200 and number.encode() not in body


@pytest.mark.parametrize(
    ("query", "raw"),
    [
        ({}, None),
        ({"q": ""}, None),
        ({"q": "   "}, None),
        ({"q": "张" * 101}, None),
        ({"q": "张 AND 李"}, None),
        ({"q": "张*"}, None),
        ({"q": "name:张"}, None),
        ({"q": "张", "page": "0"}, None),
        ({"q": "张", "page": "x"}, None),
        ({"q": "张", "page": "101"}, None),
        ({"q": "张", "court": "<script>"}, None),
        ({"q": "张", "kind": "secret"}, None),
        (None, "q=%FF%FE"),
        (None, "q=" + "a" * 3000),
    ],
)
def test_api_bad_requests_answer_400_json(app, query, raw):
    status, headers, body = call(app, "/api/search", query, raw_qs=raw)
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["status"] == 400 and data["error"]
    for name in SECURITY_HEADERS:
        assert name in headers


def test_other_methods_and_paths(app):
    status, headers, _ = call(app, "/api/search", {"q": "张"}, method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, headers, _ = call(app, "/api/nothing")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    status, headers, body = call(app, "/api/search", {"q": "张"}, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("path", "query"),
    [("/api/search", {"q": "张"}), ("/api/search", {"q": ""}), ("/search/", {"q": "张"}), ("/search/", {}),
     ("/search/", {"q": "张*"}), ("/nope", {})],
)  # fmt: skip
def test_security_headers_on_every_response(app, path, query):
    _status, headers, _ = call(app, path, query)
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"


def test_pagination(index_dir):
    small = make_app(index_dir, per_page=3)
    first = json.loads(call(small, "/api/search", {"q": "东营区人民法院"})[2])
    second = json.loads(call(small, "/api/search", {"q": "东营区人民法院", "page": "2"})[2])
    assert first["per_page"] == 3 and len(first["results"]) == 3 and second["page"] == 2
    assert first["total"] == second["total"] > 6
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    beyond = json.loads(call(small, "/api/search", {"q": "东营区人民法院", "page": "50"})[2])
    assert beyond["results"] == [] and beyond["total"] == first["total"]
    html = lxml.html.fromstring(call(small, "/search/", {"q": "东营区人民法院", "page": "2"})[2])
    nav = html.cssselect("nav.pager")[0]
    assert nav.cssselect("[aria-current=page]")[0].text == "2"
    hrefs = [a.get("href") for a in nav.cssselect("a")]
    assert "/search/?q=%E4%B8%9C%E8%90%A5%E5%8C%BA%E4%BA%BA%E6%B0%91%E6%B3%95%E9%99%A2" in hrefs  # page 1
    assert any(h.endswith("page=3") for h in hrefs)
    assert html.cssselect("ol.search-results")[0].get("start") == "4"


def test_html_results_page_needs_no_javascript(app):
    status, headers, body = call(app, "/search/", {"q": "张三丰"})
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    doc = lxml.html.fromstring(body)
    assert not doc.cssselect("script")
    assert not any(k.startswith("on") for el in doc.iter() for k in el.attrib)
    form = doc.cssselect("form.search-form")[0]
    assert form.get("method") == "get" and form.get("action") == "/search/"
    assert form.cssselect("input[name=q]")[0].get("value") == "张三丰"
    for name in ("court", "region", "ground", "kind"):
        assert form.cssselect(f"select[name={name}]")
    first = doc.cssselect("ol.search-results li")[0]
    assert first.cssselect("a")[0].get("href") == "/debtors/2024-lu0502-zhi-1234/"
    assert [m.text for m in first.cssselect("h2 mark")] == ["张三丰"]
    assert "找到" in doc.cssselect(".search-count")[0].text_content()
    assert doc.cssselect('meta[name="robots"]')[0].get("content") == "noindex"


def test_html_selected_filter_and_kind_labels(app):
    doc = lxml.html.fromstring(call(app, "/search/", {"q": "鑫盛", "kind": "organization"})[2])
    assert doc.cssselect("select[name=kind] option[selected]")[0].get("value") == "organization"
    assert "法人或其他组织" in doc.cssselect(".search-meta")[0].text_content()


def test_html_form_page_without_query(app):
    status, _headers, body = call(app, "/search/")
    assert status == 200
    doc = lxml.html.fromstring(body)
    assert doc.cssselect("form.search-form") and not doc.cssselect("ol.search-results")
    assert not doc.cssselect(".search-service-note")  # the service is running: no "needs the service" note
    courts = [o.get("value") for o in doc.cssselect("select[name=court] option")]
    assert courts == ["", "lu0502", "lu0522", "lu0523"]


def test_html_bad_query_answers_400_page(app):
    status, headers, body = call(app, "/search/", {"q": "张 OR 李"})
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    doc = lxml.html.fromstring(body)
    assert "不支持查询语法" in doc.cssselect(".search-error")[0].text_content()
    assert doc.cssselect("form.search-form")


def test_html_escapes_what_was_typed(app):
    _status, _headers, body = call(app, "/search/", {"q": "<b>张</b>"})
    assert b"<b>" not in body


def test_missing_index_answers_503(tmp_path):
    app = make_app(tmp_path / "none")
    status, headers, body = call(app, "/api/search", {"q": "张"})
    assert status == 503 and json.loads(body)["status"] == 503
    assert "X-Content-Type-Options" in headers


def test_static_search_page_renderer(tmp_path):
    ctx = context(tmp_path / "c")
    assert "search.pages:RENDERER" in RENDERERS
    pages = list(render(ctx))
    assert [p.path for p in pages] == ["search/index.html"]
    doc = lxml.html.fromstring(pages[0].data)
    assert not doc.cssselect("script")
    assert doc.cssselect("form.search-form")[0].get("action") == "/search/"
    assert "搜索服务" in doc.cssselect(".search-service-note")[0].text_content()
    assert [o.get("value") for o in doc.cssselect("select[name=region] option")] == ["", "370502", "370522", "370523"]
    # the withheld records are not counted in the filter choices
    options = doc.cssselect("select[name=court] option")
    assert "东营市东营区人民法院（8）" in [o.text for o in options]


def _swap(live, staging):
    old = live.with_name(live.name + ".old")
    os.rename(live, old)
    os.rename(staging, live)


def test_index_is_reopened_after_a_new_build_is_swapped_in(tmp_path):
    live = tmp_path / "index"
    indexer.build(context(tmp_path / "a"), live)
    app = make_app(live)
    totals = []
    swapped, asked = threading.Event(), threading.Event()

    def other_thread():  # holds its own searcher across the swap
        totals.append(json.loads(call(app, "/api/search", {"q": "张三丰"})[2])["total"])
        asked.set()
        swapped.wait(30)
        totals.append(json.loads(call(app, "/api/search", {"q": "张三丰"})[2])["total"])

    t = threading.Thread(target=other_thread)
    t.start()
    assert json.loads(call(app, "/api/search", {"q": "张三丰"})[2])["total"] == 1
    asked.wait(30)
    # a later build date: 张三丰's term (2025-06-01 + 2 years) has ended
    staging = tmp_path / "index.new"
    indexer.build(context(tmp_path / "b", as_of=date(2027, 6, 2)), staging)
    _swap(live, staging)
    swapped.set()
    t.join()
    assert json.loads(call(app, "/api/search", {"q": "张三丰"})[2])["total"] == 0
    assert totals == [1, 0]


def test_concurrent_requests_each_get_an_answer(app):
    results = []

    def worker():
        for text in ("张三丰", "zsf", "1234", "鑫盛", "张*"):
            results.append(call(app, "/api/search", {"q": text})[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results)) == [200, 400] and len(results) == 40


def test_a_broken_theme_answers_500_and_logs_no_query(tmp_path, caplog):
    live = tmp_path / "index"
    indexer.build(context(tmp_path / "a"), live)
    broken = tmp_path / "templates"
    broken.mkdir()
    (broken / "search.html").write_text("{% extends 'base.html' %}{% block content %}{{ page.hits[0]. }}{% endblock %}")
    site = json.loads((live / "site.json").read_text(encoding="utf-8"))
    (live / "site.json").write_text(json.dumps({**site, "templates": str(broken)}), encoding="utf-8")
    app = make_app(live)
    number = full_id(PUBLIC["张三丰"]["debtor"]["id_masked"])
    with caplog.at_level("ERROR", logger="search.service"):
        status, headers, body = call(app, "/search/", {"q": number})
    assert status == 500 and b"Traceback" not in body and number.encode() not in body
    assert "X-Content-Type-Options" in headers
    assert "TemplateSyntaxError" in caplog.text and number not in caplog.text and "3705021985" not in caplog.text
    # the JSON API does not need the theme
    assert call(app, "/api/search", {"q": number})[0] == 200


# ---------------------------------------------------------------- the live build's index


def _total(app, text="张三丰"):
    return json.loads(call(app, "/api/search", {"q": text})[2])["total"]


def test_index_dir_finds_the_index_beside_the_live_site(tmp_path):
    output = tmp_path / "output"
    state = tmp_path / ".chenglai-state" / "output"
    assert paths.index_dir(output) == state / "index"  # nothing built yet
    output.mkdir()
    assert paths.index_dir(output) == state / "index"  # an output folder of the old layout
    output.rmdir()
    site = paths.generations_dir(state) / "g000007" / "site"
    site.mkdir(parents=True)
    output.symlink_to(os.path.relpath(site, tmp_path))
    assert paths.state_dir(output) == state  # the link is not followed to find the state
    assert paths.index_dir(output) == paths.generations_dir(state) / "g000007" / "index"
    # a state folder of its own (PORTAL_STATE_PATH): found from the link, known or not
    elsewhere = paths.generations_dir(tmp_path / "elsewhere") / "g000002"
    (elsewhere / "site").mkdir(parents=True)
    output.unlink()
    output.symlink_to(elsewhere / "site")
    assert paths.index_dir(output) == paths.index_dir(output, tmp_path / "elsewhere") == elsewhere / "index"
    other = tmp_path / "other"
    other.mkdir()
    output.unlink()
    output.symlink_to(other)  # a link somewhere else: not a generation
    assert paths.index_dir(output) == state / "index"
    assert paths.index_dir(output, tmp_path / "elsewhere") == tmp_path / "elsewhere" / "index"


def test_the_service_follows_the_output_link(tmp_path):
    output = tmp_path / "output"
    first = build_generation(output, 1, context(tmp_path / "a"))
    app = make_app(output=output)
    assert call(app, "/api/health")[0] == 503  # no build is live yet
    switch_link(output, 1)
    assert _total(app) == 1
    status, _headers, body = call(app, "/api/health")
    assert status == 200 and json.loads(body)["ok"] is True and json.loads(body)["generation"] == "g000001"
    # a request in flight: it holds the searcher of generation 1
    gen = app.generation()
    searcher = app.searcher(gen)
    # a later build date (张三丰's term has ended), written as an update of the live index
    build_generation(output, 2, context(tmp_path / "b", as_of=date(2027, 6, 2)), first)
    switch_link(output, 2)
    shutil.rmtree(first[0].parent)  # the build prunes older generations
    assert sq.run(searcher, sq.parse("张三丰", gen.places)).total == 1  # open files outlive the folder
    assert _total(app) == 0
    assert json.loads(call(app, "/api/health")[2])["generation"] == "g000002"


def test_no_request_fails_while_buildsswitch_link(tmp_path):
    output = tmp_path / "output"
    live = build_generation(output, 1, context(tmp_path / "a"))
    switch_link(output, 1)
    app = make_app(output=output)
    statuses: list[int] = []
    stop = threading.Event()

    def ask():
        while not stop.is_set():
            statuses.append(call(app, "/api/search", {"q": "张"})[0])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(2, 7):
            # every other build: a later date, on which 张三丰's term has ended
            as_of = date(2027, 6, 2) if n % 2 == 0 else date(2026, 11, 25)
            live = build_generation(output, n, context(tmp_path / f"c{n}", as_of=as_of), live)
            switch_link(output, n)
            shutil.rmtree(live[0].parent.parent / f"g{n - 2:06d}", ignore_errors=True)  # keep live and previous
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses and set(statuses) == {200}
    assert json.loads(call(app, "/api/health")[2])["generation"] == "g000006"


def test_app_from_env(tmp_path):
    output = tmp_path / "site"
    build_generation(output, 1, context(tmp_path / "a"))
    switch_link(output, 1)
    assert _total(app_from_env({"CHENGLAI_OUTPUT": str(output)})) == 1
    moved = tmp_path / "state"
    shutil.move(str(paths.state_dir(output)), moved)
    output.unlink()
    output.symlink_to(moved / "generations" / "g000001" / "site")
    assert _total(app_from_env({"CHENGLAI_OUTPUT": str(output), "CHENGLAI_STATE": str(moved)})) == 1
    assert _total(app_from_env({"CHENGLAI_INDEX": str(moved / "generations" / "g000001" / "index")})) == 1
