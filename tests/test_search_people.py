"""Search as people type it (issue 18, point 4), through the real service over a real index:
court shorthand, records above news for a court name, a removed case number answered with a
pointer to its removal notice, unknown filter values refused, raw UTF-8 query strings, and
`url` from the site's root."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date
from wsgiref.simple_server import make_server

import lxml.html
import pytest
from whoosh import index

from generator.cli.commands.serve import QuietHandler, ThreadingServer
from search import analysis
from search import query as sq
from search.indexer import SITE_FILE
from search.service import make_app

from .search_fixture import PUBLIC, REMOVED_CASE, build_index
from .test_search_service import call

DONGYING = "东营市东营区人民法院"
OF_DONGYING = {name for name, rec in PUBLIC.items() if rec["court"] == DONGYING}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("people"))


@pytest.fixture(scope="module")
def app(index_dir):
    return make_app(index_dir)


def api(app, **query):
    status, _headers, body = call(app, "/api/search", query)
    return status, json.loads(body)


# ---------------------------------------------------------------- court shorthand


@pytest.mark.parametrize(
    ("court", "shorthand"),
    [
        ("东营市河口区人民法院", ["河口法院", "河口区法院", "河口区人民法院", "东营河口法院", "东营市河口区法院"]),
        ("东营市东营区人民法院", ["东营区法院", "东营区人民法院", "东营市东营区法院"]),
        ("利津县人民法院", ["利津法院", "利津县法院"]),
        ("东营市中级人民法院", ["东营中院", "东营市中院", "东营中级法院"]),
        ("山东省高级人民法院", ["山东高院", "山东省高院"]),
    ],
)
def test_court_aliases_come_from_the_name_by_rule(court, shorthand):
    aliases = analysis.court_aliases(court)
    assert aliases[0] == court
    assert set(shorthand) <= set(aliases)


def test_a_district_is_not_shortened_to_its_citys_name():
    # 东营法院 would name the city (its 中院), not 东营区
    assert "东营法院" not in analysis.court_aliases("东营市东营区人民法院")
    assert analysis.court_aliases("北京知识产权法院") == ("北京知识产权法院",)


@pytest.mark.parametrize("text", ["东营区法院", "东营区人民法院", "东营市东营区法院", "東營區法院"])
def test_court_shorthand_finds_the_courts_records(app, text):
    status, data = api(app, q=text)
    assert status == 200
    records = [r for r in data["results"] if r["kind"] != "news"]
    assert {r["title"] for r in records} == OF_DONGYING
    assert {r["court"] for r in records} == {DONGYING}


def test_another_courts_shorthand(app):
    assert [r["title"] for r in api(app, q="利津法院")[1]["results"]] == ["张伟"]
    assert [r["title"] for r in api(app, q="广饶法院")[1]["results"]] == ["东营鑫盛商贸有限公司"]


@pytest.mark.parametrize("text", ["东营区人民法院", "东营区法院", "东营区"])
def test_records_rank_above_news_for_a_court_name(app, text):
    kinds = [r["kind"] for r in api(app, q=text)[1]["results"]]
    assert "news" in kinds, "the court's news is still found"
    assert kinds.index("news") == len(kinds) - 1, kinds


# ---------------------------------------------------------------- removed case numbers


@pytest.mark.parametrize(
    "text",
    [
        REMOVED_CASE,
        "(2024)鲁0502执1405号",
        "〔２０２４〕鲁0502执1405号",
        "2024鲁0502执1405",
        "（2024） 鲁0502 执1405 号",
    ],
)
def test_a_removed_case_number_points_to_its_notice(app, text):
    status, data = api(app, q=text)
    assert status == 200
    assert data["total"] == 0 and data["results"] == []
    assert data["removed"] == [
        {"case_number": REMOVED_CASE, "removed_on": "2026-11-11", "url": "/removals/#2024-lu0502-zhi-1405"}
    ]
    body = json.dumps(data, ensure_ascii=False)
    assert "周九" not in body and "3705021964" not in body and "5950" not in body


def test_the_results_page_shows_the_pointer(app):
    status, _headers, body = call(app, "/search/", {"q": REMOVED_CASE})
    assert status == 200
    tree = lxml.html.fromstring(body)
    (note,) = tree.cssselect(".search-removed")
    text = note.text_content()
    assert REMOVED_CASE in text and "2026-11-11" in text and "删除" in text
    assert note.cssselect("a")[0].get("href") == "/removals/#2024-lu0502-zhi-1405"
    assert "周九" not in body.decode("utf-8")


def test_a_part_of_a_case_number_points_to_no_notice(app):
    for text in ("鲁0502执1405", "1405", "执1405"):
        assert api(app, q=text)[1]["removed"] == [], text
    assert api(app, q="张三丰")[1]["removed"] == []


def test_the_notice_holds_the_case_number_and_date_only(index_dir):
    ix = index.open_dir(str(index_dir))
    with ix.searcher() as s:
        notices = [d for d in s.all_stored_fields() if d["kind"] == "removal"]
    assert len(notices) == 1, "王五's notice is older than 90 days: gone"
    (doc,) = notices
    assert set(doc) == {"id", "url", "title", "kind", "snippet", "order", "lengths"}
    assert doc["title"] == REMOVED_CASE and doc["snippet"] == "2026-11-11"


def test_no_pointer_once_the_notice_is_no_longer_public(tmp_path):
    # 90 days after 2026-11-11 the notice leaves /removals/, and the search with it
    late = make_app(build_index(tmp_path, as_of=date(2027, 2, 10)))
    status, data = api(late, q=REMOVED_CASE)
    assert status == 200 and data["removed"] == [] and data["total"] == 0
    last = make_app(build_index(tmp_path / "b", as_of=date(2027, 2, 8)))
    assert api(last, q=REMOVED_CASE)[1]["removed"]


# ---------------------------------------------------------------- filters and query strings


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"court": "lu9999"}, ["法院", "lu9999"]),
        ({"region": "370599"}, ["地区", "370599"]),
        ({"ground": "nope"}, ["失信情形", "evades_by_fraud"]),
        ({"kind": "cat"}, ["类型"]),
        ({"court": "鲁0502"}, ["法院代码"]),
    ],
)
def test_an_unknown_filter_value_is_a_clear_400(app, filters, words):
    status, data = api(app, q="张", **filters)
    assert status == 400
    assert all(w in data["error"] for w in words), data["error"]
    status, _headers, body = call(app, "/search/", {"q": "张", **filters})
    assert status == 400 and words[0] in body.decode("utf-8")


def test_known_filter_values_still_filter(app):
    assert api(app, q="张", court="lu0522")[1]["total"] == 1
    assert api(app, q="张", region="370502")[1]["total"] == 1


def _raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class _Quiet(QuietHandler):
    def log_request(self, *args):
        pass


@pytest.fixture(scope="module")
def server(app):
    """The service under the HTTP server of `chenglai serve` (the standard library's), on a
    free port. (Under gunicorn the bytes arrive unescaped: search.service.raw_utf8.)"""
    httpd = make_server("127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def test_a_raw_utf8_query_string_decodes(server):
    # curl 'http://…/api/search?q=张三丰' sends the bytes unescaped; WSGI hands them over as latin-1
    status, body = _raw_get(server, "/api/search?q=张三丰".encode())
    assert status == 200
    data = json.loads(body)
    assert data["query"] == "张三丰" and [r["title"] for r in data["results"]] == ["张三丰"]
    status, body = _raw_get(server, "/api/search?q=东营区法院&court=lu0502".encode())
    assert status == 200 and json.loads(body)["total"] == len(OF_DONGYING)
    # escaped and unescaped together, and bytes that are not UTF-8
    assert json.loads(_raw_get(server, "/api/search?q=张三%E4%B8%B0".encode())[1])["query"] == "张三丰"
    status, body = _raw_get(server, b"/api/search?q=\xff\xfe")
    assert status == 400 and "UTF-8" in json.loads(body)["error"]


def test_raw_utf8_as_gunicorn_hands_it_over(app):
    # gunicorn keeps the bytes and hands them over as latin-1, as PEP 3333 says
    latin = "q=张三丰".encode().decode("latin-1")
    status, _headers, body = call(app, "/api/search", raw_qs=latin)
    assert status == 200 and json.loads(body)["query"] == "张三丰"
    status, _headers, body = call(app, "/api/search", raw_qs=b"q=\xff".decode("latin-1"))
    assert status == 400


def test_api_url_starts_at_the_sites_root(app, tmp_path):
    data = api(app, q="张三丰")[1]
    assert data["results"][0]["url"] == "/debtors/2024-lu0502-zhi-1234/"
    assert all(r["url"].startswith("/") for r in api(app, q="执行")[1]["results"])
    # a site under a path: the path is part of every url
    folder = build_index(tmp_path)
    site = json.loads((folder / SITE_FILE).read_text(encoding="utf-8"))
    site["SITEURL"] = "https://example.gov.cn/shixin"
    (folder / SITE_FILE).write_text(json.dumps(site, ensure_ascii=False), encoding="utf-8")
    data = api(make_app(folder), q="张三丰")[1]
    assert data["results"][0]["url"] == "/shixin/debtors/2024-lu0502-zhi-1234/"


def test_places_know_the_shorthand(index_dir):
    site = json.loads((index_dir / SITE_FILE).read_text(encoding="utf-8"))
    places = sq.places_from_facets(site["facets"])
    (dongying,) = [p for p in places if p.key == "Clu0502"]
    assert dongying.named_by(["东营区法院"]) and not dongying.named_by(["利津法院"])


def test_chenglai_search_points_to_the_notice_too(index_dir, capsys):
    from generator.cli import main

    assert main(["search", REMOVED_CASE, "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert f"案号 {REMOVED_CASE} 的失信信息已于 2026-11-11 删除，见删除公告 /removals/#2024-lu0502-zhi-1405" in out
    assert "周九" not in out
    assert main(["search", "张", "--court", "lu9999", "--index", str(index_dir)]) == 2
    assert "本站没有该法院的公开信息" in capsys.readouterr().err
