"""Search in the real site build: the build's indexer call, the static /search/ page, the
service over the live index, and `chenglai serve` building and serving a fixture site."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import lxml.html
import pytest

from generator.state import paths
from search.service import make_app

from .sitefixture import NON_PUBLIC, make_site
from .test_search_cli import serve_site, wait_for_url
from .test_search_service import call


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = make_site(tmp_path_factory.mktemp("site"))
    s.build()
    return s


def test_build_writes_the_index_beside_the_output(site):
    index = paths.index_dir(site.output)
    assert (index / "site.json").is_file()
    assert not list(site.output.rglob("*.toc")) and not (site.output / "site.json").exists()
    app = make_app(index)
    data = json.loads(call(app, "/api/search", {"q": "zsf"})[2])
    assert [r["title"] for r in data["results"]] == ["张三丰"]
    data = json.loads(call(app, "/api/search", {"q": "集中执行"})[2])
    assert data["results"][0]["url"] == "/news/action/" and data["results"][0]["kind"] == "news"


@pytest.mark.parametrize("kind", sorted(NON_PUBLIC))
def test_non_public_records_are_not_in_the_built_index(site, kind):
    app = make_app(paths.index_dir(site.output))
    name, case = NON_PUBLIC[kind]
    for text in (name, case, case[6:-1]):
        status, _headers, body = call(app, "/api/search", {"q": text})
        assert status == 200
        results = json.dumps(json.loads(body)["results"], ensure_ascii=False)
        assert name not in results and case not in results


def test_static_search_page_in_the_site(site):
    doc = site.page("search/")
    assert not doc.cssselect("script")
    assert doc.cssselect("form.search-form")[0].get("action") == "/search/"
    assert doc.cssselect(".search-service-note")
    assert "lu0502" in [o.get("value") for o in doc.cssselect("select[name=court] option")]
    # every stylesheet the page links is in the output
    for link in doc.cssselect('link[rel="stylesheet"]'):
        assert (site.output / link.get("href").lstrip("/")).is_file(), link.get("href")


def test_service_page_looks_like_the_site(site):
    app = make_app(paths.index_dir(site.output))
    doc = lxml.html.fromstring(call(app, "/search/", {"q": "张三丰"})[2])
    static = site.page("search/")
    # same header navigation and footer links as the pages Pelican wrote
    assert [a.get("href") for a in doc.cssselect("nav a")] == [a.get("href") for a in static.cssselect("nav a")]
    assert [a.get("href") for a in doc.cssselect("footer a")] == [a.get("href") for a in static.cssselect("footer a")]
    assert doc.cssselect('link[rel="stylesheet"]')[0].get("href") == "/theme/css/site.css"


def test_serve_builds_then_serves(tmp_path):
    s = make_site(tmp_path)
    proc = serve_site(tmp_path, s)
    try:
        lines = wait_for_url(proc)
        assert lines[0].startswith("构建完成")
        base = "http://" + lines[-1].split("http://", 1)[1].split("/", 1)[0]
        with urllib.request.urlopen(f"{base}/api/search?{urlencode({'q': '鲁0502执1234'})}", timeout=10) as r:
            assert json.loads(r.read())["results"][0]["id"] == "2024-lu0502-zhi-1234"
        with urllib.request.urlopen(f"{base}/debtors/2024-lu0502-zhi-1234/", timeout=10) as r:
            assert "张三丰" in r.read().decode("utf-8")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert (s.output / "index.html").is_file()
