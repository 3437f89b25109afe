"""The site's own pages, rendered from the PublicView (SPEC §3): record pages, the paginated
lists (/debtors/, /courts/<slug>/, /regions/<code>/, /grounds/<code>/), the browse indexes,
home, /removals/ and 404.

Every page is an outputs.Lazy named by exactly the values its template is rendered with: a
record page by its record alone (never the build date or counts, so an unchanged record keeps
its page), a list page by its pager, its rows and its heading, the home page by its counts,
date, newest records and news. The build's sink renders a page only when no kept build holds
the bytes of the same inputs (ARCHITECTURE.md, "the rule for fast paths"); nothing here knows
what changed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil
from operator import attrgetter
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.domain.kindpolicy import kind_counts
from generator.domain.policy import PublicRecord, PublicView
from generator.domain.records import GROUNDS
from generator.render.markup import plain, sanitize
from generator.render.outputs import Lazy, RenderContext
from generator.settings import COURT_FIELDS, portal_settings

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
            "COURT_FIELDS": COURT_FIELDS,
            **portal,
        }
    )
    env.globals.setdefault("site_pages", [])


def theme_env(settings: dict[str, Any]) -> Any:
    """The theme's Jinja environment outside a Pelican run (e.g. the search service's
    results page): same templates, autoescape, filters and globals as in the build."""
    import jinja2

    options = dict(settings.get("JINJA_ENVIRONMENT") or {})
    options.update(autoescape=True)
    loader = jinja2.FileSystemLoader(str(Path(settings["THEME"]) / "templates"))
    env = jinja2.Environment(loader=loader, **options)
    env.filters.update({"sanitize": sanitize, "plain": plain})
    install(env, settings)
    return env


class Contexts:
    """`template.new_context(values)` for many renders of one template, at a fraction of the
    cost: Jinja copies the template's globals (a ChainMap, walked in Python) into each new
    context, twice; they do not change while the pages render, so they are copied once here."""

    def __init__(self, template: Any, fixed: dict[str, Any] | None = None):
        self.template = template
        self.env = template.environment
        self.globals = {**template.globals, **(fixed or {})}  # `fixed`: values every render shares
        self.keys = set(template.globals)

    def __call__(self, values: dict[str, Any]) -> Any:
        t = self.template
        ctx = self.env.context_class(self.env, {**self.globals, **values}, t.name, t.blocks)
        ctx.globals_keys = self.keys  # what new_context gives it (read only: for imports)
        return ctx

    def render(self, **values: Any) -> str:
        """`template.render(**values)`."""
        return "".join(self.template.root_render_func(self(values)))


class FastPage:
    """A template's varying blocks rendered inside chrome rendered once: the same bytes as
    `template.render(...)`, at about half the cost for 100k record pages.

    The chrome (base.html's header, nav, feeds, footer) is one render of a sample with a marker
    in place of each block that varies (`title`, `meta`, `head`, `content`), cut at the markers;
    it must not depend on anything else that varies between the pages rendered through one
    FastPage. A block may render empty on some pages (a person's record page has no `meta`).
    """

    def __init__(
        self,
        template: Any,
        sample: dict[str, Any],
        blocks: tuple[str, ...] = ("title", "meta", "head", "content"),
        also: dict[str, Any] | None = None,
        fixed: dict[str, Any] | None = None,
    ):
        self.template = template
        # the values every page shares (`fixed`) merged once with the globals
        self.contexts = Contexts(template, fixed)
        blocks = tuple(b for b in blocks if b in template.blocks)
        self.blocks = [template.blocks[b] for b in blocks]
        ctx = template.new_context(sample)
        markers = [f"\x00fastpage-{b}\x00" for b in blocks]
        for name, marker in zip(blocks, markers, strict=True):
            ctx.blocks[name] = [lambda _ctx, m=marker: iter((m,))]
        full = "".join(template.root_render_func(ctx))
        chrome, pos = [], 0
        for marker in markers:
            at = full.find(marker, pos)
            if at < 0 or full.count(marker) != 1:  # a block shown twice, or not at all
                raise ValueError("block not found once in the full render")
            chrome.append(full[pos:at])
            pos = at + len(marker)
        chrome.append(full[pos:])
        self.chrome = chrome
        # a page must come out as a full render does: the sample, and a second, different page
        # (the chrome does not depend on it: e.g. a template that put the record's name in the
        # footer would not)
        for values in (sample, also):
            if values is not None and self.render(**values) != template.render(**values):
                raise ValueError("the chrome depends on the page")

    def render(self, **values: Any) -> str:
        ctx = self.contexts(values)
        out = [self.chrome[0]]
        for block, after in zip(self.blocks, self.chrome[1:], strict=True):
            out.extend(block(ctx))
            out.append(after)
        return "".join(out)


def fast_or_full(
    template: Any, sample: dict[str, Any], also: dict[str, Any] | None = None, fixed: dict[str, Any] | None = None
) -> Any:
    """A FastPage when the template splits cleanly, else the template's own render. `fixed`:
    values every page shares (the samples include them; `render(**values)` then needs only
    the page's own)."""
    try:
        return FastPage(template, sample, also=also, fixed=fixed).render
    except (ValueError, KeyError):
        if not fixed:
            return template.render
        return lambda **values: template.render({**fixed, **values})


@dataclass(frozen=True)
class ListSpec:
    """One paginated list of records: /debtors/, /courts/<slug>/, /regions/<code>/, /grounds/<code>/."""

    base: str
    rows: Sequence[PublicRecord]
    heading: str
    nav: str
    name: str = ""  # as listed on the browse index
    note: str = ""  # the browse index's second column
    feed: dict[str, str] | None = None
    crumb: dict[str, str] | None = None
    ground: str | None = None
    court: str | None = None  # a court's own list: its contact details shown, no court column


# A unit of rendering work, small enough to balance across processes:
# ("records", first, last) | ("list", spec index, first page, last page) | ("singles",)
Job = tuple[Any, ...]
RECORDS_PER_JOB = 2000
PAGES_PER_JOB = 100
BROWSE = (
    ("courts/", "按执行法院浏览", "执行法院", ""),
    ("regions/", "按地区浏览", "地区", "行政区划代码"),
    ("grounds/", "按失信情形浏览", "失信情形", "规定条款"),
)


class SitePages:
    """The record pages, lists, browse indexes, home, removals and 404 of one RenderContext."""

    def __init__(self, ctx: RenderContext):
        self.ctx = ctx
        self.env = ctx.env
        self.view: PublicView = ctx.view
        self.per_page: int = portal_settings(ctx.settings)["PORTAL_PER_PAGE"]
        self._record = self.env.get_template("record.html")
        self._list = self.env.get_template("list.html")
        self.specs = self._specs()
        self._fast_record: dict[str, Any] = {}
        self._row_template = self.env.get_template("_row.html")
        self._row_render: Any = None
        self._rows: dict[tuple[str, bool], Markup] = {}

    def _page(self, path: str, template: str, **values: Any) -> Lazy:
        """A page of `template` named by the values it is rendered with (and `row`, the rows'
        markup: a function of the records among those values and of the theme)."""
        tpl = self.env.get_template(template)
        return Lazy(path, tuple(values.values()), lambda: tpl.render(**values, row=self.row).encode("utf-8"))

    def row(self, r: PublicRecord, court_column: bool = True) -> Markup:
        """A record's row in every list (_row.html), rendered once per process: each
        record is in four or more lists. Without the court column on a court's own list."""
        html = self._rows.get((r.id, court_column))
        if html is None:
            if self._row_render is None:
                self._row_render = Contexts(self._row_template).render
            html = self._rows[r.id, court_column] = Markup(self._row_render(r=r, court_column=court_column))
        return html

    def row_without_court(self, r: PublicRecord) -> Markup:
        return self.row(r, court_column=False)

    # -- the work, in jobs ---------------------------------------------------------
    def jobs(self) -> list[Job]:
        """Every page of the site as jobs; `run(job)` yields their files. Biggest first."""
        n = len(self.view.public)
        out: list[Job] = [("records", a, min(a + RECORDS_PER_JOB, n)) for a in range(0, n, RECORDS_PER_JOB)]
        for i, spec in enumerate(self.specs):
            pages = max(1, ceil(len(spec.rows) / self.per_page))
            out += [("list", i, a, min(a + PAGES_PER_JOB - 1, pages)) for a in range(1, pages + 1, PAGES_PER_JOB)]
        out.append(("singles",))
        return out

    def run(self, job: Job) -> Iterator[Lazy]:
        kind = job[0]
        if kind == "records":
            yield from self.records(self.view.public[job[1] : job[2]])
        elif kind == "list":
            yield from self.list_pages(self.specs[job[1]], job[2], job[3])
        else:
            yield self.home()
            yield from self.browse_indexes()
            yield from self.removals()
            yield self.not_found()

    def all(self) -> Iterator[Lazy]:
        for job in self.jobs():
            yield from self.run(job)

    # -- record pages --------------------------------------------------------------
    def records(self, records: Sequence[PublicRecord]) -> Iterator[Lazy]:
        """The record pages of `records`: each named by its record alone."""

        def make(r: PublicRecord) -> bytes:
            # the template split around its blocks once per process and kind of debtor, from the
            # first chunk whose page is made (pages unchanged since a kept build cost nothing):
            # the head (noindex for persons) is part of the chrome, the same for one kind
            render = self._fast_record.get(r.kind)
            if render is None:
                same = [x for x in records if x.kind == r.kind]
                render = self._fast_record[r.kind] = fast_or_full(self._record, {"r": same[0]}, {"r": same[-1]})
            return render(r=r).encode("utf-8")  # type: ignore[no-any-return]

        for r in records:
            yield Lazy(f"debtors/{r.id}/index.html", (r,), functools.partial(make, r))

    # -- lists ---------------------------------------------------------------------
    def _specs(self) -> list[ListSpec]:
        view = self.view
        specs = [ListSpec("debtors/", view.public, "失信被执行人名单", "debtors")]
        for slug, rows in view.by_court().items():
            name = rows[0].court
            specs.append(ListSpec(
                f"courts/{slug}/", rows, name, "courts", name=name,
                feed={"href": f"feeds/courts/{slug}.atom", "title": f"{name}新纳入名单"},
                crumb={"href": "courts/", "name": "按执行法院"}, court=name,
            ))  # fmt: skip
        for code, rows in view.by_region().items():
            name = rows[0].region_name
            specs.append(ListSpec(
                f"regions/{code}/", rows, f"{name}（{code}）", "regions", name=name, note=code,
                feed={"href": f"feeds/regions/{code}.atom", "title": f"{name}新纳入名单"},
                crumb={"href": "regions/", "name": "按地区"},
            ))  # fmt: skip
        groups = view.by_ground()
        for code, label in GROUNDS.items():  # every ground, in the order of art. 1, even if empty
            specs.append(ListSpec(
                f"grounds/{code}/", groups.get(code, []), label, "grounds", name=label,
                note=f"第一条第{GROUND_ITEMS[code]}项", crumb={"href": "grounds/", "name": "按失信情形"}, ground=code,
            ))  # fmt: skip
        return specs

    def list_pages(self, spec: ListSpec, first: int = 1, last: int | None = None) -> Iterator[Lazy]:
        """Pages `first`..`last` of a list, each named by its pager, its rows and the list's
        own values (heading, nav, feed, crumb, ground)."""
        fixed = {"heading": spec.heading, "nav_active": spec.nav, "feed": spec.feed, "crumb": spec.crumb,
                 "ground": spec.ground, "court": spec.court, "court_column": spec.court is None}  # fmt: skip
        row = self.row if spec.court is None else self.row_without_court
        pages = max(1, ceil(len(spec.rows) / self.per_page))
        made: list[Any] = []  # the list's render, split once per job (FastPage) at its first page made

        def make(pager: Pager, rows: Sequence[PublicRecord]) -> bytes:
            if not made:
                other = Pager(spec.base, pages, pages, len(spec.rows))  # the last page: other rows, pager
                rest = spec.rows[(pages - 1) * self.per_page :]
                shared = {**fixed, "row": row}
                made.append(fast_or_full(
                    self._list, {"pager": pager, "rows": rows, **shared}, {"pager": other, "rows": rest, **shared},
                ))  # fmt: skip
            return made[0](pager=pager, rows=rows, **fixed, row=row).encode("utf-8")  # type: ignore[no-any-return]

        for n in range(first, min(pages, last or pages) + 1):
            pager = Pager(spec.base, n, pages, len(spec.rows))
            rows = spec.rows[(n - 1) * self.per_page : n * self.per_page]
            yield Lazy(pager.save_as, (pager, rows, fixed), functools.partial(make, pager, rows))

    def browse_indexes(self) -> Iterator[Lazy]:
        for prefix, heading, column, note_column in BROWSE:
            entries = [
                {"href": s.base, "name": s.name, "count": len(s.rows), "note": s.note}
                for s in self.specs
                if s.base.startswith(prefix)
            ]
            yield self._page(
                prefix + "index.html", "browse.html", heading=heading, nav_active=prefix[:-1],
                entries=entries, column=column, note_column=note_column,
            )  # fmt: skip

    # -- single pages --------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        public = self.view.public
        persons = list(map(attrgetter("kind"), public)).count("person")
        return {
            "public": len(public),
            "persons": persons,
            "organizations": len(public) - persons,
            "courts": len(self.view.by_court()),  # the distinct court slugs
            "notices": len(self.view.notices),
        }

    def home(self) -> Lazy:
        return self._page(
            "index.html", "index.html", nav_active="home", counts=self._counts(), as_of=self.view.as_of,
            newest=self.view.public[:HOME_NEWEST], news=self.ctx.news[:HOME_NEWS], kinds=kind_counts(self.view),
        )  # fmt: skip

    def removals(self) -> Iterator[Lazy]:
        days = portal_settings(self.ctx.settings)["PORTAL_REMOVAL_NOTICE_DAYS"]
        for pager, rows in paginate("removals/", self.view.notices, self.per_page):
            yield self._page(
                pager.save_as, "removals.html", pager=pager, rows=rows, days=days, as_of=self.view.as_of,
                nav_active="removals",
            )  # fmt: skip

    def not_found(self) -> Lazy:
        return self._page("404.html", "404.html")


class PagesRenderer:
    """outputs.Renderer of the site pages: record pages and list pages in chunks (jobs), on
    every core. The SitePages of the last context is kept: the jobs of one build share its
    lists and its rendered rows (a forked worker inherits them)."""

    name = "pages"
    parallel = True

    def __init__(self) -> None:
        self._site: SitePages | None = None

    def site(self, ctx: RenderContext) -> SitePages:
        if self._site is None or self._site.ctx is not ctx:
            self._site = SitePages(ctx)
        return self._site

    def jobs(self, ctx: RenderContext) -> Sequence[Job]:
        return self.site(ctx).jobs()

    def run(self, ctx: RenderContext, job: Job) -> Iterator[Lazy]:
        return self.site(ctx).run(job)


RENDERER = PagesRenderer()
