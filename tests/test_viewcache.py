"""The view cache (generator/viewcache.py): a rebuild that re-reads only the changed files gives
the view `decide` gives of all records, finds what the rules across files find, and falls back
to the full check whenever it cannot be sure."""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from generator.domain import casenumber, policy
from generator.errors import ContentErrors
from generator.read import parsecache, viewcache
from generator.read.checker import check_paths
from generator.read.plan import load_view
from generator.staff import demo
from generator.staff.demo import to_yaml

from .factory import AS_OF, record, write

OLD_NS = 1_600_000_000_000_000_000  # written long ago: trusted by its stat alone


class Content:
    def __init__(self, tmp_path: Path, n: int = 80, seed: int = 5):
        self.root = tmp_path / "content"
        self.folder = self.root / "debtors"
        self.output = tmp_path / "out" / "output"
        self.records: dict[Path, dict[str, Any]] = {}
        for rec, path in zip(
            recs := demo.make_records(n, seed=seed, as_of=AS_OF), demo.write_records(self.folder, recs), strict=True
        ):
            self.records[path] = rec
        self.age()

    @property
    def state(self) -> Path:
        from generator.state import paths

        return paths.state_dir(self.output)

    def settings(self, **kw: Any) -> dict[str, Any]:
        return {"PATH": str(self.root), "OUTPUT_PATH": str(self.output), "PORTAL_JOBS": 1, **kw}

    def age(self) -> None:
        for path in self.folder.rglob("*.yaml"):
            os.utime(path, ns=(OLD_NS, OLD_NS))

    def put(self, path: Path, rec: dict[str, Any]) -> None:
        self.records[path] = rec
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(rec), encoding="utf-8")

    def drop(self, path: Path) -> None:
        del self.records[path]
        path.unlink()

    def quick(self, as_of: date = AS_OF, drafts_ok: bool = False, notice_days: int = 90) -> Any:
        """The rebuild alone: (view, parsed, files) or None."""
        folder = str(self.folder.resolve())
        wanted = viewcache.key(folder, as_of, notice_days, drafts_ok, parsecache.code_version())
        return viewcache.rebuild(self.state, wanted, folder, as_of, notice_days, drafts_ok)

    def full(self, as_of: date = AS_OF, drafts_ok: bool = False) -> policy.PublicView:
        """decide of every record, parsed from the files (no cache of any kind)."""
        result = check_paths([self.folder], drafts_ok=drafts_ok, jobs=1)
        assert result.errors == []
        return policy.decide(result.records, as_of)

    def load(self, as_of: date = AS_OF, **kw: Any) -> tuple[policy.PublicView, dict[str, int]]:
        counts: dict[str, int] = {}
        return load_view(self.settings(**kw), as_of, counts=counts), counts


def _same(a: policy.PublicView, b: policy.PublicView) -> None:
    assert a.public == b.public
    assert a.notices == b.notices
    assert a.withheld_names == b.withheld_names
    assert a.withheld_case_numbers == b.withheld_case_numbers
    assert a == b


def _edited(rec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The record with one change that moves it between public, notice and withheld, or not."""
    rec = {**rec, "vetting": dict(rec["vetting"]), "debtor": dict(rec["debtor"])}
    kind = rng.choice(["obligation", "name", "remove", "future", "expire", "relist", "draft_free"])
    if kind == "obligation":
        rec["obligation"] = rec["obligation"] + str(rng.randrange(1000))
    elif kind == "name":
        rec["debtor"]["name"] = rng.choice(["王五", "赵六", "钱七", rec["debtor"]["name"]])
    elif kind == "remove" and rec["status"] == "listed":
        rec.update(status="removed", removed_on=max(rec["listed_on"], AS_OF - timedelta(days=rng.randrange(200))),
                   removal_reason="performed")  # fmt: skip
    elif kind == "future":
        listed_on = AS_OF + timedelta(days=rng.randrange(1, 30))
        if rec["debtor"].get("age") is not None:
            rec["debtor"]["age"] += listed_on.year - rec["listed_on"].year
        rec["listed_on"] = listed_on
        rec["vetting"]["vetted_on"] = min(rec["vetting"]["vetted_on"], rec["listed_on"])
    elif kind == "expire" and rec.get("term_years"):
        listed_on = date(AS_OF.year - rec["term_years"], 1, 1 + rng.randrange(28))
        if rec["debtor"].get("age") is not None:  # the age at listing follows the year (E082)
            rec["debtor"]["age"] -= rec["listed_on"].year - listed_on.year
        rec["listed_on"] = listed_on
        rec["filed_on"] = min(rec["filed_on"], rec["listed_on"])
        rec["vetting"]["vetted_on"] = rec["listed_on"]
        if rec["status"] == "removed":
            rec["removed_on"] = rec["listed_on"] + timedelta(days=1)
    elif kind == "relist" and rec["status"] == "removed":
        rec["status"] = "listed"
        rec.pop("removed_on", None)
        rec.pop("removal_reason", None)
    return rec


@pytest.mark.parametrize("few", [viewcache.FEW, 0])  # 0: every rule and set over all records
def test_random_edits_adds_and_removals_equal_full_decide(tmp_path, monkeypatch, few):
    monkeypatch.setattr(viewcache, "FEW", few)
    c = Content(tmp_path)
    view, counts = c.load()  # the full check, which keeps the view cache
    _same(view, c.full())
    rng = random.Random(11)
    spare = iter(demo.make_records(200, seed=99, as_of=AS_OF)[100:])
    quick = 0
    for step in range(40):
        paths = sorted(c.records)
        for _ in range(rng.choice([1, 1, 2, 3])):
            action = rng.random()
            if action < 0.7:
                path = rng.choice(paths)
                c.put(path, _edited(c.records[path], rng))
            elif action < 0.85:
                c.drop(path := rng.choice(paths))
                paths.remove(path)
            else:
                rec = next(spare)
                c.put(c.folder / "new" / f"{step}-{rng.randrange(10**6)}.yaml", rec)
        problems = check_paths([c.folder], jobs=1).errors
        if problems:  # an edit the rules refuse (an age that no longer fits the year…): as by check
            assert c.quick() is None
            with pytest.raises(ContentErrors) as caught:
                c.load()
            assert caught.value.errors == problems
            for path in {e.path for e in problems}:
                c.drop(Path(path))
        full = c.full()
        if step % 3 == 0:
            c.age()  # trusted stats; else the files changed just now are read again, too
        got = c.quick()
        if got is None:  # e.g. an added record's case number taken: the full check decides
            view, counts = c.load()
        else:
            quick += 1
            view = got[0]
            assert got[2] == len(c.records)
        _same(view, full)
    assert quick >= 30


def test_load_view_takes_the_quick_path_and_equals_decide(tmp_path):
    c = Content(tmp_path)
    c.load()
    view, counts = c.load()  # nothing changed
    assert counts == {"parsed": 0, "cached": len(c.records)}
    _same(view, c.full())
    path = sorted(c.records)[7]
    c.put(path, {**c.records[path], "obligation": "支付货款1元"})
    view, counts = c.load()
    assert counts == {"parsed": 1, "cached": len(c.records) - 1}
    _same(view, c.full())
    assert sum(r.obligation == "支付货款1元" for r in view.public) <= 1


def test_two_edits_in_a_row_then_revert_then_remove(tmp_path):
    c = Content(tmp_path)
    c.load()
    path = next(p for p, r in sorted(c.records.items()) if r["status"] == "listed")
    original = c.records[path]
    for rec in ({**original, "obligation": "甲"}, {**original, "obligation": "乙"}, original):
        c.put(path, rec)
        got = c.quick()
        assert got is not None and got[1] == 1
        _same(got[0], c.full())
    c.drop(path)
    got = c.quick()
    assert got is not None and got[1] == 0
    _same(got[0], c.full())


def _reported_as_by_check(c: Content) -> list[Any]:
    """The quick path declines; the build's errors are `check_paths`' (returned)."""
    assert c.quick() is None
    with pytest.raises(ContentErrors) as caught:
        c.load()
    expected = check_paths([c.folder], jobs=1).errors
    assert caught.value.errors == expected
    return expected


def test_duplicate_case_number_made_by_an_edit_is_reported(tmp_path):
    c = Content(tmp_path)
    c.load()
    paths = sorted(c.records)
    a, b = paths[3], paths[10]
    rec = {**c.records[b], "case_number": c.records[a]["case_number"], "debtor_seq": c.records[a].get("debtor_seq")}
    rec["court"] = c.records[a]["court"]
    c.put(b, rec)
    assert any(e.code == "E021" for e in _reported_as_by_check(c))


def test_second_court_name_for_a_court_code_is_reported(tmp_path):
    c = Content(tmp_path)
    c.load()
    path = sorted(c.records)[4]
    c.put(path, {**c.records[path], "court": "另一个法院"})
    assert any(e.code == "E022" for e in _reported_as_by_check(c))


def test_a_changed_file_with_a_problem_is_reported_as_by_check(tmp_path):
    c = Content(tmp_path)
    c.load()
    write(c.folder, "zz/bad.yaml", record(term_years=9))
    assert _reported_as_by_check(c)
    (c.folder / "zz" / "bad.yaml").unlink()
    view, _counts = c.load()
    _same(view, c.full())


def test_same_size_and_mtime_rewrite_is_seen(tmp_path):
    c = Content(tmp_path)
    c.load()
    path = next(p for p, r in sorted(c.records.items()) if r["status"] == "listed")
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    name = c.records[path]["debtor"]["name"]
    changed = text.replace(name, "钱" * len(name))
    assert len(changed.encode()) == before.st_size and changed != text
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time still tells
    got = c.quick()
    assert got is not None and got[1] == 1
    _same(got[0], c.full())


def test_other_date_mode_or_notice_period_is_not_served(tmp_path):
    c = Content(tmp_path)
    c.load()
    assert c.quick(as_of=AS_OF + timedelta(days=1)) is None
    assert c.quick(drafts_ok=True) is None
    assert c.quick(notice_days=30) is None
    assert c.quick() is not None
    view, _counts = c.load(as_of=AS_OF + timedelta(days=400))  # the full check, kept for that date
    _same(view, c.full(as_of=AS_OF + timedelta(days=400)))
    assert c.quick(as_of=AS_OF + timedelta(days=400)) is not None


@pytest.mark.parametrize("damage", ["truncate", "flip", "base", "missing", "foreign", "delta", "stale delta"])
def test_damaged_state_means_the_full_check(tmp_path, damage):
    c = Content(tmp_path)
    c.load()
    main, base, delta = c.state / viewcache.FILE, c.state / viewcache.BASE, c.state / viewcache.DELTA
    if damage == "stale delta":  # a delta of an earlier FILE
        kept = delta.read_bytes()
        path = sorted(c.records)[5]
        c.put(path, {**c.records[path], "obligation": "支付货款4元"})
        c.load(as_of=AS_OF + timedelta(days=1))  # another date: a full check writes FILE again
        c.load()
        delta.write_bytes(kept)
    elif damage == "delta":
        delta.write_bytes(delta.read_bytes()[:-10])
    elif damage == "truncate":
        main.write_bytes(main.read_bytes()[:-100])
    elif damage == "flip":
        data = bytearray(main.read_bytes())
        data[len(data) // 2] ^= 1
        main.write_bytes(bytes(data))
    elif damage == "base":
        base.write_bytes(base.read_bytes()[:-1])
    elif damage == "missing":
        base.unlink()
    else:
        main.write_bytes(b"something else\n")
    path = sorted(c.records)[2]
    c.put(path, {**c.records[path], "obligation": "支付货款2元"})
    assert c.quick() is None
    view, _counts = c.load()
    _same(view, c.full())
    assert c.quick() is not None  # written again by that check


def test_record_ids_need_no_pypinyin_once_readings_are_kept(tmp_path):
    c = Content(tmp_path)
    c.load()
    readings = dict(casenumber.READINGS)
    assert "执" in readings
    casenumber.READINGS.clear()
    assert viewcache.load_readings(c.state, parsecache.code_version()) >= len(readings)
    assert casenumber.READINGS == readings


def test_patch_past_its_limits_writes_the_files_again(tmp_path, monkeypatch):
    monkeypatch.setattr(viewcache, "PATCH_MAX", 2)
    monkeypatch.setattr(viewcache, "ROWS_MAX", 1)
    c = Content(tmp_path)
    c.load()
    listed = [p for p, r in sorted(c.records.items()) if r["status"] == "listed"][:4]
    for i, path in enumerate(listed):
        c.put(path, {**c.records[path], "obligation": f"支付货款{i}元"})
        got = c.quick()
        assert got is not None
        _same(got[0], c.full())


def test_known_region_names_are_the_tables(tmp_path, monkeypatch):
    from generator.domain import ids

    c = Content(tmp_path)
    c.load()
    path = sorted(c.records)[1]
    c.put(path, {**c.records[path], "obligation": "支付货款3元"})
    assert c.quick() is not None and ids.KNOWN_REGIONS
    known = dict(ids.KNOWN_REGIONS)
    monkeypatch.setattr(ids, "KNOWN_REGIONS", {})
    assert {code: ids.region_name.__wrapped__(code) for code in known} == known


def test_drafts_mode_keeps_its_own_view(tmp_path):
    from .sitefixture import draft_record

    c = Content(tmp_path)
    write(c.folder, "zz/draft.yaml", draft_record())
    counts: dict[str, int] = {}
    view = load_view(c.settings(), AS_OF, drafts_ok=True, counts=counts)
    _same(view, c.full(drafts_ok=True))
    assert c.quick() is None  # strict: the draft fails there, the full check reports it
    path = sorted(c.records)[6]
    c.put(path, {**c.records[path], "obligation": "支付货款5元"})
    got = c.quick(drafts_ok=True)
    assert got is not None and got[1] == 1
    _same(got[0], c.full(drafts_ok=True))


def test_an_odd_entry_in_the_folder_means_the_full_check(tmp_path):
    c = Content(tmp_path)
    c.load()
    (c.folder / "zz").mkdir()
    (c.folder / "zz" / "broken.yaml").symlink_to(tmp_path / "nowhere.yaml")
    assert c.quick() is None
    (c.folder / "zz" / "broken.yaml").unlink()
    (c.folder / "zz" / "folder.yaml").mkdir()  # a folder named like a record: record_files descends
    assert c.quick() is None
    view, _counts = c.load()
    _same(view, c.full())
