"""The read path on the state store (generator.read.view): the view is the same whether records
came from the store's memos or were parsed, in every mode and after every kind of change, and a
damaged store is a full read, never an error."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from generator.domain.policy import decide_records
from generator.errors import ContentErrors, UsageError
from generator.read import checker, view
from generator.read.checker import check_paths
from generator.read.view import FILES, RECORDS, RECORDS_DRAFTS, ReadStats, as_of_from, load_view
from generator.staff import demo
from generator.state.store import Store

from .factory import AS_OF, record, write

NOTICE_DAYS = 90


@pytest.fixture
def site(tmp_path):
    """A content folder of demo records (some removed, some expired: notices and withheld)."""
    content = tmp_path / "content"
    demo.write_records(content / "debtors", demo.make_records(120, seed=5, as_of=AS_OF))
    return content


def settings(content: Path, **more) -> dict:
    return {"PATH": str(content), "PORTAL_JOBS": 1, "PORTAL_REMOVAL_NOTICE_DAYS": NOTICE_DAYS, **more}


def reference(content: Path, drafts_ok: bool = False, as_of: date = AS_OF):
    """The view without any store: every file parsed (what `decide` of the checked records gives)."""
    result = check_paths([content / "debtors"], drafts_ok=drafts_ok, jobs=1)
    assert result.ok, result.errors
    return decide_records(result.records, as_of, NOTICE_DAYS)


def load(content: Path, state: Path, drafts_ok: bool = False, reading: bool = True, as_of: date = AS_OF, **more):
    """One build's read: a store opened, the view loaded, the store committed."""
    store = Store(state / "state.sqlite3", reading=reading)
    try:
        got = load_view(settings(content, **more), as_of, drafts_ok, store)
        store.commit()
        return got
    finally:
        store.close()


def test_memo_gives_the_same_view_as_parsing(site, tmp_path, monkeypatch):
    monkeypatch.setattr(view, "RACY_NS", 0)  # files just written: trust their stat in this test
    state = tmp_path / "state"
    first, stats = load(site, state)
    assert stats == ReadStats(120, 120, 0)
    again, stats = load(site, state)
    assert stats == ReadStats(120, 0, 120)
    assert first == again == reference(site)
    assert first.public and first.notices and first.withheld_names
    # --full: nothing read from the memo, everything parsed, the same view
    full, stats = load(site, state, reading=False)
    assert stats == ReadStats(120, 120, 0) and full == first


def test_another_date_decides_again_from_the_same_memo(site, tmp_path):
    state = tmp_path / "state"
    load(site, state)
    later = date(2027, 8, 1)
    got, stats = load(site, state, as_of=later)
    assert stats.from_memo == 120
    assert got == reference(site, as_of=later) and got != reference(site)


def test_edited_deleted_and_added_files(site, tmp_path, monkeypatch):
    monkeypatch.setattr(view, "RACY_NS", 0)
    state = tmp_path / "state"
    load(site, state)
    files = sorted((site / "debtors").rglob("*.yaml"))
    edited = files[3]
    edited.write_text(edited.read_text(encoding="utf-8").replace("name: ", "name: 改", 1), encoding="utf-8")
    files[7].unlink()
    write(site / "debtors", "new/extra.yaml", record(case_number="（2024）鲁0502执99999号"))
    got, stats = load(site, state)
    assert stats == ReadStats(120, 2, 118)  # the edited file and the new one
    assert got == reference(site)
    assert any(p.name.startswith("改") for p in got.public) or any(n.startswith("改") for n in got.withheld_names)


def test_a_file_that_changed_back_is_taken_from_the_memo(site, tmp_path):
    state = tmp_path / "state"
    load(site, state)
    path = sorted((site / "debtors").rglob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n", encoding="utf-8")  # another stat and other bytes
    load(site, state)
    path.write_text(text, encoding="utf-8")  # the first bytes again: their record is known
    got, stats = load(site, state)
    assert stats.parsed == 0 and got == reference(site)


def test_drafts_mode_has_its_own_memo(tmp_path):
    content = tmp_path / "content"
    draft = record(case_number="（2024）鲁0502执1236号")
    del draft["vetting"]["vetted_by"], draft["vetting"]["vetted_on"]
    write(content / "debtors", "a.yaml", record())
    write(content / "debtors", "draft.yaml", draft)
    state = tmp_path / "state"
    got, stats = load(content, state, drafts_ok=True)
    assert got == reference(content, drafts_ok=True) and stats.parsed == 2
    assert "（2024）鲁0502执1236号" in got.withheld_case_numbers  # a draft is never public
    # a draft passed in drafts mode only: the strict read parses it again and refuses it
    with pytest.raises(ContentErrors) as exc:
        load(content, state)
    assert [e.code for e in exc.value.errors] == ["E040"]
    got, stats = load(content, state, drafts_ok=True)
    assert stats.from_memo == 2 and got == reference(content, drafts_ok=True)


def test_content_errors_are_the_checks_and_nothing_is_stored(site, tmp_path):
    shutil.copy(next((site / "debtors").rglob("*.yaml")), site / "debtors" / "zz-copy.yaml")
    write(site / "debtors", "zz-bad.yaml", record(case_number="（2024）鲁0502执77777号", term_years=9))
    store = Store(tmp_path / "state.sqlite3")
    with pytest.raises(ContentErrors) as exc:
        load_view(settings(site), AS_OF, False, store)
    assert exc.value.errors == check_paths([site / "debtors"]).errors
    assert {e.code for e in exc.value.errors} == {"E021", "E052"}
    assert not store.ns(FILES).new and not store.ns(RECORDS).new and not store.ns(RECORDS_DRAFTS).new


def test_rules_across_files_see_records_from_the_memo(site, tmp_path):
    """Both files of a duplicate known to the memo (same bytes, passed alone): still E021."""
    state = tmp_path / "state"
    load(site, state)
    shutil.copy(sorted((site / "debtors").rglob("*.yaml"))[0], site / "debtors" / "zz-copy.yaml")
    with pytest.raises(ContentErrors) as exc:
        load(site, state)
    assert exc.value.errors == check_paths([site / "debtors"]).errors
    assert [e.code for e in exc.value.errors] == ["E021"]


def test_a_just_written_file_is_not_memoised_by_its_stat(site, tmp_path):
    store = Store(tmp_path / "state.sqlite3")
    load_view(settings(site), AS_OF, False, store)
    assert not store.ns(FILES).new  # written less than RACY_NS ago: a second write could keep its stat
    assert len(store.ns(RECORDS).new) == 120  # its record is memoised by its bytes all the same


@pytest.mark.parametrize("damage", ["garbage", "truncated", "pages"])
def test_a_damaged_store_is_a_full_read(site, tmp_path, damage):
    state = tmp_path / "state"
    want, _stats = load(site, state)
    path = state / "state.sqlite3"
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a database" * 100)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # a valid header, damaged pages: found only when the rows are read
        path.write_bytes(data[:4096] + os.urandom(len(data) - 4096))
    store = Store(path)
    try:
        got, stats = load_view(settings(site), AS_OF, False, store)
    finally:
        store.close()
    assert got == want and stats.parsed == 120


def test_parallel_read_equals_serial(site, tmp_path, monkeypatch):
    monkeypatch.setattr(checker, "PARALLEL_MIN_FILES", 10)
    state = tmp_path / "state"
    got, stats = load(site, state, PORTAL_JOBS=2)
    assert stats.parsed == 120 and got == reference(site)
    again, stats = load(site, state, PORTAL_JOBS=2)
    assert stats.from_memo == 120 and again == got


def test_parallel_check_files_equals_serial(site, monkeypatch):
    files = [(str(p), None) for p in sorted((site / "debtors").rglob("*.yaml"))]
    files[5] = (files[5][0], Path(files[5][0]).read_bytes() + b"extra: 1\n")  # bytes given: checked as given
    serial = checker.check_files(files, False, 1)
    monkeypatch.setattr(checker, "PARALLEL_MIN_FILES", 10)
    assert checker.check_files(files, False, 2) == serial
    assert [e.code for c in serial for e in c.errors] == ["E010"]


def test_missing_records_folder_is_a_usage_error(tmp_path):
    store = Store(None)
    with pytest.raises(UsageError):
        load_view(settings(tmp_path / "nowhere"), AS_OF, False, store)


def test_as_of_from(monkeypatch):
    assert as_of_from({}, date(2025, 1, 2)) == date(2025, 1, 2)
    assert as_of_from({"PORTAL_AS_OF": "2025-03-04"}) == date(2025, 3, 4)
    assert as_of_from({"PORTAL_AS_OF": date(2025, 3, 5)}) == date(2025, 3, 5)
    monkeypatch.setattr(view, "today_shanghai", lambda: date(2030, 1, 1))
    assert as_of_from({}) == date(2030, 1, 1)
    with pytest.raises(UsageError):
        as_of_from({"PORTAL_AS_OF": "tomorrow"})
