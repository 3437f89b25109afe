"""Sitemaps (generator.render.sitemap): an incremental build whose records changed in place, their
listing dates kept, has the live build's files; any other change makes them again, and either
way they are a full render's bytes."""

from __future__ import annotations

from datetime import date

import pytest

from generator.render import sitemap

from .factory import record
from .renderctx import context, delta_of, rendered, view_of

EXTRA = ["about/", "news/sweep/"]


def _records() -> list[dict]:
    return [
        record(),
        record(case_number="（2024）鲁0502执1240号", debtor__name="李小龙", listed_on=date(2026, 3, 2)),
        record(case_number="（2025）鲁0503执100号", court="东营市河口区人民法院", region_code="370503",
               debtor__name="王五", listed_on=date(2026, 1, 5)),
    ]  # fmt: skip


@pytest.mark.parametrize("noindex", [False, True])
def test_incremental_sitemaps_equal_full_ones(tmp_path, monkeypatch, noindex):
    monkeypatch.setattr(sitemap, "MAX_URLS", 5)  # several files, a record in each
    settings = {"PORTAL_NOINDEX_RECORDS": noindex, "SITEURL": "https://example.gov.cn"}
    recs = _records()
    before = view_of(tmp_path / "r", recs)
    ctx = context(before, settings)
    previous = rendered(sitemap.render, ctx, extra=EXTRA)
    memo = ctx.memo

    def step(label: str, kept: bool, as_of: date = date(2026, 11, 25)) -> None:
        nonlocal before, previous, memo
        after = view_of(tmp_path / "r", recs, as_of)
        inc = context(after, settings)
        inc.memo, inc.delta = memo, delta_of(before, after, tmp_path)
        known = memo[sitemap.MEMO]  # the live build's (the render replaces it in the memo)
        out = rendered(sitemap.render, inc, extra=EXTRA)
        assert out == rendered(sitemap.render, context(after, settings), extra=EXTRA), label
        same = [p for p in out if p != "robots.txt"]
        assert all(inc.memo[sitemap.MEMO][p][1] is known[p][1] for p in same) == kept, label
        before, previous, memo = after, out, inc.memo

    recs[1] = {**recs[1], "obligation": "已改"}
    step("obligation", kept=True)
    recs[0] = {**recs[0], "debtor": {**recs[0]["debtor"], "name": "张三"}}
    step("name", kept=True)
    recs[1] = {**recs[1], "listed_on": date(2026, 3, 3)}  # its lastmod
    step("listed_on", kept=noindex)
    recs.append(record(case_number="（2024）鲁0502执1500号", debtor__name="周九", listed_on=date(2026, 11, 1)))
    step("added", kept=False)
    recs[2] = {**recs[2], "court": "东营市东营区人民法院", "region_code": "370502",
               "case_number": "（2025）鲁0502执100号"}  # fmt: skip
    step("court", kept=False)  # a court without records: its list page is not in the sitemap any more
    step("as_of", kept=True, as_of=date(2026, 11, 26))  # the URLs and dates are the same


def test_without_a_delta_the_sitemaps_are_made(tmp_path):
    view = view_of(tmp_path / "r", _records())
    ctx = context(view)
    first = rendered(sitemap.render, ctx, extra=EXTRA)
    again = context(view)
    again.memo = dict(ctx.memo)  # a memo, but no delta: a full build
    assert rendered(sitemap.render, again, extra=EXTRA) == first
    assert again.memo[sitemap.MEMO]["sitemap.xml"][1] is not ctx.memo[sitemap.MEMO]["sitemap.xml"][1]
