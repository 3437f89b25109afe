"""SPEC §6 through a whole build: a record waiting for its grace period leaves no trace in any
output (pages, feeds, data, sitemap, search index: the leak gate looks for its name); one listed
and removed on the same day has its removal notice and tombstone; a re-listing has its own page
beside the first listing's notice."""

from __future__ import annotations

from datetime import date, timedelta

from generator.state import paths

from .factory import AS_OF, record
from .sitefixture import grep_tree, make_site

SERVED = {"vetting__decided_on": date(2025, 5, 29), "vetting__served_on": date(2025, 5, 30)}


def test_grace_same_day_removal_and_relisting_in_every_output(tmp_path):
    waiting = record(case_number="（2026）鲁0502执801号", debtor__name="冯grace", listed_on=AS_OF - timedelta(days=2),
                     filed_on=date(2026, 3, 1), vetting__vetted_on=AS_OF - timedelta(days=3),
                     vetting__decided_on=AS_OF - timedelta(days=3), vetting__served_on=AS_OF - timedelta(days=2),
                     grace_until=AS_OF + timedelta(days=5))  # fmt: skip
    same_day = record(case_number="（2026）鲁0502执802号", debtor__name="陈sameday", listed_on=date(2026, 11, 10),
                      filed_on=date(2026, 3, 1), vetting__vetted_on=date(2026, 11, 10), status="removed",
                      removed_on=date(2026, 11, 10), removal_reason="corrected")  # fmt: skip
    first = record(status="removed", removed_on=date(2026, 9, 1), removal_reason="early_deletion", **SERVED)
    again = record(listing_no=2, listed_on=date(2026, 10, 8), vetting__vetted_on=date(2026, 10, 7),
                   vetting__decided_on=date(2026, 10, 7), vetting__served_on=date(2026, 10, 8))  # fmt: skip
    s = make_site(tmp_path, {"a.yaml": first, "b.yaml": again, "c.yaml": waiting, "d.yaml": same_day})
    result = s.build()
    assert "冯grace" in result.view.withheld_names  # the leak gate's needle: from policy.decide
    assert grep_tree(s.output, "冯grace", "（2026）鲁0502执801号") == []
    assert grep_tree(paths.index_dir(s.output), "冯grace") == []
    assert grep_tree(s.output, "陈sameday") == []
    notices = {tuple(c.text_content() for c in row) for row in s.page("removals/").cssselect("tbody tr")}
    assert ("（2026）鲁0502执802号", "东营市东营区人民法院", "2026-11-10", "纠正（不应纳入）") in notices
    assert ("（2024）鲁0502执1234号", "东营市东营区人民法院", "2026-09-01", "提前删除（信用修复）") in notices
    stones = (s.output / "feeds" / "removals.atom").read_text(encoding="utf-8")
    assert "debtor/2026-lu0502-zhi-802" in stones and "debtor/2024-lu0502-zhi-1234" in stones
    pages = {p.name for p in (s.output / "debtors").iterdir() if p.is_dir() and p.name != "page"}
    assert pages == {"2024-lu0502-zhi-1234-n2"}
    # after the grace period the record is public like any other
    later = s.build(settings={"PORTAL_AS_OF": (AS_OF + timedelta(days=5)).isoformat()})
    assert "2026-lu0502-zhi-801" in {p.id for p in later.view.public}
