"""The statistics page: numbers from public records and notices only, charts match tables."""

from __future__ import annotations

from collections import Counter
from datetime import date

import lxml.html

from generator.render import stats
from generator.render.outputs import render_all
from generator.staff.demo import make_records

from .factory import AS_OF, NO_TERM, record
from .renderctx import context, materialise, view_of


def render_context(folder, records, **settings):
    return context(view_of(folder, records), settings)


def files(outputs):
    """A renderer's files, made, by path."""
    return materialise(outputs)


def _page(tmp_path, records, **settings):
    ctx = render_context(tmp_path / "c", records, **settings)
    out = list(render_all(stats.RENDERER, ctx))
    return ctx, out, lxml.html.fromstring(files(out)["stats/index.html"])


def _table(doc, key):
    rows = doc.cssselect(f"#table-{key} tbody tr")
    return {tr.cssselect("th")[0].text_content(): int(tr.cssselect("td")[0].text_content()) for tr in rows}


def test_tables_equal_counts_from_view(tmp_path):
    ctx, _out, doc = _page(tmp_path, make_records(120, seed=7, as_of=AS_OF))
    public = ctx.view.public
    assert int(doc.cssselect("#stats-public")[0].text) == len(public)
    assert _table(doc, "court") == dict(Counter(r.court for r in public))
    # the demo's courts are one per region: the region is a column of the court table
    assert not doc.cssselect("#table-region")
    region_of = {r.court: f"{r.region_name}（{r.region_code}）" for r in public}
    for tr in doc.cssselect("#table-court tbody tr"):
        assert tr.cssselect("td")[1].text_content() == region_of[tr.cssselect("th")[0].text_content()]
    assert "不另列“按地区”" in doc.cssselect("#court .stats-note")[0].text_content()
    assert sum(_table(doc, "ground").values()) == sum(len(r.grounds) for r in public)
    months = _table(doc, "month")
    assert sum(months.values()) == len(public)
    assert months[f"{AS_OF.year}年{AS_OF.month}月"] == sum(
        r.listed_on.strftime("%Y%m") == AS_OF.strftime("%Y%m") for r in public
    )
    assert sum(_table(doc, "removal").values()) == len(ctx.view.notices) > 0


def test_charts_are_accessible_svg_proportional_to_counts(tmp_path):
    _ctx, _out, doc = _page(tmp_path, make_records(60, seed=3, as_of=AS_OF))
    for key in ("court", "ground", "kind", "month", "removal", "reason"):
        [svg] = doc.cssselect(f"#{key} svg")
        assert svg.get("role") == "img"
        title = svg.cssselect("title")[0]
        assert svg.get("aria-labelledby") == title.get("id") and title.text
        counts = list(_table(doc, key).values())
        bars = [float(r.get("width")) for r in svg.cssselect("rect")]
        assert len(bars) == sum(1 for c in counts if c)
        nonzero = [c for c in counts if c]
        unit = bars[0] / nonzero[0]
        assert all(abs(w - c * unit) < 0.2 for w, c in zip(bars, nonzero, strict=True))
    assert not doc.cssselect("script")


def test_only_public_records_are_counted(tmp_path):
    listed = record()
    removed = record(case_number="（2024）鲁0503执999号", debtor__name="王五", status="removed", region_code="370503",
                     court="东营市河口区人民法院", removed_on=date(2026, 10, 3), removal_reason="performed", **NO_TERM,
                     vetting__decision="（2024）鲁0503执999号之一")  # fmt: skip
    future = record(case_number="（2024）鲁0502执998号", listed_on=date(2026, 12, 1), vetting__vetted_on=date(2026, 11, 30),
                    vetting__decision="（2024）鲁0502执998号之一")  # fmt: skip
    _ctx, out, doc = _page(tmp_path, [listed, removed, future])
    assert _table(doc, "court") == {"东营市东营区人民法院": 1}
    assert not doc.cssselect("#table-region")
    assert _table(doc, "month")["2025年6月"] == 1
    assert sum(_table(doc, "month").values()) == 1
    assert "2026年12月" not in _table(doc, "month")
    assert _table(doc, "removal") == {"2026年8月": 0, "2026年9月": 0, "2026年10月": 1, "2026年11月": 0}
    html = files(out)["stats/index.html"].decode()
    assert "王五" not in html and "河口区" not in html and "执999号" not in html


def test_deterministic(tmp_path):
    ctx, out, _doc = _page(tmp_path, make_records(40, seed=5, as_of=AS_OF))
    assert files(render_all(stats.RENDERER, ctx)) == files(out)
    [page] = out
    assert page.inputs[1:] == (len(ctx.view.public), len(ctx.view.notices), ctx.view.as_of)


def test_empty_view(tmp_path):
    _ctx, _out, doc = _page(
        tmp_path, [record(listed_on=date(2026, 12, 1), vetting__vetted_on=date(2026, 11, 30), debtor__age=41)]
    )
    assert doc.cssselect("#stats-public")[0].text == "0"
    assert not doc.cssselect("#court svg")


def test_counts_from_the_view_groups_equal_a_count_of_every_record(tmp_path):
    """compute() counts from the view's groups; the same numbers as counting record by record."""
    ctx = render_context(tmp_path / "c", make_records(400, seed=3, as_of=AS_OF))
    view = ctx.view
    public = view.public
    series = {s.key: {r.label: r.count for r in s.rows} for s in stats.compute(view, 30)}
    courts = Counter(r.court_slug for r in public)
    names = {r.court_slug: r.court for r in public}
    assert series["court"] == {names[k]: v for k, v in courts.items()}
    assert "region" not in series and stats.one_court_per_region(view)
    grounds = Counter(g for r in public for g in r.grounds)
    assert sum(series["ground"].values()) == sum(grounds.values()) and len(series["ground"]) == len(grounds)
    listed = Counter((r.listed_on.year, r.listed_on.month) for r in public)
    assert {k: v for k, v in series["month"].items() if v} == {stats.month_label(*k): v for k, v in listed.items()}
    assert sum(series["kind"].values()) == len(public)


# ---------------------------------------------------------------- for journalists (issue 18, point 7)


def _rows(doc, key):
    """Every row of a table as its cell texts, header cell first."""
    return [[c.text_content() for c in tr.cssselect("th, td")] for tr in doc.cssselect(f"#table-{key} tbody tr")]


def _journalists_records():
    """Two courts in one region (东营区), another court in its own; amounts, removals, a record
    without an amount."""
    return [
        record(outstanding=100),  # 鲁0502, 370502, evades_by_fraud, listed 2025-06-01
        record(case_number="（2024）鲁0502执1301号", outstanding=300, vetting__decision="（2024）鲁0502执1301号之一",
               grounds=["evades_by_fraud", "violates_asset_report"]),
        record(case_number="（2024）鲁0502执1302号", outstanding=None, vetting__decision="（2024）鲁0502执1302号之一"),
        # another court of the same region
        record(case_number="（2024）鲁05执1303号", court="东营市中级人民法院", outstanding=1000,
               vetting__decision="（2024）鲁05执1303号之一", listed_on=date(2026, 11, 2),
               vetting__vetted_on=date(2026, 11, 1)),
        record(case_number="（2024）鲁0503执1304号", court="东营市河口区人民法院", region_code="370503", outstanding=50,
               vetting__decision="（2024）鲁0503执1304号之一"),
        # removed in October and November (public notices), reasons of art. 10 and art. 12
        record(case_number="（2024）鲁0502执1305号", status="removed", removed_on=date(2026, 10, 3),
               removal_reason="corrected", vetting__decision="（2024）鲁0502执1305号之一"),
        record(case_number="（2024）鲁0502执1306号", status="removed", removed_on=date(2026, 11, 20),
               removal_reason="corrected", vetting__decision="（2024）鲁0502执1306号之一"),
        record(case_number="（2024）鲁0502执1307号", status="removed", removed_on=date(2026, 11, 21),
               removal_reason="performed", grounds=["able_but_refuses"], term_years=None,
               vetting__decision="（2024）鲁0502执1307号之一"),
    ]  # fmt: skip


def test_listings_against_removals_by_month(tmp_path):
    ctx, _out, doc = _page(tmp_path, _journalists_records())
    rows = {r[0]: r[1:] for r in _rows(doc, "flow")}
    assert rows["2025年6月"] == ["4", "—"]  # before the notice window: removals not known
    assert rows["2026年10月"] == ["0", "1"]
    assert rows["2026年11月"] == ["1", "2"]
    assert doc.cssselect("#table-flow tfoot td")[1].text_content() == "3"
    # the chart draws both: blue listings, orange removals where known
    [svg] = doc.cssselect("#flow svg")
    assert len(svg.cssselect("rect.second")) == 2
    assert len(svg.cssselect("rect")) == 2 + sum(1 for v in rows.values() if v[0] != "0")


def test_removal_reasons(tmp_path):
    _ctx, _out, doc = _page(tmp_path, _journalists_records())
    assert _table(doc, "reason") == {"纠正（不应纳入）": 2, "已履行完毕": 1}


def test_outstanding_amounts_by_court_and_ground(tmp_path):
    _ctx, _out, doc = _page(tmp_path, _journalists_records())
    court = {r[0]: r[1:] for r in _rows(doc, "money-court")}
    # records, with an amount, sum, median
    assert court["东营市东营区人民法院"] == ["3", "2", "400.00", "200.00"]
    assert court["东营市中级人民法院"] == ["1", "1", "1,000.00", "1,000.00"]
    assert court["东营市河口区人民法院"] == ["1", "1", "50.00", "50.00"]
    assert [c.text_content() for c in doc.cssselect("#table-money-court tfoot td")] == ["5", "4", "1,450.00", "200.00"]
    ground = {r[0]: r[1:] for r in _rows(doc, "money-ground")}
    assert ground["以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行"] == ["5", "4", "1,450.00", "200.00"]
    assert ground["违反财产报告制度"] == ["1", "1", "300.00", "300.00"]
    assert not doc.cssselect("#money-court svg")


def test_regions_are_shown_when_they_say_something_new(tmp_path):
    _ctx, _out, doc = _page(tmp_path, _journalists_records())
    # 东营区 has two courts: counts by region differ from those by court
    assert _table(doc, "region") == {"东营区（370502）": 4, "河口区（370503）": 1}
    assert not doc.cssselect("#court .stats-note")
    assert len(doc.cssselect("#table-court thead th")) == 2
