"""The render memo of incremental builds (generator.build.incremental.MEMO_DELTA): a build that changes
a few records leaves the live memo file as it is (hard-linked) with what changed beside it. A chain
of such builds — a row that moves, a removal, an addition, a new --as-of — gives the output of a
full build each time, and the memo the full build leaves."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from generator.build import incremental
from generator.build.incremental import MEMO_DELTA, MEMO_FILE, _read_memo
from generator.state import paths

from .factory import record, write
from .test_incremental import _add, _build, _remove, _same_as_full, _site


def _state(output: Path) -> Path:
    return paths.state_dir(output) / "build"


def _move(s) -> None:
    # listed later: the record's row moves to the top of debtors.csv / debtors.json
    write(s.records, "lu0502/person.yaml", record(listed_on=date(2026, 11, 24), vetting__vetted_on=date(2026, 11, 23)))


def test_chain_of_incremental_builds_keeps_the_memo_file_and_equals_full(tmp_path):
    s = _site(tmp_path)
    _build(s)
    first = os.stat(_state(s.output) / MEMO_FILE).st_ino
    steps = [(_move, {}), (_remove, {}), (_add, {}), (lambda s: None, {"as_of": date(2027, 9, 1), "allow_drop": True})]
    for i, (change, kw) in enumerate(steps):
        change(s)
        result = _same_as_full(tmp_path / f"step{i}", s, **kw)
        assert result.files_written > 0
        live = _state(s.output)
        assert os.stat(live / MEMO_FILE).st_ino == first  # the cold build's memo file, linked on
        assert (live / MEMO_DELTA).is_file()
        full = _state(tmp_path / f"step{i}" / "full" / "output")
        assert not (full / MEMO_DELTA).exists()
        assert _read_memo(live)[0] == _read_memo(full)[0]


def test_memo_written_whole_past_the_delta_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(incremental, "MEMO_DELTA_MAX", 0)
    s = _site(tmp_path)
    _build(s)
    first = os.stat(_state(s.output) / MEMO_FILE).st_ino
    _move(s)
    _same_as_full(tmp_path / "c", s)
    live = _state(s.output)
    assert os.stat(live / MEMO_FILE).st_ino != first and not (live / MEMO_DELTA).exists()
    assert _read_memo(live)[0] == _read_memo(_state(tmp_path / "c" / "full" / "output"))[0]


def test_no_change_rebuild_keeps_memo_and_delta(tmp_path):
    s = _site(tmp_path)
    _build(s)
    _move(s)
    _build(s)
    live = _state(s.output)
    memo = _read_memo(live)[0]
    ino = (os.stat(live / MEMO_FILE).st_ino, os.stat(live / MEMO_DELTA).st_ino)
    result = _build(s)
    assert result.incremental and result.files_written == 0
    live = _state(s.output)
    assert (os.stat(live / MEMO_FILE).st_ino, os.stat(live / MEMO_DELTA).st_ino) == ino
    assert _read_memo(live)[0] == memo
