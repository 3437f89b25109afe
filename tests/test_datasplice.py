"""The open data of an incremental build, made from the live files (generator.render.datasplice): each
build that updates them equals a full build of the same content, byte for byte, the data
manifest included; when the live files are not the ones the renderer wrote, or the date or the
notices changed, the files are computed whole (and still equal the full build's)."""

from __future__ import annotations

import hashlib
import json
import shutil
from array import array
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from generator.build import writer
from generator.errors import BuildError
from generator.render import exports, outputs
from generator.render.datasplice import Layout, Run, Stale, add_edit, id_lines, new_order, positions, rejoin, row_edits
from generator.render.outputs import OutputFile
from generator.state import paths

from .factory import AS_OF, record, write
from .sitefixture import Site, tree
from .test_incremental import FIELD_EDITS, _add, _build, _delete_file, _site, hits

RID = "2024-lu0502-zhi-1234"  # lu0502/person.yaml
DAY2 = date(2026, 11, 26)


def _data_manifest(s: Site) -> bytes:
    return (paths.state_dir(s.output) / "build" / exports.MANIFEST).read_bytes()


def _step(tmp_path: Path, s: Site, name: str, **kw: Any) -> str:
    """Build `s` incrementally and a copy of it fully; both agree (the data manifest too).
    Returns how the incremental build made its open data (exports.last_render)."""
    copy = tmp_path / name
    # not the trash the background deletion is emptying meanwhile (build.discard)
    shutil.copytree(s.root, copy, symlinks=True, ignore=shutil.ignore_patterns("trash"))
    full = Site(copy, copy / "content", copy / "output")
    result = _build(s, **kw)
    how = exports.last_render
    reference = _build(full, incremental=False, **kw)
    assert result.incremental and not reference.incremental
    assert tree(s.output) == tree(full.output)
    assert _data_manifest(s) == _data_manifest(full)
    return how


def _edit(s: Site, **changes: Any) -> None:
    write(s.records, "lu0502/person.yaml", record(**changes))


@pytest.mark.parametrize("field", ["obligation", "name", "listed_on", "grounds", "vetting", "court"])
def test_field_edit_updates_the_live_files(tmp_path, field):
    s = _site(tmp_path)
    _build(s)
    _edit(s, **FIELD_EDITS[field])
    assert _step(tmp_path, s, "full") == "updated"


def test_added_and_deleted_records_update_the_live_files(tmp_path):
    s = _site(tmp_path)
    _build(s)
    _add(s)
    assert _step(tmp_path, s, "full1") == "updated"
    _delete_file(s)  # no longer public, without a notice
    _edit(s, **FIELD_EDITS["obligation"])
    assert _step(tmp_path, s, "full2") == "updated"
    moved = record(case_number="（2026）鲁0502执9001号", debtor__name="周新增", listed_on=date(2025, 1, 6),
                   vetting__vetted_on=date(2025, 1, 5), filed_on=date(2024, 6, 1))  # fmt: skip
    write(s.records, "lu0502/new.yaml", moved)  # from the top of the files to further down
    assert _step(tmp_path, s, "full3") == "updated"


def test_chain_on_a_later_day_modifies_adds_and_deletes(tmp_path):
    """On a later day the change file lists MOD, ADD and DEL operations against the day's
    start: each edit inserts, replaces or drops its line, and an edit undone drops it."""
    s = _site(tmp_path)
    _build(s)
    _edit(s, obligation="第一天改")
    assert _step(tmp_path, s, "d2", as_of=DAY2).startswith("computed")  # another date: whole
    original = (s.records / "lu0502" / "person.yaml").read_text(encoding="utf-8")
    steps: list[Any] = [
        lambda: _edit(s, obligation="支付货款99元"),  # MOD
        lambda: _edit(s, obligation="支付货款100元", debtor__name="张三改"),  # still MOD, new text
        lambda: (s.records / "lu0502" / "person.yaml").write_text(original, encoding="utf-8"),  # no op
        lambda: _add(s),  # ADD
        lambda: _delete_file(s),  # DEL (no notice)
        lambda: (s.records / "lu0502" / "new.yaml").unlink(),  # ADD undone: no op
        lambda: _edit(s, **FIELD_EDITS["listed_on"]),  # MOD, and a move in the debtors files
    ]
    for i, change in enumerate(steps):
        change()
        assert _step(tmp_path, s, f"c{i}", as_of=DAY2) == "updated", i
    assert hits(s.output)["张三丰"][0] == 1


def test_removal_with_a_notice_is_computed_whole(tmp_path):
    s = _site(tmp_path)
    _build(s)
    _edit(s, **FIELD_EDITS["removed"])
    assert _step(tmp_path, s, "full").startswith("computed")
    _edit(s, **{**FIELD_EDITS["removed"], "obligation": "支付货款1元"})  # the notice is the same
    _add(s)
    assert _step(tmp_path, s, "full2") == "updated"


def test_a_live_file_edited_by_hand_means_the_full_computation(tmp_path):
    s = _site(tmp_path)
    _build(s)
    path = s.output / "data" / "debtors.csv"
    path.write_bytes(path.read_bytes().replace("张三".encode(), "李四".encode()))
    _edit(s, **FIELD_EDITS["obligation"])
    how = _step(tmp_path, s, "full")
    assert how.startswith("computed") and "debtors.csv" in how


def test_a_changed_data_manifest_means_the_full_computation(tmp_path):
    s = _site(tmp_path)
    _build(s)
    manifest = paths.state_dir(s.output) / "build" / exports.MANIFEST
    manifest.write_bytes(manifest.read_bytes().replace(b'"since":null', b'"since": null'))
    _edit(s, **FIELD_EDITS["obligation"])
    how = _step(tmp_path, s, "full")
    assert how.startswith("computed") and exports.MANIFEST in how


def test_as_of_change_means_the_full_computation(tmp_path):
    s = _site(tmp_path)
    _build(s)
    _edit(s, **FIELD_EDITS["obligation"])
    assert _step(tmp_path, s, "full", as_of=DAY2).startswith("computed")
    _edit(s, **FIELD_EDITS["name"])
    assert _step(tmp_path, s, "full2", as_of=DAY2) == "updated"
    assert _step(tmp_path, s, "full3", as_of=AS_OF).startswith("computed")  # back a day, too


def test_an_edit_that_publishes_nothing_new_keeps_the_live_data_files(tmp_path):
    """The writer compares the bytes with the live file the renderer mapped: equal, the live
    file stays (its mtime too), unhashed."""
    s = _site(tmp_path)
    _build(s)
    before = tree(s.output, mtimes=True)
    _edit(s, **FIELD_EDITS["vetting"])
    assert _step(tmp_path, s, "full") == "updated"
    after = tree(s.output, mtimes=True)
    for rel in ("data/debtors.csv", "data/debtors.json", f"data/changes/{AS_OF.isoformat()}.json"):
        assert after[rel] == before[rel], rel


@pytest.fixture
def small_files_as_big(monkeypatch):
    """Every file of the small site through the big files' paths: scanned in its new lines only,
    hashed in a thread while written."""
    monkeypatch.setattr(writer, "DIFF_SCAN_MIN", 0)
    monkeypatch.setattr(writer, "THREAD_MIN", 0)


def test_chain_with_line_scans_and_threaded_digests(tmp_path, small_files_as_big):
    s = _site(tmp_path)
    _build(s)
    for i, change in enumerate([FIELD_EDITS["obligation"], FIELD_EDITS["listed_on"], FIELD_EDITS["vetting"]]):
        _edit(s, **change)
        assert _step(tmp_path, s, f"c{i}") == "updated"
    _add(s)
    assert _step(tmp_path, s, "add") == "updated"


def test_writer_digest_is_sha256_of_the_bytes(tmp_path):
    s = _site(tmp_path)
    result = _build(s)
    manifest = json.loads((paths.state_dir(s.output) / "build" / "manifest.json").read_text(encoding="utf-8"))
    for rel in ("data/debtors.csv", "index.html"):
        data = (s.output / rel).read_bytes()
        assert manifest["files"][rel][:2] == [hashlib.sha256(data).hexdigest()[:32], len(data)]
    assert result.files_written > 0


# -- the pieces ------------------------------------------------------------------------------
def _entries(items: list[str], sep: bytes) -> tuple[bytes, Run]:
    data = b"[" + sep.join(i.encode() for i in items) + b"]"
    return data, Run(data, 1, len(data) - 1, sep, b"<", lambda at: data[at + 1 : data.find(b">", at)])


@pytest.mark.parametrize("sep", [b",", b",\n", b""])
def test_run_finds_and_rejoins_sorted_entries(sep):
    items = [f"<{k}>v{k}" for k in ("b", "d", "f", "h")]
    data, run = _entries(items, sep)
    for key, found in [("a", False), ("b", True), ("c", False), ("d", True), ("h", True), ("z", False)]:
        at, nxt, hit = run.find(key.encode())
        assert hit == found, key
        if hit:
            assert run.text(at, nxt) == f"<{key}>v{key}".encode()
    edits: dict[int, Any] = {}
    for key, new in [("a", "<a>A"), ("d", None), ("e", "<e>E"), ("h", "<h>H"), ("z", "<z>Z"), ("c", "<c>C")]:
        at, nxt, hit = run.find(key.encode())
        add_edit(edits, at, nxt if hit else at, [] if new is None else [(key, new.encode())])
    got = b"".join(rejoin(data, run.lo, run.hi, sep, edits))
    want = sep.join(x.encode() for x in ["<a>A", "<b>vb", "<c>C", "<e>E", "<f>vf", "<h>H", "<z>Z"])
    assert got == want


def test_rejoin_of_an_empty_run_and_of_everything_removed():
    data, run = _entries([], b",")
    at, nxt, hit = run.find(b"k")
    assert not hit and at == nxt == 1
    edits: dict[int, Any] = {}
    add_edit(edits, at, at, [(b"k", b"<k>1"), (b"j", b"<j>0")])
    assert b"".join(rejoin(data, run.lo, run.hi, b",", edits)) == b"<j>0,<k>1"
    data, run = _entries(["<a>1", "<b>2"], b",")
    edits = {}
    for key in (b"a", b"b"):
        at, nxt, _hit = run.find(key)
        add_edit(edits, at, nxt, [])
    assert rejoin(data, run.lo, run.hi, b",", edits) == []


def _mapping(ctx: Any) -> Any:
    """A faulty renderer that updates its file from the live one, mapped (PortalWriter.live_bytes),
    and names a withheld debtor in the line of a record whose obligation says 99元."""
    withheld = sorted(ctx.view.withheld_names)[0]
    lines = [f"{r.id} {r.obligation}" + (f" {withheld}" if "99元" in r.obligation else "") for r in ctx.view.public]
    out = exports._writer(ctx)
    if ctx.delta is not None:
        assert out.live_bytes("mapped.txt", out.previous["mapped.txt"][:2]) is not None
    yield OutputFile("mapped.txt", "\n".join(lines).encode("utf-8"))


def test_withheld_name_in_a_line_of_a_mapped_file_is_caught(tmp_path, small_files_as_big, monkeypatch):
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_datasplice:_mapping"])
    s = _site(tmp_path)
    _build(s)
    live = tree(s.output)
    _edit(s, obligation="支付货款99元")
    with pytest.raises(BuildError, match="mapped.txt"):
        _build(s)
    assert exports.last_render == "updated"
    assert tree(s.output) == live


def _layout(ids: list[str], keys: list[int]) -> Layout:
    text, lens = id_lines(ids)
    rows = array("q", [1] * len(ids))
    return Layout(AS_OF, text, lens, array("l", keys), rows, rows, 0, 0, ())


def test_positions_by_search_and_by_one_pass_agree():
    ids = [f"2024-lu{i:04d}-zhi-{i}" for i in range(50)]
    layout = _layout(ids, [0] * 50)
    few, many = set(ids[::17]), set(ids[1::2])
    assert positions(layout, few) == {rid: ids.index(rid) for rid in few}
    assert positions(layout, many) == {rid: ids.index(rid) for rid in many}
    for wanted in ({"2024-nope-zhi-1"}, {*many, "2024-nope-zhi-1"}, {"lu0001-zhi"}):
        with pytest.raises(Stale):
            positions(layout, wanted)


def test_new_order_drops_moves_and_inserts_by_sort_key():
    ids = ["a-1", "b-1", "c-1", "d-1", "e-1"]
    keys = [-5, -5, -4, -3, -3]
    layout = _layout(ids, keys)
    # c-1 moves to the end (key -1), b-1 goes, x-1 comes in first (-9), e-0 before e-1 (-3)
    new = {"c-1": (-1, b"c", b"c"), "x-1": (-9, b"xx", b"xxx"), "e-0": (-3, b"e", b"ee")}
    ed = row_edits(layout, positions(layout, {"c-1", "b-1"}), new)
    out = new_order(layout, ed)
    order = out.ids[1:-1].decode().split("\n")
    assert order == ["x-1", "a-1", "d-1", "e-0", "e-1", "c-1"]
    assert list(out.keys) == [-9, -5, -3, -3, -3, -1]
    assert list(out.id_len) == [len(i) for i in order]
    assert list(out.csv) == [2, 1, 1, 1, 1, 1] and list(out.json) == [3, 1, 1, 2, 1, 1]
