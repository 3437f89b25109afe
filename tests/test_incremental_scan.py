"""The leak gate of an incremental build that scans a rewritten big file only in its new lines
(generator.build.writer.PortalWriter._scan; from DIFF_SCAN_MIN bytes, 0 here so that every file of
the small test site goes that way): the output still equals a full build's, and a withheld name
in a new line is still refused."""

from __future__ import annotations

from typing import Any

import pytest

from generator.build import writer
from generator.errors import BuildError
from generator.render import outputs
from generator.render.outputs import OutputFile

from .sitefixture import tree
from .test_incremental import _add, _build, _delete_file, _edit, _many, _news, _remove, _same_as_full, _site


@pytest.fixture
def diff_scan(monkeypatch):
    monkeypatch.setattr(writer, "DIFF_SCAN_MIN", 0)


@pytest.mark.parametrize("change", [_add, _edit, _remove, _delete_file, _news, _many])
def test_incremental_with_line_scans_equals_full(tmp_path, diff_scan, change):
    s = _site(tmp_path)
    _build(s)
    change(s)
    assert _same_as_full(tmp_path, s).files_written > 0


def _lines(ctx: Any) -> Any:
    """A faulty renderer: one line per public record; the line of a record whose obligation says
    99元 also names a withheld debtor."""
    withheld = sorted(ctx.view.withheld_names)
    lines = [f"{r.id} {r.obligation}" + (f" {withheld[0]}" if "99元" in r.obligation else "") for r in ctx.view.public]
    yield OutputFile("lines.txt", "\n".join(lines).encode("utf-8"))


def test_withheld_name_in_a_new_line_is_caught(tmp_path, diff_scan, monkeypatch):
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_incremental_scan:_lines"])
    s = _site(tmp_path)
    first = _build(s)
    assert first.view.withheld_names  # the site has withheld debtors: the new line names one
    live = tree(s.output)
    _edit(s)  # obligation 支付货款99元
    with pytest.raises(BuildError, match="lines.txt"):
        _build(s)
    assert tree(s.output) == live


def test_line_scans_only_when_nothing_became_withheld(tmp_path, monkeypatch):
    """What the session allows: not after a removal (a name withheld now may be in an old line)."""
    from generator.build import incremental

    seen: list[bool] = []
    begin = incremental.Session.begin

    def spy(self: Any, ctx: Any, site_pages: Any) -> None:
        begin(self, ctx, site_pages)
        seen.append(self.diff_scan)

    monkeypatch.setattr(incremental.Session, "begin", spy)
    s = _site(tmp_path)
    _build(s)
    _edit(s)
    _build(s)
    _remove(s)
    _build(s)
    assert seen == [False, True, False]  # a full build; an edit; a removal


def test_an_edit_after_a_no_change_build_equals_full(tmp_path):
    """A build that kept everything links the live state files (memo, baseline, manifests) into
    its own: the next build reads them as if written."""
    s = _site(tmp_path)
    _build(s)
    kept = _build(s)
    assert kept.incremental and kept.files_written == 0
    _edit(s)
    assert _same_as_full(tmp_path, s).files_written > 0


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the index update runs in a forked process
def test_withheld_name_in_a_new_search_document_is_caught(tmp_path, monkeypatch, jobs):
    """Fault injection: the snippet of every document made from now on names a withheld debtor.
    The documents an incremental build adds are scanned before its index can go live."""
    from search import indexer

    s = _site(tmp_path)
    first = _build(s, settings={"PORTAL_JOBS": jobs})
    withheld = sorted(first.view.withheld_names)[0]
    snippet = indexer.record_snippet
    monkeypatch.setattr(indexer, "record_snippet", lambda r: f"{snippet(r)} {withheld}")
    live = tree(s.output)
    _edit(s)
    with pytest.raises(BuildError, match=f"index/2024-lu0502-zhi-1234.*{withheld}"):
        _build(s, settings={"PORTAL_JOBS": jobs})
    assert tree(s.output) == live


class _Boom(Exception):
    pass


def _boom(ctx: Any) -> Any:
    """A renderer that fails (after the forked index update started) once a record's obligation
    says 99元."""
    if any("99元" in r.obligation for r in ctx.view.public):
        raise _Boom("renderer failed")
    yield from ()


def test_a_build_failing_while_the_index_update_runs(tmp_path, monkeypatch):
    """The renderer's own error reaches the caller (the forked update works outside the staging
    folder the failed build removes); the next build clears what the child left."""
    from generator.build import incremental
    from generator.state import paths

    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_incremental_scan:_boom"])
    started: list[bool] = []
    start = incremental.Session.start_index

    def spy(self: Any, ctx: Any) -> None:
        start(self, ctx)
        started.append(self._index_child is not None)

    monkeypatch.setattr(incremental.Session, "start_index", spy)
    s = _site(tmp_path)
    _build(s, settings={"PORTAL_JOBS": 2})
    _edit(s)
    with pytest.raises(_Boom):
        _build(s, settings={"PORTAL_JOBS": 2})
    assert started == [True]  # the update was running when the build failed
    _add(s)
    _remove(s)  # the 99元 record is no longer public
    assert _build(s, settings={"PORTAL_JOBS": 2}).incremental
    assert not list(paths.state_dir(s.output).glob("index-update.*"))
