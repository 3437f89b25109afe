"""The statistics page (/stats/): counts of public records by court, region, ground, kind and
month of listing, and removal notices per month, as SVG bar charts drawn here at build time
(no JavaScript) with the same numbers in tables for screen readers.

Only the PublicView is read: public records and removal notices, both already public.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter

from markupsafe import Markup, escape

from generator.domain.policy import PublicView
from generator.domain.records import GROUNDS
from generator.render.outputs import Lazy, RenderContext, Single
from generator.render.pagecontext import page_context


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    href: str | None = None  # site-relative, e.g. "courts/lu0502/"


@dataclass(frozen=True)
class Series:
    key: str  # element id stem, e.g. "court"
    title: str  # section heading
    label_header: str  # first column's header
    count_header: str
    rows: tuple[Row, ...]
    note: str = ""

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


def month_label(year: int, month: int) -> str:
    return f"{year}年{month}月"


def _months(first: date, last: date) -> list[tuple[int, int]]:
    """Every (year, month) from first's month to last's month: empty months are shown as 0."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _by_count(counter: Counter[str]) -> list[str]:
    return sorted(counter, key=lambda k: (-counter[k], k))


def compute(view: PublicView, notice_days: int) -> list[Series]:
    """Every series on the page, in page order; numbers only from the view."""
    public = view.public
    # from the view's groups (made once, shared with the pages and feeds), not a pass over
    # 100,000 records for each count; a group's last record names it, as a dict built record by
    # record would
    by_court, by_region = view.by_court(), view.by_region()
    courts = Counter({slug: len(rows) for slug, rows in by_court.items()})
    court_names = {slug: rows[-1].court for slug, rows in by_court.items()}
    regions = Counter({code: len(rows) for code, rows in by_region.items()})
    region_names = {code: rows[-1].region_name for code, rows in by_region.items()}
    grounds = Counter({code: len(rows) for code, rows in view.by_ground().items()})
    # counted in C (map + attrgetter), in one pass over the records: no Python call per record
    both = Counter(map(attrgetter("kind", "listed_on"), public))
    kinds: Counter[str] = Counter()
    days: Counter[date] = Counter()
    for (kind, day), count in both.items():
        kinds[kind] += count
        days[day] += count
    listed: Counter[tuple[int, int]] = Counter()
    for day, count in days.items():
        listed[(day.year, day.month)] += count
    removed: Counter[tuple[int, int]] = Counter()
    for day, count in Counter(map(attrgetter("removed_on"), view.notices)).items():
        removed[(day.year, day.month)] += count

    listed_months = _months(min(days), view.as_of) if public else []
    window_start = view.as_of - timedelta(days=max(notice_days - 1, 0))
    removal_months = _months(window_start, view.as_of) if notice_days > 0 else []

    return [
        Series("court", "按执行法院", "执行法院", "公开记录数", tuple(
            Row(court_names[s], courts[s], f"courts/{s}/") for s in _by_count(courts)
        )),
        Series("region", "按地区", "地区", "公开记录数", tuple(
            Row(f"{region_names[c]}（{c}）", regions[c], f"regions/{c}/") for c in _by_count(regions)
        )),
        Series("ground", "按失信情形", "失信情形", "公开记录数", tuple(
            Row(label, grounds[code], f"grounds/{code}/") for code, label in GROUNDS.items() if grounds[code]
        ), note="一条记录可有多项失信情形，各项之和可能大于记录总数。"),
        Series("kind", "按被执行人类型", "被执行人类型", "公开记录数", tuple(
            Row(label, kinds[k]) for k, label in (("person", "自然人"), ("organization", "法人或其他组织")) if kinds[k]
        )),
        Series("month", "按发布月份", "发布月份", "纳入名单数", tuple(
            Row(month_label(y, m), listed[(y, m)]) for y, m in listed_months
        ), note="仍在公布期内的记录按其发布时间计；已删除或期满的记录不计入。"),
        Series("removal", "删除公告（按月）", "删除月份", "删除公告数", tuple(
            Row(month_label(y, m), removed[(y, m)]) for y, m in removal_months
        ), note=f"删除公告只保留 {notice_days} 天，本图只含 {window_start.isoformat()} 以来的删除。"),
    ]  # fmt: skip


# Chart geometry, in SVG user units (the chart scales to the column width).
WIDTH = 480  # narrow: on a 375 px phone the text shrinks only to about 70 %
FONT = 14
BAR = 16
GAP = 8
PAD = 4
BAR_FILL = "#1f5fa8"  # 6.5:1 on white, above WCAG's 3:1 for graphics
TEXT_FILL = "#1a1a1a"


def _text_width(text: str) -> float:
    """Rough rendered width: Han characters and full-width punctuation are 1 em, the rest 0.6."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.6 for c in text) * FONT


def bar_chart(series: Series) -> Markup:
    """A horizontal bar chart as inline SVG with role="img" and a <title>.

    Short labels sit left of their bar; long ones (失信情形) sit above it, so nothing is cut off
    at 375 px. Coordinates are rounded to one decimal: the same numbers give the same bytes.
    """
    rows = series.rows
    peak = max((r.count for r in rows), default=0) or 1
    number_room = _text_width(str(peak)) + 2 * PAD
    label_room = max((_text_width(r.label) for r in rows), default=0) + 2 * PAD
    above = label_room > WIDTH * 0.4
    left = 0.0 if above else label_room
    row_h = BAR + GAP + (FONT + PAD if above else 0)
    height = len(rows) * row_h + GAP
    scale = (WIDTH - left - number_room) / peak
    title_id = f"chart-{series.key}-title"
    parts = [
        f'<svg role="img" aria-labelledby="{title_id}" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" '
        f'font-size="{FONT}" fill="{TEXT_FILL}">',
        f'<title id="{title_id}">{escape(series.title)}：条形图，共 {len(rows)} 项，数字见下表</title>',
    ]
    for i, row in enumerate(rows):
        top = GAP + i * row_h
        if above:
            parts.append(f'<text x="0" y="{top + FONT:.1f}">{escape(row.label)}</text>')
            top += FONT + PAD
        else:
            parts.append(
                f'<text x="{left - PAD:.1f}" y="{top + BAR - 3:.1f}" text-anchor="end">{escape(row.label)}</text>'
            )
        width = row.count * scale
        if row.count:
            parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{BAR}" fill="{BAR_FILL}"/>')
        parts.append(f'<text x="{left + width + PAD:.1f}" y="{top + BAR - 3:.1f}">{row.count}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render(ctx: RenderContext) -> Iterator[Lazy]:
    """stats/index.html, named by its series, counts and date."""
    base = page_context(ctx)
    series = compute(ctx.view, int(base["PORTAL_REMOVAL_NOTICE_DAYS"]))
    public_count, notice_count = len(ctx.view.public), len(ctx.view.notices)
    template = ctx.env.get_template("stats.html")

    def make() -> bytes:
        html = template.render(
            base,
            series=[(s, bar_chart(s)) for s in series],
            public_count=public_count,
            notice_count=notice_count,
            page_url="stats/",
            nav_active="stats",
        )
        return html.encode("utf-8")  # type: ignore[no-any-return]

    # the settings in `base` are in ctx.fingerprint; its date is not
    yield Lazy("stats/index.html", (series, public_count, notice_count, ctx.view.as_of), make)


RENDERER = Single("stats", render)
