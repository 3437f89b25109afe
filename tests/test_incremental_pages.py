"""The incremental build's own fast paths (generator.build.incremental): records edited in place keep
every list page but those that show them (keys of the live build's other pages reused), the
pages of unchanged records are claimed from the live build's list, home/browse/removals/404
are kept when what they are made from is unchanged, and the baseline is written as a delta of
the live one. Each must give a full build's output, and fall back when its preconditions fail."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from generator.build import incremental
from generator.state import paths

from .factory import AS_OF, ORG_DEBTOR, record, write
from .sitefixture import tree
from .test_incremental import FIELD_EDITS, PER_PAGE, _add, _build, _remove, _same_as_full, _site


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each incremental build's decisions: in place, list keys from the live ones, pages rendered."""
    out: list[dict[str, Any]] = []
    site_jobs = incremental.Session.site_jobs

    def spy(self: Any, site: Any, previous: Any) -> Any:
        jobs, run = site_jobs(self, site, previous)
        out.append(
            {
                "in_place": self.in_place,
                "lists": self.lists_from_live,
                "singles": sorted(job[1] for job in jobs if job[0] == "single"),
                "rendered": self.rendered,
            }
        )
        return jobs, run

    monkeypatch.setattr(incremental.Session, "site_jobs", spy)
    return out


def _file_of(s: Any, rec: Any) -> Path:
    """The record file of a public record (demo records: by case number)."""
    found = [
        path
        for path in sorted(s.records.rglob("*.yaml"))
        if rec.case_number in (text := path.read_text(encoding="utf-8")) and f"\n  name: {rec.name}\n" in text
    ]
    assert len(found) == 1, rec.id
    return found[0]


def _touch(path: Path, mark: str = "改：", line: str = "\nobligation: ") -> None:
    text = path.read_text(encoding="utf-8")
    assert line in text
    path.write_text(text.replace(line, f"{line}{mark}", 1), encoding="utf-8")


def test_edits_on_list_page_boundaries_equal_full(tmp_path, seen):
    """The last row of page 1 and the first of page 2 of /debtors/, and the list's last row."""
    s = _site(tmp_path)
    first = _build(s)
    public = first.view.public
    for rec in (public[PER_PAGE - 1], public[PER_PAGE], public[-1]):
        _touch(_file_of(s, rec), "改", "\n  name: ")  # the name shows in the lists' rows
    before = tree(s.output, mtimes=True)
    result = _same_as_full(tmp_path, s)
    assert result.parsed == 3
    assert seen[0]["in_place"] and seen[0]["lists"]
    changed = {k for k, v in tree(s.output, mtimes=True).items() if before.get(k) != v}
    assert {"debtors/index.html", "debtors/page/2/index.html"} <= changed
    pages = -(-len(public) // PER_PAGE)
    assert f"debtors/page/{pages}/index.html" in changed
    assert not {f"debtors/page/{n}/index.html" for n in range(3, pages)} & changed
    # none of the three is among the newest ten shown on the home page, or it is: either way
    # browse, removals and 404 did not change
    assert {"browse", "removals", "404"}.isdisjoint(seen[0]["singles"])
    assert {"courts/index.html", "removals/index.html", "404.html"}.isdisjoint(changed)


def test_edit_outside_the_newest_keeps_home(tmp_path, seen):
    s = _site(tmp_path)
    first = _build(s)
    _touch(_file_of(s, first.view.public[-1]))
    _same_as_full(tmp_path, s)
    assert seen[0]["singles"] == []  # home, browse, removals, 404: the live files


def test_edit_of_a_newest_record_renders_home(tmp_path, seen):
    s = _site(tmp_path)
    first = _build(s)
    _touch(_file_of(s, first.view.public[0]))
    _same_as_full(tmp_path, s)
    assert seen[0]["singles"] == ["home"]


@pytest.mark.parametrize("field", ["listed_on", "court", "grounds", "removed"])
def test_edit_that_moves_a_record_falls_back(tmp_path, seen, field):
    """A new listing date (order), court, grounds (other lists), or a removal: every list key
    is computed, as before."""
    s = _site(tmp_path)
    _build(s)
    write(s.records, "lu0502/person.yaml", record(**FIELD_EDITS[field]))
    _same_as_full(tmp_path, s)
    assert not seen[0]["in_place"] and not seen[0]["lists"]


def test_edit_that_keeps_the_order_but_changes_the_kind_falls_back(tmp_path, seen):
    """The home page counts persons and organizations: `kind` is part of the placement."""
    s = _site(tmp_path)
    first = _build(s)
    rec = next(r for r in first.view.public if r.kind == "person" and r.id == "2024-lu0502-zhi-1234")
    org = record(debtor=dict(ORG_DEBTOR))
    write(s.records, "lu0502/person.yaml", org)
    result = _same_as_full(tmp_path, s)
    assert result.public == first.public and rec.id in {r.id for r in result.view.public}
    assert not seen[0]["in_place"]


def test_chain_of_in_place_edits_equals_full(tmp_path, seen):
    """Edits in a row, each in place, the baseline kept as a delta of the first one; then an
    added record (not in place), then an edit again."""
    s = _site(tmp_path)
    first = _build(s)
    state = paths.state_dir(s.output) / "build"
    inode = (state / incremental.STATE_FILE).stat().st_ino
    public = first.view.public
    for n, rec in enumerate((public[3], public[20], public[3], public[40])):
        _touch(_file_of(s, rec), f"改{n}：")
        assert _build(s).incremental
        assert (state / incremental.STATE_DELTA).exists()
        assert (state / incremental.STATE_FILE).stat().st_ino == inode  # the first build's, linked
    _add(s)
    assert _build(s).incremental
    _touch(_file_of(s, public[30]), "再改：")
    result = _same_as_full(tmp_path, s)
    assert result.parsed == 1
    assert [b["in_place"] for b in seen] == [True, True, True, True, False, True]
    assert (state / incremental.STATE_FILE).stat().st_ino == inode


def test_baseline_written_whole_past_the_delta_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(incremental, "STATE_DELTA_MAX", 0)
    s = _site(tmp_path)
    first = _build(s)
    state = paths.state_dir(s.output) / "build"
    inode = (state / incremental.STATE_FILE).stat().st_ino
    _touch(_file_of(s, first.view.public[5]))
    _same_as_full(tmp_path, s)
    assert (state / incremental.STATE_FILE).stat().st_ino != inode
    assert not (state / incremental.STATE_DELTA).exists()


def test_delta_baseline_equals_whole_one(tmp_path):
    """The baseline read back from STATE_FILE and STATE_DELTA is the one a build made."""
    s = _site(tmp_path)
    first = _build(s)
    state = paths.state_dir(s.output) / "build"
    _touch(_file_of(s, first.view.public[7]))
    _build(s)
    _remove(s)
    _build(s)
    assert (state / incremental.STATE_DELTA).exists()
    base = incremental.read_baseline(state)
    assert base is not None
    whole = state.parent / "whole"
    whole.mkdir()
    os.link(state / incremental.STATE_FILE, whole / incremental.STATE_FILE)
    # a full build of the same inputs writes the baseline whole: the same values
    _build(s, incremental=False)
    again = incremental.read_baseline(state)
    assert again is not None and not (state / incremental.STATE_DELTA).exists()
    for name in ("records", "lists", "withheld", "uscc", "placed", "singles", "parts", "inputs", "version"):
        assert getattr(base, name) == getattr(again, name), name
    assert base.ours_in(_manifest(state)) == again.ours_in(_manifest(state))


def _manifest(state: Path) -> Any:
    return incremental.manifest_of(state)


def test_news_only_change_keeps_every_list(tmp_path, seen):
    from .test_incremental import _news

    s = _site(tmp_path)
    _build(s)
    _news(s)
    _same_as_full(tmp_path, s)
    assert seen[0]["in_place"] and seen[0]["lists"] and seen[0]["singles"] == ["home"]


def test_as_of_change_equals_full(tmp_path, seen):
    """A day later: home and removals show the date; records that expire change the lists."""
    s = _site(tmp_path)
    _build(s)
    _same_as_full(tmp_path, s, as_of=AS_OF + timedelta(days=1))
    assert {"home", "removals"} <= set(seen[0]["singles"])


def test_removal_notice_ageing_out_renders_removals(tmp_path, seen):
    """A removal notice leaves /removals/ when its window ends (the date alone changed)."""
    s = _site(tmp_path)
    write(
        s.records, "lu0502/person.yaml",
        record(status="removed", removed_on=date(2026, 9, 1), removal_reason="performed"),
    )  # fmt: skip
    _build(s)
    _same_as_full(tmp_path, s, as_of=date(2026, 12, 5), allow_drop=True)
    assert "removals" in seen[0]["singles"]
