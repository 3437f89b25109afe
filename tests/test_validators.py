"""What outside validators say about the demo site, built as it is published (absolute SITEURL):

- the Nu Html Checker (vnu.jar, Java, offline) finds no error on any page;
- every Atom feed is valid against RFC 4287's RELAX NG schema (Appendix B: schemas/atom.rnc),
  checked by Jing (shipped inside vnu.jar);
- every sitemap file and the sitemap index are valid against sitemaps.org's XSDs (lxml).

Each checker is first shown to reject a broken file, so a checker that looked at nothing cannot
pass. vnu.jar comes from npm (`make browser-deps`); CHENGLAI_VNU_JAR names another copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
VNU = Path(os.environ.get("CHENGLAI_VNU_JAR") or ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar")
AS_OF = date(2026, 11, 25)  # the demo's date (scripts/make_demo.py)
SITEURL = "https://court.example.invalid"
JING = "nu.validator.vendor.thaiopensource.relaxng.util.Driver"


@pytest.fixture(scope="module")
def java() -> str:
    found = shutil.which("java")
    if found is None:
        pytest.fail(
            "找不到 java：Nu Html Checker 与 Jing 需要 Java（Debian 的 default-jre-headless，make browser-deps 会安装）"
        )
    if not VNU.is_file():
        pytest.fail(f"{VNU} 不存在：先运行 make browser-deps（npm install vnu-jar@26.9.27）")
    return found


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's demo content and settings, built with the publishing SITEURL."""
    from generator.build.pipeline import build_site

    output = tmp_path_factory.mktemp("validators") / "output"
    overrides = {"PATH": str(ROOT / "content"), "SITEURL": SITEURL}
    build_site(ROOT / "pelicanconf.py", output, AS_OF, overrides=overrides)
    return output.resolve()


def vnu_errors(java: str, target: Path) -> list[dict]:
    proc = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--skip-non-html", "--format", "json", "--exit-zero-always",
         str(target)],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return [m for m in json.loads(proc.stderr or '{"messages": []}')["messages"] if m["type"] != "info"]


def jing(java: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([java, "-cp", str(VNU), JING, "-c", str(SCHEMAS / "atom.rnc"), *map(str, files)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


# -- the Nu Html Checker ---------------------------------------------------------------
def test_the_nu_checker_reports_a_broken_page(java, tmp_path):
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><p id="a">一</p><p id="a">二</p><div><span></div></body></html>', encoding="utf-8"
    )  # fmt: skip
    assert len(vnu_errors(java, tmp_path)) >= 2


def test_every_demo_page_passes_the_nu_html_checker(java, demo_site):
    pages = list(demo_site.rglob("*.html"))
    assert len(pages) > 300  # the whole demo site: records, notices, lists, news, pages
    errors = vnu_errors(java, demo_site)
    described = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in errors[:10]]
    assert errors == [], "\n".join(described)


# -- Atom: RFC 4287 ----------------------------------------------------------------------
def test_jing_rejects_an_atom_feed_without_an_id(java, tmp_path):
    bad = tmp_path / "bad.atom"
    bad.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                   "<updated>2026-11-25T00:00:00+08:00</updated></feed>", encoding="utf-8")  # fmt: skip
    assert jing(java, [bad]).returncode != 0


def test_every_atom_feed_is_valid_against_rfc_4287(java, demo_site):
    feeds = sorted((demo_site / "feeds").rglob("*.atom"))
    assert len(feeds) >= 10  # listings, removals, news, every court and region
    result = jing(java, feeds)
    assert result.returncode == 0, result.stdout[:3000] + result.stderr[:1000]


# -- sitemaps: sitemaps.org XSDs ---------------------------------------------------------
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def test_the_sitemap_schema_rejects_a_relative_url():
    doc = etree.fromstring(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/debtors/</loc>'
                           b"</url></urlset>")  # fmt: skip
    assert not schema("sitemap.xsd").validate(doc)


def test_sitemaps_are_valid_against_their_xsds(demo_site):
    index = etree.parse(str(demo_site / "sitemap.xml"))
    siteindex = schema("siteindex.xsd")
    assert siteindex.validate(index), siteindex.error_log
    urlset = schema("sitemap.xsd")
    files = sorted((demo_site / "sitemaps").glob("*.xml"))
    assert files
    for f in files:
        doc = etree.parse(str(f))
        assert urlset.validate(doc), f"{f.name}: {urlset.error_log}"
