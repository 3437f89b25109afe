"""The statistics page (/stats/): counts of public records by court, region, ground, kind and
month of listing, removal notices per month, listings against removals month by month, removal
reasons, and outstanding amounts (sum, median) by court and by ground, as SVG bar charts drawn
here at build time (no JavaScript) with the same numbers in tables for screen readers.

While every court is the only court of its region (a city's courts, one per district), counts
by region would repeat those by court: the region then is a column of the court table, and the
page says why there is no separate table.

Only the PublicView is read: public records and removal notices, both already public.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from statistics import median

from markupsafe import Markup, escape

from generator.domain.policy import PublicRecord, PublicView
from generator.domain.records import GROUNDS, REMOVAL_REASONS
from generator.render.outputs import Lazy, RenderContext, Single
from generator.render.pagecontext import page_context
from generator.render.pages import money

Cell = tuple[str, str | None]  # text, site-relative link


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    href: str | None = None  # site-relative, e.g. "courts/lu0502/"
    cells: tuple[Cell, ...] = ()  # the columns after the count (Series.columns)
    second: int | None = None  # a second bar (Series.second): None when not known for the row


@dataclass(frozen=True)
class Series:
    key: str  # element id stem, e.g. "court"
    title: str  # section heading
    label_header: str  # first column's header
    count_header: str
    rows: tuple[Row, ...]
    note: str = ""
    columns: tuple[str, ...] = ()  # headers of the columns after the count
    totals: tuple[str, ...] = ()  # their 合计 cells
    second: str = ""  # what the second bar of a row counts (its column is the first of `columns`)
    chart: bool = True

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


def one_court_per_region(view: PublicView) -> bool:
    """Every region's records are of one court, and every court's of one region: counts by
    region would repeat those by court."""
    courts_of = {code: {r.court_slug for r in rows} for code, rows in view.by_region().items()}
    regions_of = {slug: {r.region_code for r in rows} for slug, rows in view.by_court().items()}
    return all(len(v) == 1 for v in courts_of.values()) and all(len(v) == 1 for v in regions_of.values())


def _amounts(rows: Iterable[PublicRecord]) -> tuple[int, list[Decimal]]:
    """(records, the outstanding amounts given) of some records."""
    n = 0
    amounts = []
    for r in rows:
        n += 1
        if r.outstanding is not None:
            amounts.append(r.outstanding)
    return n, amounts


def _money_cells(amounts: list[Decimal]) -> tuple[Cell, ...]:
    if not amounts:
        return (str(0), None), ("—", None), ("—", None)
    return (str(len(amounts)), None), (money(sum(amounts, Decimal(0))), None), (money(median(amounts)), None)


MONEY_COLUMNS = ("填有金额的记录数", "未履行金额合计（元）", "未履行金额中位数（元）")
MONEY_NOTE = ("未履行金额为记录中填写的“未履行金额”，未填写的记录不计入合计与中位数；"
              "金额截至各记录发布时，此后的履行情况以执行法院为准。")  # fmt: skip


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
    by_ground = view.by_ground()
    grounds = Counter({code: len(rows) for code, rows in by_ground.items()})
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
    reasons = Counter(map(attrgetter("reason"), view.notices))

    listed_months = _months(min(days), view.as_of) if public else []
    window_start = view.as_of - timedelta(days=max(notice_days - 1, 0))
    removal_months = _months(window_start, view.as_of) if notice_days > 0 else []
    merged = bool(public) and one_court_per_region(view)

    def court_row(slug: str) -> Row:
        if not merged:
            return Row(court_names[slug], courts[slug], f"courts/{slug}/")
        code = by_court[slug][-1].region_code
        return Row(court_names[slug], courts[slug], f"courts/{slug}/",
                   cells=((f"{region_names[code]}（{code}）", f"regions/{code}/"),))  # fmt: skip

    court_series = Series("court", "按执行法院", "执行法院", "公开记录数", tuple(court_row(s) for s in _by_count(courts)),
                          columns=("地区",) if merged else (), totals=("",) if merged else (),
                          note="本站每个地区只有一个执行法院，按地区统计与按法院统计相同，地区列在本表中，"
                               "不另列“按地区”。" if merged else "")  # fmt: skip
    region_series = [] if merged else [Series("region", "按地区", "地区", "公开记录数", tuple(
        Row(f"{region_names[c]}（{c}）", regions[c], f"regions/{c}/") for c in _by_count(regions)
    ))]  # fmt: skip

    court_money = [(slug, _amounts(by_court[slug])) for slug in _by_count(courts)]
    ground_money = [(code, label, _amounts(by_ground[code])) for code, label in GROUNDS.items() if grounds[code]]
    every = _amounts(public)[1]
    known = set(removal_months)

    return [
        court_series,
        *region_series,
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
        Series("flow", "纳入与删除对比（按月）", "月份", "纳入名单数（仍在公布）", tuple(
            Row(month_label(y, m), listed[(y, m)], cells=((str(removed[(y, m)]) if (y, m) in known else "—", None),),
                second=removed[(y, m)] if (y, m) in known else None)
            for y, m in sorted(set(listed_months) | known)
        ), columns=("删除公告数",), totals=(str(sum(removed.values())),), second="删除公告数",
           note=f"蓝色为当月发布、今天仍在公布的记录数，橙色为当月的删除公告数；删除公告只保留 {notice_days} 天，"
                f"{window_start.isoformat()} 以前的删除数无从统计，记为“—”。当月纳入后又已删除的记录不计入蓝色。"),
        Series("reason", "删除原因", "删除原因", "删除公告数", tuple(
            Row(label, reasons[code]) for code, label in REMOVAL_REASONS.items() if reasons[code]
        ), note=f"近 {notice_days} 天的删除公告，按删除原因（《若干规定》第十条、第十二条）。"),
        Series("money-court", "未履行金额（按执行法院）", "执行法院", "公开记录数", tuple(
            Row(court_names[slug], n, f"courts/{slug}/", cells=_money_cells(amounts))
            for slug, (n, amounts) in court_money
        ), columns=MONEY_COLUMNS, totals=tuple(t for t, _ in _money_cells(every)), chart=False, note=MONEY_NOTE),
        Series("money-ground", "未履行金额（按失信情形）", "失信情形", "公开记录数", tuple(
            Row(label, n, f"grounds/{code}/", cells=_money_cells(amounts)) for code, label, (n, amounts) in ground_money
        ), columns=MONEY_COLUMNS, chart=False,
           note="一条记录可有多项失信情形，其金额计入每一项，各项之和可能大于总额。" + MONEY_NOTE),
    ]  # fmt: skip


# Chart geometry, in SVG user units (the chart scales to the column width).
WIDTH = 480  # narrow: on a 375 px phone the text shrinks only to about 70 %
FONT = 14
BAR = 16
GAP = 8
PAD = 4
BAR_FILL = "#1f5fa8"  # 6.5:1 on white, above WCAG's 3:1 for graphics
SECOND_FILL = "#b34700"  # the second bar (removals): 5.3:1 on white, and unlike the blue to colour-blind eyes
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
    two = bool(series.second)
    peak = max((max(r.count, r.second or 0) for r in rows), default=0) or 1
    number_room = _text_width(str(peak)) + 2 * PAD
    label_room = max((_text_width(r.label) for r in rows), default=0) + 2 * PAD
    above = label_room > WIDTH * 0.4
    left = 0.0 if above else label_room
    row_h = BAR + GAP + (FONT + PAD if above else 0) + (BAR if two else 0)
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
        if two and row.second is not None:
            top += BAR
            width = row.second * scale
            if row.second:
                parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{BAR}" '
                             f'fill="{SECOND_FILL}" class="second"/>')  # fmt: skip
            parts.append(f'<text x="{left + width + PAD:.1f}" y="{top + BAR - 3:.1f}">{row.second}</text>')
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
            series=[(s, bar_chart(s) if s.chart else None) for s in series],
            public_count=public_count,
            notice_count=notice_count,
            page_url="stats/",
            nav_active="stats",
        )
        return html.encode("utf-8")  # type: ignore[no-any-return]

    # the settings in `base` are in ctx.fingerprint; its date is not
    yield Lazy("stats/index.html", (series, public_count, notice_count, ctx.view.as_of), make)


RENDERER = Single("stats", render)
