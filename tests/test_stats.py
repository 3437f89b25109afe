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
    assert _table(doc, "region") == dict(Counter(f"{r.region_name}（{r.region_code}）" for r in public))
    assert sum(_table(doc, "ground").values()) == sum(len(r.grounds) for r in public)
    months = _table(doc, "month")
    assert sum(months.values()) == len(public)
    assert months[f"{AS_OF.year}年{AS_OF.month}月"] == sum(
        r.listed_on.strftime("%Y%m") == AS_OF.strftime("%Y%m") for r in public
    )
    assert sum(_table(doc, "removal").values()) == len(ctx.view.notices) > 0


def test_charts_are_accessible_svg_proportional_to_counts(tmp_path):
    _ctx, _out, doc = _page(tmp_path, make_records(60, seed=3, as_of=AS_OF))
    for key in ("court", "region", "ground", "kind", "month", "removal"):
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
    assert _table(doc, "region") == {"东营区（370502）": 1}
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
    regions = Counter(r.region_code for r in public)
    region_names = {r.region_code: r.region_name for r in public}
    assert series["region"] == {f"{region_names[k]}（{k}）": v for k, v in regions.items()}
    grounds = Counter(g for r in public for g in r.grounds)
    assert sum(series["ground"].values()) == sum(grounds.values()) and len(series["ground"]) == len(grounds)
    listed = Counter((r.listed_on.year, r.listed_on.month) for r in public)
    assert {k: v for k, v in series["month"].items() if v} == {stats.month_label(*k): v for k, v in listed.items()}
    assert sum(series["kind"].values()) == len(public)
