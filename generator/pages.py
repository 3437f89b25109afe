"""The site's own pages, rendered from the PublicView (SPEC §3).

Record pages depend only on their record and the settings (never on the build date or on
counts), so an unchanged record keeps a byte-identical page from build to build. What a
changed record touches, for incremental builds (issue 7): its page `debtors/<id>/`, the
pages of /debtors/, /courts/<slug>/, /regions/<code>/ and /grounds/<code>/ lists that hold
it (a new or removed record shifts every later page of those lists: they are newest first),
the three browse indexes (counts), the home page (counts, newest ten), /removals/ and the
sitemaps. `lists_of(record)` names the list bases.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil
from typing import Any

from .outputs import OutputFile, RenderContext
from .policy import PublicRecord, PublicView
from .records import GROUNDS
from .settings import portal_settings

# 《最高人民法院关于公布失信被执行人名单信息的若干规定》 art. 1: the item of each ground
GROUND_ITEMS: dict[str, str] = {
    "able_but_refuses": "一",
    "obstructs_by_force": "二",
    "evades_by_fraud": "三",
    "violates_asset_report": "四",
    "violates_consumption_ban": "五",
    "breaks_settlement": "六",
}
HOME_NEWEST = 10
HOME_NEWS = 5


def cn_date(d: date | None) -> str:
    """2025-06-01 → 2025年6月1日."""
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def money(amount: Decimal | None) -> str:
    """120000 → 120,000.00."""
    return "" if amount is None else f"{amount:,.2f}"


@dataclass(frozen=True)
class Pager:
    """One page of a paginated list: /base/ is page 1, /base/page/<n>/ the others."""

    base: str  # "debtors/" (relative to the site root, with trailing slash)
    number: int
    pages: int
    count: int

    def url(self, n: int) -> str:
        return self.base if n == 1 else f"{self.base}page/{n}/"

    @property
    def save_as(self) -> str:
        return self.url(self.number) + "index.html"

    @property
    def prev(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None

    @property
    def links(self) -> list[tuple[int | None, str]]:
        """First, last and two either side of the current page; None marks a gap."""
        keep = {1, self.pages, *range(self.number - 2, self.number + 3)}
        out: list[tuple[int | None, str]] = []
        last = 0
        for n in sorted(k for k in keep if 1 <= k <= self.pages):
            if n > last + 1:
                out.append((None, ""))
            out.append((n, self.url(n)))
            last = n
        return out


def paginate(base: str, items: Sequence[Any], per_page: int) -> Iterator[tuple[Pager, Sequence[Any]]]:
    pages = max(1, ceil(len(items) / per_page))
    for n in range(1, pages + 1):
        yield Pager(base, n, pages, len(items)), items[(n - 1) * per_page : n * per_page]


def lists_of(record: PublicRecord) -> list[str]:
    """The list bases a record appears in (see the module docstring)."""
    return [
        "debtors/",
        f"courts/{record.court_slug}/",
        f"regions/{record.region_code}/",
        *(f"grounds/{g}/" for g in record.grounds),
    ]


def install(env: Any, settings: dict[str, Any]) -> None:
    """Filters and globals every template of the theme may use (Pelican's and ours)."""
    portal = portal_settings(settings)
    env.filters.update({"cn_date": cn_date, "money": money})
    env.globals.update(
        {
            "SITENAME": settings.get("SITENAME", ""),
            "SITEURL": settings.get("SITEURL", ""),
            "DEFAULT_LANG": settings.get("DEFAULT_LANG", "zh-CN"),
            "GROUNDS": GROUNDS,
            "GROUND_ITEMS": GROUND_ITEMS,
            **portal,
        }
    )
    env.globals.setdefault("site_pages", [])


class SitePages:
    """Renders the record pages, lists, browse indexes, home, removals and 404."""

    def __init__(self, ctx: RenderContext):
        self.ctx = ctx
        self.env = ctx.env
        self.view: PublicView = ctx.view
        self.per_page: int = portal_settings(ctx.settings)["PORTAL_PER_PAGE"]
        self._record = self.env.get_template("record.html")
        self._list = self.env.get_template("list.html")

    def _page(self, path: str, template: str, **values: Any) -> OutputFile:
        html = self.env.get_template(template).render(**values)
        return OutputFile(path, html.encode("utf-8"))

    # -- record pages --------------------------------------------------------------
    def record(self, r: PublicRecord) -> OutputFile:
        return OutputFile(f"debtors/{r.id}/index.html", self._record.render(r=r).encode("utf-8"))

    def records(self, records: Iterable[PublicRecord]) -> Iterator[OutputFile]:
        render = self._record.render
        for r in records:
            yield OutputFile(f"debtors/{r.id}/index.html", render(r=r).encode("utf-8"))

    # -- lists ---------------------------------------------------------------------
    def _list_pages(
        self, base: str, rows: Sequence[PublicRecord], heading: str, nav: str, **extra: Any
    ) -> Iterator[OutputFile]:
        for pager, page_rows in paginate(base, rows, self.per_page):
            html = self._list.render(pager=pager, rows=page_rows, heading=heading, nav_active=nav, **extra)
            yield OutputFile(pager.save_as, html.encode("utf-8"))

    def debtor_lists(self) -> Iterator[OutputFile]:
        yield from self._list_pages("debtors/", self.view.public, "失信被执行人名单", "debtors")

    def court_lists(self) -> Iterator[OutputFile]:
        groups = self.view.by_court()
        entries = []
        for slug, rows in groups.items():
            name = rows[0].court
            entries.append({"href": f"courts/{slug}/", "name": name, "count": len(rows), "note": ""})
            feed = {"href": f"feeds/courts/{slug}.atom", "title": f"{name}新纳入名单"}
            crumb = {"href": "courts/", "name": "按执行法院"}
            yield from self._list_pages(f"courts/{slug}/", rows, name, "courts", feed=feed, crumb=crumb)
        yield self._page(
            "courts/index.html", "browse.html", heading="按执行法院浏览", nav_active="courts",
            entries=entries, column="执行法院",
        )  # fmt: skip

    def region_lists(self) -> Iterator[OutputFile]:
        entries = []
        for code, rows in self.view.by_region().items():
            name = rows[0].region_name
            entries.append({"href": f"regions/{code}/", "name": name, "count": len(rows), "note": code})
            feed = {"href": f"feeds/regions/{code}.atom", "title": f"{name}新纳入名单"}
            crumb = {"href": "regions/", "name": "按地区"}
            yield from self._list_pages(
                f"regions/{code}/", rows, f"{name}（{code}）", "regions", feed=feed, crumb=crumb
            )
        yield self._page(
            "regions/index.html", "browse.html", heading="按地区浏览", nav_active="regions",
            entries=entries, column="地区", note_column="行政区划代码",
        )  # fmt: skip

    def ground_lists(self) -> Iterator[OutputFile]:
        groups = self.view.by_ground()
        entries = []
        for code, label in GROUNDS.items():  # every ground, in the order of art. 1
            rows = groups.get(code, [])
            note = f"第一条第{GROUND_ITEMS[code]}项"
            entries.append({"href": f"grounds/{code}/", "name": label, "count": len(rows), "note": note})
            crumb = {"href": "grounds/", "name": "按失信情形"}
            yield from self._list_pages(f"grounds/{code}/", rows, label, "grounds", crumb=crumb, ground=code)
        yield self._page(
            "grounds/index.html", "browse.html", heading="按失信情形浏览", nav_active="grounds",
            entries=entries, column="失信情形", note_column="规定条款",
        )  # fmt: skip

    # -- single pages --------------------------------------------------------------
    def home(self) -> OutputFile:
        public = self.view.public
        persons = sum(1 for r in public if r.kind == "person")
        counts = {
            "public": len(public),
            "persons": persons,
            "organizations": len(public) - persons,
            "courts": len({r.court_slug for r in public}),
            "notices": len(self.view.notices),
        }
        return self._page(
            "index.html", "index.html", nav_active="home", counts=counts, as_of=self.view.as_of,
            newest=public[:HOME_NEWEST], news=self.ctx.news[:HOME_NEWS],
        )  # fmt: skip

    def removals(self) -> Iterator[OutputFile]:
        days = portal_settings(self.ctx.settings)["PORTAL_REMOVAL_NOTICE_DAYS"]
        tpl = self.env.get_template("removals.html")
        for pager, rows in paginate("removals/", self.view.notices, self.per_page):
            html = tpl.render(pager=pager, rows=rows, days=days, as_of=self.view.as_of, nav_active="removals")
            yield OutputFile(pager.save_as, html.encode("utf-8"))

    def not_found(self) -> OutputFile:
        return self._page("404.html", "404.html")

    def all_but_records(self) -> Iterator[OutputFile]:
        yield self.home()
        yield from self.debtor_lists()
        yield from self.court_lists()
        yield from self.region_lists()
        yield from self.ground_lists()
        yield from self.removals()
        yield self.not_found()
