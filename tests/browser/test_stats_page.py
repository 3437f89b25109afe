"""The statistics page in the browser: its figures equal counts computed here from the fixture
records with generator.domain.policy (not with generator.render.stats), and its charts draw the same numbers."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from .artifacts import screenshot


def _table(page, key: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = page.eval_on_selector_all(
        f"#table-{key} tbody tr",
        "trs => trs.map(tr => [tr.querySelector('th').innerText, tr.querySelector('td').innerText])",
    )
    return {label: int(count) for label, count in rows}


def _month(d: date) -> str:
    return f"{d.year}年{d.month}月"


def test_stats_equal_independent_counts(page, site):
    view = site.view
    public = view.public
    page.goto("/stats/")
    screenshot(page, "stats")
    assert int(page.locator("#stats-public").inner_text()) == len(public)
    assert int(page.locator("#stats-removals").inner_text()) == len(view.notices)

    assert _table(page, "court") == Counter(r.court for r in public)
    courts_of: dict[str, set[str]] = {}
    regions_of: dict[str, set[str]] = {}
    for r in public:
        courts_of.setdefault(r.region_code, set()).add(r.court)
        regions_of.setdefault(r.court, set()).add(r.region_code)
    if all(len(v) == 1 for v in courts_of.values()) and all(len(v) == 1 for v in regions_of.values()):
        # regions equal courts: the region is a column of the court table, no table of its own
        assert page.locator("#table-region").count() == 0
        cells = page.eval_on_selector_all(
            "#table-court tbody tr", "trs => trs.map(tr => [tr.querySelector('th').innerText, tr.cells[2].innerText])"
        )
        assert dict(cells) == {r.court: f"{r.region_name}（{r.region_code}）" for r in public}
    else:
        assert _table(page, "region") == Counter(f"{r.region_name}（{r.region_code}）" for r in public)
    from generator.domain.records import GROUNDS

    assert _table(page, "ground") == Counter(GROUNDS[g] for r in public for g in r.grounds)
    assert _table(page, "kind") == Counter("自然人" if r.kind == "person" else "法人或其他组织" for r in public)

    months = _table(page, "month")
    listed = Counter(_month(r.listed_on) for r in public)
    assert {k: v for k, v in months.items() if v} == listed
    assert list(months)[0] == _month(min(r.listed_on for r in public))
    assert list(months)[-1] == _month(view.as_of)

    removals = _table(page, "removal")
    assert {k: v for k, v in removals.items() if v} == Counter(_month(n.removed_on) for n in view.notices)
    assert list(removals)[0] == _month(view.as_of - timedelta(days=89))


def test_charts_draw_the_table_numbers(page):
    page.goto("/stats/")
    for key in ("court", "ground", "kind", "month", "removal", "reason"):
        svg = page.locator(f"#{key} svg[role='img']")
        assert svg.locator("title").text_content()
        counts = [c for c in _table(page, key).values() if c]
        widths = svg.locator("rect").evaluate_all("rs => rs.map(r => r.width.baseVal.value)")
        assert len(widths) == len(counts)
        unit = widths[0] / counts[0]
        assert all(abs(w - c * unit) < 0.2 for w, c in zip(widths, counts, strict=True))
        # drawn inside the page: the chart scales down with the column
        box = svg.bounding_box()
        assert box is not None and box["width"] <= page.viewport_size["width"]
