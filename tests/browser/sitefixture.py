"""The site the browser tests look at: fictitious records built by the real build, served with
the real search service on 127.0.0.1 (a free port) from a thread."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from wsgiref.simple_server import make_server

from generator.domain.policy import PublicRecord, PublicView, decide_records
from generator.read.checker import check_paths
from generator.staff import demo, demokinds
from generator.state.paths import index_dir

from ..factory import ORG_DEBTOR, record

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 25)
PER_PAGE = 20  # the demo's 150 records make several pages
NOTICE_DAYS = 90

# Named records the tests look for; case numbers 8001+ never clash with the demo's 1000+n.
PERSON = record(
    case_number="（2025）鲁0502执8001号",
    debtor__name="单雄信",  # 单 reads shan as a surname: search must find "shanxiongxin"
    listed_on=date(2026, 11, 20),
    vetting__decision="（2025）鲁0502执8001号之一",
    vetting__vetted_on=date(2026, 11, 18),
    debtor__age=41,
)
ORG = record(
    case_number="（2025）鲁0502执8002号",
    debtor=dict(ORG_DEBTOR, name="东营鑫盛测试商贸有限公司"),
    listed_on=date(2026, 11, 19),
    vetting__decision="（2025）鲁0502执8002号之一",
    vetting__vetted_on=date(2026, 11, 18),
)
# The longest obligation a record may hold (500 characters) and three grounds: the notice
# must still print on one A4 page.
LONG = record(
    case_number="（2025）鲁0502执8003号",
    debtor__name="欧阳长义",
    obligation=("支付货款及利息" * 72)[:500],
    grounds=["evades_by_fraud", "violates_asset_report", "violates_consumption_ban"],
    term_years=5,
    term_extension="multiple_acts",  # art. 2 ¶1: three grounds
    listed_on=date(2026, 11, 18),
    vetting__decision="（2025）鲁0502执8003号之一",
    vetting__vetted_on=date(2026, 11, 17),
    debtor__age=41,
)
NAMED = {"person": PERSON, "org": ORG, "long": LONG}
NEWS = """Title: 东营法院集中发布一批失信被执行人名单（演示）
Date: 2026-11-20
Slug: fixture-news
Summary: 演示新闻：东营法院集中发布失信被执行人名单。

演示新闻，内容虚构。东营市两级法院开展集中执行行动，依法将拒不履行生效法律文书确定义务的
被执行人纳入失信被执行人名单。
"""
PAGE = """Title: 关于本站
Slug: about

演示页面：本站所有数据均为随机生成的虚构数据。
"""


@dataclass
class FixtureSite:
    root: Path  # holds content/, the settings file, output/ and .chenglai-state/
    output: Path
    view: PublicView  # computed here with policy.decide, independently of the build
    port: int
    next_page_path: str = "/debtors/page/2/"
    static_page_path: str = "/about/"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record_id(self, key: str) -> str:
        rec = NAMED[key]
        return next(p.id for p in self.view.public if p.case_number == rec["case_number"])

    def view_record(self, record_id: str) -> PublicRecord:
        return next(p for p in self.view.public if p.id == record_id)

    def first_item(self, folder: str) -> str:
        """The site path of the first page under a kind's folder (restrictions/<id>/, …)."""
        found = sorted(
            p.parent.relative_to(self.output).as_posix() for p in (self.output / folder).glob("*/index.html")
        )
        return "/" + next(p for p in found if p.rsplit("/", 1)[-1] not in ("page", "lifted")) + "/"


def write_content(root: Path) -> Path:
    """Fixture content: demo records, the named ones, the repository's news and pages plus one of each."""
    content = root / "content"
    debtors = content / "debtors"
    records = demo.make_records(150, seed=2026, as_of=AS_OF)
    demo.write_records(debtors, records)
    demo.write_records(debtors, list(NAMED.values()))
    # the other kinds (SPEC §7): orders (one lifted lately), rewards, batches naming demo records
    demokinds.write_kinds(content, demokinds.make_kinds(records, seed=2026, as_of=AS_OF))
    for kind in ("news", "pages"):
        src = ROOT / "content" / kind
        if src.is_dir():
            shutil.copytree(src, content / kind)
        (content / kind).mkdir(parents=True, exist_ok=True)
    (content / "news" / "fixture-news.md").write_text(NEWS, encoding="utf-8")
    (content / "pages" / "about.md").write_text(PAGE, encoding="utf-8")
    return content


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_fixture_site(root: Path) -> FixtureSite:
    """Build with the repository's pelicanconf.py and an absolute SITEURL on a port chosen now, as
    publishconf.py builds the real site: links and QR codes hold the address the browser uses."""
    from generator.build.pipeline import build_site

    port = free_port()
    content = write_content(root)
    output = root / "output"
    overrides = {
        "PATH": str(content),
        "SITEURL": f"http://127.0.0.1:{port}",
        "PORTAL_PER_PAGE": PER_PAGE,
        "PORTAL_REMOVAL_NOTICE_DAYS": NOTICE_DAYS,
        "PORTAL_DEMO": True,
    }
    build_site(ROOT / "pelicanconf.py", output, AS_OF, overrides=overrides)
    checked = check_paths([content / "debtors"])
    assert not checked.errors, checked.errors[:3]
    view = decide_records(checked.records, AS_OF, NOTICE_DAYS)
    return FixtureSite(root=root, output=output, view=view, port=port)


@contextmanager
def serve(site: FixtureSite) -> Iterator[FixtureSite]:
    """The site and its search on http://127.0.0.1:<port>/ until the block ends: the very
    dispatcher, static file server and search service `chenglai serve` runs, in a thread."""
    from generator.cli.commands.serve import QuietHandler, StaticFiles, ThreadingServer, dispatcher
    from search.service import make_app

    app = dispatcher(StaticFiles(site.output), make_app(index_dir(site.output)))
    server = make_server("127.0.0.1", site.port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="fixture-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
