"""The parse cache (generator/parsecache.py): unchanged files are not parsed again, and what it
gives back is what parsing would give; a damaged or foreign cache is ignored."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from generator.domain import policy, rules
from generator.read import parsecache
from generator.read.checker import check_paths
from generator.read.parsecache import ParseCache
from generator.staff import demo

from .factory import AS_OF, record, write
from .sitefixture import draft_record, standard_records


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "debtors"
    for name, rec in standard_records().items():
        write(root, name, rec)
    demo.write_records(root, demo.make_records(40, seed=3, as_of=AS_OF))
    return root


def _check(folder: Path, state: Path, drafts_ok: bool = False) -> tuple[ParseCache, object]:
    cache = ParseCache.in_state(state)
    result = check_paths([folder], drafts_ok=drafts_ok, jobs=1, cache=cache)
    cache.save()
    return cache, result


def _old(folder: Path) -> None:
    """Files written more than RACY_NS ago: trusted by their stat alone."""
    for path in folder.rglob("*.yaml"):
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))


def test_cached_records_equal_parsed_ones(folder, tmp_path):
    plain = check_paths([folder], jobs=1)
    _check(folder, tmp_path / "state")
    cache, cached = _check(folder, tmp_path / "state")
    assert cache.loaded and cache.hits == len(plain.records) and cache.parsed == 0
    assert cached.errors == plain.errors == []
    for a, b in zip(plain.records, cached.records, strict=True):
        assert isinstance(b, parsecache.CachedSource)
        assert (a.path, a.digest) == (b.path, b.digest)
        assert a.record == b.record and a.record.model_fields_set == b.record.model_fields_set
        assert a.record.model_dump() == b.record.model_dump()
        assert a.lines == b.lines and a.line("debtor", "name") == b.line("debtor", "name")
        assert policy.facts(a) == policy.facts(b)
        assert rules.across_key(a) == rules.across_key(b)
    assert policy.decide(plain.records, AS_OF) == policy.decide(cached.records, AS_OF)


def test_only_changed_files_are_parsed(folder, tmp_path):
    _old(folder)
    _check(folder, tmp_path / "state")
    write(folder, "lu0502/person.yaml", record(obligation="支付货款1元"))
    cache, result = _check(folder, tmp_path / "state")
    assert cache.parsed == 1
    person = next(s for s in result.records if s.path.endswith("person.yaml"))
    assert person.record.obligation == "支付货款1元"


def test_same_size_and_mtime_rewrite_is_seen(folder, tmp_path):
    """cp -p or rsync -t can keep size and mtime: the change time still tells."""
    _old(folder)
    _check(folder, tmp_path / "state")
    path = folder / "lu0502" / "person.yaml"
    before = path.stat()
    text = path.read_text(encoding="utf-8").replace("张三丰", "张三峰")
    assert len(text.encode()) == before.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    cache, result = _check(folder, tmp_path / "state")
    assert cache.parsed == 1
    assert any(s.record.debtor.name == "张三峰" for s in result.records)


def test_files_with_problems_are_never_cached(folder, tmp_path):
    write(folder, "lu0502/bad.yaml", record(case_number="（2024）鲁0502执9999号", listed_on="不是日期"))
    for _ in range(2):
        cache, result = _check(folder, tmp_path / "state")
        assert [e.code for e in result.errors] == ["E013"]
    assert cache.parsed == 1


def test_a_draft_cached_with_drafts_is_still_refused_without(folder, tmp_path):
    write(folder, "lu0502/draft.yaml", draft_record())
    _check(folder, tmp_path / "state", drafts_ok=True)
    cache, result = _check(folder, tmp_path / "state")
    assert {e.code for e in result.errors} == {"E040"}
    cache, result = _check(folder, tmp_path / "state", drafts_ok=True)
    assert result.errors == [] and cache.parsed == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_damaged_cache_is_ignored_and_rebuilt(folder, tmp_path, damage):
    state = tmp_path / "state"
    _check(folder, state)
    file = state / parsecache.FILE
    data = file.read_bytes()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data = data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
    elif damage == "garbage":
        data = b"not a cache at all"
    else:
        data = b""
    file.write_bytes(data)
    cache, result = _check(folder, state)
    assert not cache.loaded and cache.hits == 0 and result.errors == []
    assert _check(folder, state)[0].loaded


def test_cache_of_other_code_is_ignored(folder, tmp_path):
    state = tmp_path / "state"
    _check(folder, state)
    assert not ParseCache(state / parsecache.FILE, version="other").loaded
    assert ParseCache(state / parsecache.FILE).loaded


def test_few_changes_go_to_a_delta_file(folder, tmp_path):
    _old(folder)
    state = tmp_path / "state"
    _check(folder, state)
    base = (state / parsecache.FILE).read_bytes()
    write(folder, "lu0502/person.yaml", record(obligation="支付货款2元"))
    cache, _ = _check(folder, state)
    assert (state / parsecache.FILE).read_bytes() == base and cache.parsed == 1
    delta = state / (parsecache.FILE + ".delta")
    assert delta.exists()
    cache, result = _check(folder, state)
    assert cache.parsed == 0 and cache.hits == len(result.records)
    # many changes: the base is written again and the delta goes
    for path in sorted(folder.rglob("*.yaml"))[:20]:
        path.write_text(path.read_text(encoding="utf-8") + "# 改\n", encoding="utf-8")
    _check(folder, state)
    assert not delta.exists() and (state / parsecache.FILE).read_bytes() != base
    # a delta of another base is not applied
    write(folder, "lu0502/person.yaml", record(obligation="支付货款3元"))
    _check(folder, state)
    (state / parsecache.FILE).write_bytes(base)
    cache, result = _check(folder, state)
    assert next(s for s in result.records if s.path.endswith("person.yaml")).record.obligation == "支付货款3元"


def test_removed_files_leave_the_cache(folder, tmp_path):
    state = tmp_path / "state"
    _check(folder, state)
    (folder / "lu0502" / "person.yaml").unlink()
    cache, result = _check(folder, state)
    assert not any(s.path.endswith("person.yaml") for s in result.records)
    assert not any(p.endswith("person.yaml") for p in ParseCache.in_state(state).stats)


def test_policy_facts_keep_the_decision(folder, tmp_path):
    """The date-independent facts give the same view on any date."""
    _check(folder, tmp_path / "state")
    _cache, result = _check(folder, tmp_path / "state")
    plain = check_paths([folder], jobs=1).records
    for day in (date(2025, 1, 1), AS_OF, date(2027, 9, 1), date(2030, 1, 1)):
        assert policy.decide(result.records, day) == policy.decide(plain, day)


@pytest.mark.parametrize("bad", [False, True])
def test_check_apart_gives_what_checking_here_gives(folder, tmp_path, bad):
    """A cold check in a forked process (what a large build does) writes the cache there and
    reads the records back from it: the same records, errors and counts as checking here."""
    if bad:
        write(folder, "lu0502/bad.yaml", record(case_number="（2024）鲁0502执9999号", listed_on="不是日期"))
    here = ParseCache.in_state(tmp_path / "here")
    expected = check_paths([folder], jobs=1, cache=here, apart=False)
    cache = ParseCache.in_state(tmp_path / "apart")
    result = check_paths([folder], jobs=1, cache=cache, apart=True)
    assert result.errors == expected.errors
    assert [s.path for s in result.records] == [s.path for s in expected.records]
    assert all(isinstance(s, parsecache.CachedSource) for s in result.records)
    for a, b in zip(expected.records, result.records, strict=True):
        assert a.record == b.record and a.lines == b.lines and policy.facts(a) == policy.facts(b)
    assert (cache.parsed, cache.hits) == (here.parsed, here.hits) == (len(expected.records) + bad, 0)
    assert (tmp_path / "apart" / parsecache.FILE).exists() is not bad  # an error saves nothing
    if not bad:
        cache.save()  # nothing new to write; the next check finds every record in the cache
        again = ParseCache.in_state(tmp_path / "apart")
        assert check_paths([folder], jobs=1, cache=again).records == result.records and again.parsed == 0


def test_rules_across_files_skipped_only_for_the_files_of_a_clean_check(folder, tmp_path):
    _old(folder)
    state = tmp_path / "state"
    plain = check_paths([folder], jobs=1)
    _check(folder, state)
    cache, result = _check(folder, state)
    files = [s.path for s in plain.records]
    assert cache.across_ok and cache.unchanged(files)  # the rules across files were not run again
    assert result.errors == [] and [s.path for s in result.records] == files
    assert ParseCache.in_state(state).across_ok
    # a copy of a record: a new file, so the rules run and find the duplicate
    person = folder / "lu0502" / "person.yaml"
    copy = folder / "lu0502" / "person-copy.yaml"
    copy.write_bytes(person.read_bytes())
    for _ in range(3):  # a cache saved in spite of the problem still never hides it
        cache, result = _check(folder, state)
        assert [e.code for e in result.errors] == ["E021"] and not cache.across_ok
    copy.unlink()
    cache, result = _check(folder, state)
    assert result.errors == [] and cache.across_ok
    # the same files, one of them now with another record's case number
    other = next(p for p in sorted(folder.rglob("*.yaml")) if p != person)
    person.write_bytes(other.read_bytes())
    cache, result = _check(folder, state)
    assert [e.code for e in result.errors] == ["E021"] and not cache.unchanged([s.path for s in plain.records])
