"""`chenglai serve` through the real CLI (issue 18, point 5 and 8): it builds with an absolute local
SITEURL, so feeds, OPML, sitemap, CSV and the notices' QR codes carry absolute URLs; a taken port is
a usage error that says how to pick another."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from urllib.parse import urlencode, urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

from .qrimage import decode_path
from .sitefixture import REPO, make_site
from .test_search_cli import serve_site, wait_for_url


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read()


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """The standard fixture site served by `chenglai serve --port 0` (the build included)."""
    tmp_path = tmp_path_factory.mktemp("preview")
    s = make_site(tmp_path)
    proc = serve_site(tmp_path, s)
    try:
        lines = wait_for_url(proc)
        base = lines[-1].split("：", 1)[1].split("/  ", 1)[0]
        yield base, s
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_the_preview_is_announced_at_its_siteurl(preview):
    base, _site = preview
    parts = urlsplit(base)
    assert parts.scheme == "http" and parts.hostname == "localhost" and parts.port


def _absolute(base: str, url: str) -> bool:
    return url.startswith(base + "/")


def test_feeds_carry_absolute_urls(preview):
    base, _site = preview
    for name in ("listings.atom", "listings.rss", "removals.atom", "news.atom"):
        feed = feedparser.parse(_get(f"{base}/feeds/{name}"))
        assert not feed.bozo, (name, feed.bozo_exception)
        assert _absolute(base, feed.feed.link), (name, feed.feed.link)
        assert feed.entries and all(_absolute(base, e.link) for e in feed.entries), name


def test_opml_and_sitemap_carry_absolute_urls(preview):
    base, _site = preview
    opml = lxml.etree.fromstring(_get(f"{base}/feeds/feeds.opml"))
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls and all(_absolute(base, u) for u in urls)
    sitemap = lxml.etree.fromstring(_get(f"{base}/sitemap.xml"))
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and all(_absolute(base, u) for u in locs)
    assert f"Sitemap: {base}/sitemap.xml" in _get(f"{base}/robots.txt").decode("utf-8")


def test_csv_carries_absolute_urls(preview):
    base, _site = preview
    text = _get(f"{base}/data/debtors.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("网址") if "网址" in rows[0] else rows[0].index("url")
    assert len(rows) > 1 and all(_absolute(base, r[column]) for r in rows[1:])


def test_the_notices_qr_code_holds_the_absolute_url(preview):
    base, _site = preview
    page = lxml.html.fromstring(_get(f"{base}/debtors/2024-lu0502-zhi-1234/notice/"))
    (svg,) = page.cssselect("figure.notice-qr svg")
    size = int(svg.get("viewbox").split()[2])  # lxml.html lowercases attribute names
    (path,) = svg.cssselect('path[stroke="#000"]')
    assert decode_path(path.get("d"), size) == [f"{base}/debtors/2024-lu0502-zhi-1234/"]


def test_the_removed_case_number_points_to_its_row(preview):
    base, _site = preview
    query = urlencode({"q": "（2024）鲁0502执2001号"})
    data = json.loads(_get(f"{base}/api/search?{query}"))
    (pointer,) = data["removed"]
    assert pointer == {"case_number": "（2024）鲁0502执2001号", "removed_on": "2026-11-01",
                       "url": "/removals/#2024-lu0502-zhi-2001"}  # fmt: skip
    page = lxml.html.fromstring(_get(base + pointer["url"].split("#")[0]))
    (row,) = page.cssselect("tr#2024-lu0502-zhi-2001")
    assert "（2024）鲁0502执2001号" in row.text_content()
    assert "钱removed" not in json.dumps(data, ensure_ascii=False)


def test_a_port_in_use_says_how_to_pick_another(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "index.html").write_text("<!doctype html><title>x</title>", encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--no-build", "--port", str(port), "-o", "output"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"端口 {port} 已被占用" in done.stderr and f"PORT={port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_one_title_separator_on_every_page(preview):
    base, site = preview
    titles = {}
    for page in sorted(site.output.rglob("*.html")):
        (title,) = lxml.html.fromstring(page.read_bytes()).cssselect("head > title")
        titles[page.relative_to(site.output).as_posix()] = title.text_content()
    (service,) = lxml.html.fromstring(_get(f"{base}/search/?{urlencode({'q': '张三丰'})}")).cssselect("head > title")
    titles["search service"] = service.text_content()
    assert len(titles) > 10
    for path, title in titles.items():
        if path in ("index.html",):
            continue  # the home page: the site's name alone
        assert "｜" in title, (path, title)
        assert not re.search(r" [-—·] |—", title), (path, title)
