"""Incremental builds equal full builds (issue 7): after each kind of change, a build that
renders and applies only what changed gives the same output tree, byte for byte, and the same
search hits as a full build started from the same live site and state (a copy of it)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from whoosh import index

from generator.errors import BuildError
from generator.render import outputs
from generator.render.outputs import Lazy, Single
from generator.staff import demo
from generator.state import paths
from generator.state.store import FILE
from search import query

from .factory import AS_OF, NO_TERM, record, write
from .sitefixture import NEWS, REPO, Site, grep_tree, make_site, tree

PER_PAGE = 4  # small pages: a new or removed record shifts many list pages
QUERIES = [
    "张三丰",
    "张",
    "zsf",
    "鲁0502",
    "（2024）鲁0502执1234号",
    "东营",
    "有限公司",
    "王",
    "李",
    "集中执行",
    "广饶",
]


def _site(tmp_path: Path) -> Site:
    s = make_site(tmp_path)
    demo.write_records(s.records, demo.make_records(60, seed=7, as_of=AS_OF))
    return s


def _build(s: Site, **kw: Any) -> Any:
    settings = {"PORTAL_PER_PAGE": PER_PAGE, **kw.pop("settings", {})}
    return s.build(settings=settings, **kw)


def _dirs(root: Path) -> set[str]:
    return {os.path.relpath(d, root) for d, _sub, _files in os.walk(root)}


def hits(output: Path) -> dict[str, tuple[int, list[str]]]:
    """query → (total, sorted ids of every hit), through the service's own query path."""
    folder = paths.index_dir(output)
    info = json.loads((folder / "site.json").read_text(encoding="utf-8"))
    places = query.places_from_facets(info["facets"])
    ix = index.open_dir(str(folder))
    try:
        with ix.searcher() as searcher:
            out = {}
            for q in QUERIES:
                page = query.search(searcher, q, places=places, per_page=100)
                out[q] = (page.total, sorted(h.id for h in page.hits))
            return out
    finally:
        ix.close()


def _same_as_full(tmp_path: Path, s: Site, **kw: Any) -> Any:
    """Copy the site (content, live output, state), build the original incrementally and the
    copy fully; both must agree."""
    copy = tmp_path / "full"
    # not the trash the background deletion is emptying meanwhile (build.discard)
    shutil.copytree(s.root, copy, symlinks=True, ignore=shutil.ignore_patterns("trash"))
    full = Site(copy, copy / "content", copy / "output")
    result = _build(s, **kw)
    reference = _build(full, incremental=False, **kw)
    assert result.incremental and not reference.incremental
    assert tree(s.output) == tree(full.output)
    assert _dirs(s.output) == _dirs(full.output)  # no folder left empty by a removed page
    # the service's site.json, which names the content folder: the copy's is elsewhere
    ours = (paths.index_dir(s.output) / "site.json").read_text(encoding="utf-8")
    theirs = (paths.index_dir(full.output) / "site.json").read_text(encoding="utf-8")
    assert ours == theirs.replace(str(copy), str(s.root))
    assert hits(s.output) == hits(full.output)
    return result


def _newest(s: Site, **changes: Any) -> dict[str, Any]:
    return record(
        case_number="（2026）鲁0502执9001号", debtor__name="周新增", listed_on=date(2026, 11, 24),
        vetting__vetted_on=date(2026, 11, 23), filed_on=date(2026, 6, 1), **changes,
    )  # fmt: skip


def _add(s: Site) -> None:
    write(s.records, "lu0502/new.yaml", _newest(s))


def _edit(s: Site) -> None:
    write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元", debtor__name="张三改"))


def _remove(s: Site) -> None:
    write(
        s.records, "lu0502/person.yaml",
        record(status="removed", removed_on=date(2026, 11, 20), removal_reason="performed", **NO_TERM),
    )  # fmt: skip


def _delete_file(s: Site) -> None:
    (s.records / "lu0503" / "refuses.yaml").unlink()


def _news(s: Site) -> None:
    (s.content / "news" / "action.md").write_text(NEWS.replace("集中执行", "集中执行与惩戒"), encoding="utf-8")


def _many(s: Site) -> None:
    _add(s)
    _edit(s)
    _delete_file(s)
    for path in sorted(s.records.rglob("*.yaml"))[10:14]:
        path.unlink()


@pytest.mark.parametrize("change", [_add, _edit, _remove, _delete_file, _news, _many])
def test_incremental_equals_full(tmp_path, change):
    s = _site(tmp_path)
    _build(s)
    change(s)
    result = _same_as_full(tmp_path, s)
    assert result.files_written > 0


def test_as_of_change_that_expires_records(tmp_path):
    s = _site(tmp_path)
    first = _build(s)
    later = date(2027, 9, 1)  # two-year terms of records listed before 2025-09 end
    result = _same_as_full(tmp_path, s, as_of=later, allow_drop=True)
    assert result.public < first.public and result.notices > 0
    assert result.files_removed > 0


def test_no_change_rebuild_keeps_every_file_and_mtime(tmp_path):
    s = _site(tmp_path)
    _build(s)
    before = tree(s.output, mtimes=True)
    index_before = tree(paths.index_dir(s.output))
    result = _build(s)
    assert result.incremental and result.parsed == 0 and result.rendered == 0
    assert result.files_written == 0 and result.files_removed == 0
    assert tree(s.output, mtimes=True) == before
    # the same index files (but Whoosh's lock file, which only a writer makes)
    assert tree(paths.index_dir(s.output)).keys() - {"MAIN_WRITELOCK"} == index_before.keys() - {"MAIN_WRITELOCK"}
    assert hits(s.output)["张三丰"][0] == 1


def test_one_record_changed_rewrites_only_what_shows_it(tmp_path):
    s = _site(tmp_path)
    _build(s)
    before = tree(s.output, mtimes=True)
    write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元"))
    result = _build(s)
    after = tree(s.output, mtimes=True)
    changed = {k for k in after if after[k] != before.get(k)}
    assert result.incremental and result.parsed == 1
    rid = "2024-lu0502-zhi-1234"
    assert {f"debtors/{rid}/index.html", f"debtors/{rid}/notice/index.html"} <= changed
    assert "data/debtors.csv" not in changed  # a natural person: not in the bulk files (PORTAL_DATA_PERSONS)
    # not the pages of other records
    assert not any(
        k.startswith("debtors/") and rid not in k and k.count("/") >= 2 for k in changed - {"debtors/index.html"}
    )


def test_full_build_when_the_theme_or_settings_change(tmp_path):
    s = _site(tmp_path)
    _build(s)
    assert _build(s).incremental
    assert not _build(s, settings={"SITENAME": "另一个名字"}).incremental
    assert _build(s, settings={"SITENAME": "另一个名字"}).incremental
    theme = tmp_path / "theme"
    shutil.copytree(Path(s.build.__globals__["SETTINGS"]).parent / "theme", theme)
    assert not _build(s, settings={"SITENAME": "另一个名字", "THEME": str(theme)}).incremental
    (theme / "templates" / "_row.html").write_text(
        (theme / "templates" / "_row.html").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert not _build(s, settings={"SITENAME": "另一个名字", "THEME": str(theme)}).incremental


def test_killed_build_means_nothing_to_repair(tmp_path):
    """A build killed before its switch leaves a generation folder no link points at: the next
    build is incremental as usual, and removes it."""
    s = _site(tmp_path)
    _build(s)
    state = paths.state_dir(s.output)
    leftover = state / "generations" / "g000099"
    (leftover / "site").mkdir(parents=True)
    _edit(s)
    assert _build(s).incremental
    assert not leftover.exists()


@pytest.mark.parametrize("damage", [b"", b"garbage" * 1000])
def test_damaged_store_means_a_full_build(tmp_path, damage):
    s = _site(tmp_path)
    _build(s)
    (paths.state_dir(s.output) / FILE).write_bytes(damage)
    result = _build(s)
    assert not result.incremental and result.parsed > 0
    assert _build(s).incremental


def _echo_files(ctx: Any) -> Any:
    """A faulty renderer: every record's file also names 张三丰 (made only when its record
    changed: the others are taken from the live build)."""
    for r in ctx.view.public:
        yield Lazy(f"{r.url}echo.txt", (r.id,), lambda r=r: f"{r.id} 张三丰".encode())


ECHO = Single("echo", _echo_files)


def test_new_withheld_name_in_an_unchanged_file_is_caught(tmp_path, monkeypatch):
    """The pages kept from the live build are scanned again for what became withheld: a name
    public before (so no leak then) is refused once it is withheld, in pages not rendered again."""
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_incremental:ECHO"])
    s = _site(tmp_path)
    _build(s)
    live = tree(s.output)
    _remove(s)  # 张三丰 is removed from the list: the name is withheld now
    with pytest.raises(BuildError, match="张三丰") as exc:
        _build(s)
    assert "echo.txt" in str(exc.value)
    assert tree(s.output) == live


def test_incremental_on_forked_workers_equals_full(tmp_path, monkeypatch):
    """The same with the pages rendered by forked workers (as from 4,000 records up)."""
    from generator.build import pipeline, workers

    monkeypatch.setattr(workers, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(pipeline, "INDEX_PROCESS_MIN_RECORDS", 0)
    monkeypatch.setattr("generator.render.pages.RECORDS_PER_JOB", 7)
    s = _site(tmp_path)
    _build(s, settings={"PORTAL_JOBS": 2})
    _many(s)
    _same_as_full(tmp_path, s, settings={"PORTAL_JOBS": 2})


def test_cli_full_flag(tmp_path, monkeypatch, capsys):
    from generator.cli import main

    s = _site(tmp_path)
    _build(s)
    monkeypatch.chdir(REPO)
    args = ["build", "-o", str(s.output), "--as-of", AS_OF.isoformat()]
    assert main([*args, "-s", str(_settings_file(tmp_path, s))]) == 0  # other settings: a full build
    assert "完整构建" in capsys.readouterr().out
    assert main([*args, "-s", str(_settings_file(tmp_path, s))]) == 0  # the same inputs: nothing to do
    assert "无需重新生成" in capsys.readouterr().out
    _edit(s)
    assert main([*args, "-s", str(_settings_file(tmp_path, s))]) == 0
    assert "增量构建" in capsys.readouterr().out
    assert main([*args, "-s", str(_settings_file(tmp_path, s)), "--full"]) == 0
    assert "完整构建" in capsys.readouterr().out


def _settings_file(tmp_path: Path, s: Site) -> Path:
    path = tmp_path / "conf.py"
    path.write_text(
        f"from pelicanconf import *\nPATH = {str(s.content)!r}\nPORTAL_PER_PAGE = {PER_PAGE}\nPORTAL_AS_OF = None\n",
        encoding="utf-8",
    )
    return path


# Each field of a record edited by itself: every output whose inputs hold the record must be
# made again, list order included.
FIELD_EDITS: dict[str, dict[str, Any]] = {
    "obligation": {"obligation": "支付货款99元"},
    "name": {"debtor__name": "张三改"},
    "id_masked": {"debtor__id_masked": "3705021985****5678"},
    "gender_age": {"debtor__gender": "女", "debtor__id_masked": "3705021985****1244", "debtor__age": 41},
    "outstanding": {"outstanding": 99.5},
    "performance": {"performance": "部分未履行"},
    "grounds": {"grounds": ["evades_by_fraud", "violates_asset_report"]},
    "listed_on": {"listed_on": date(2026, 11, 24), "vetting__vetted_on": date(2026, 11, 23)},
    "filed_on": {"filed_on": date(2024, 1, 2)},
    "term_years": {"term_years": 3, "term_extension": "multiple_acts"},
    "grace_until": {"grace_until": date(2026, 12, 1)},  # SPEC §6: withheld until then
    "court": {
        "court": "东营市河口区人民法院",
        "region_code": "370503",
        "case_number": "（2024）鲁0503执1234号",
        "vetting__decision": "（2024）鲁0503执1234号之一",
    },  # fmt: skip
    "basis": {"basis": {"issuer": "东营市中级人民法院", "document": "（2023）鲁05民初1号"}},
    "vetting": {"vetting__vetted_by": "赵某（执行法官）"},
    "removed": {"status": "removed", "removed_on": date(2026, 11, 20), "removal_reason": "performed", **NO_TERM},
}


@pytest.mark.parametrize("field", sorted(FIELD_EDITS))
def test_each_field_edited_equals_full(tmp_path, field):
    s = _site(tmp_path)
    _build(s)
    write(s.records, "lu0502/person.yaml", record(**FIELD_EDITS[field]))
    result = _same_as_full(tmp_path, s)
    assert result.parsed == 1  # (vetting: nothing public shows who vetted)


def test_demo_record_edited_in_the_middle_of_its_lists_equals_full(tmp_path):
    s = _site(tmp_path)
    _build(s)
    path = sorted(s.records.rglob("*.yaml"))[len(list(s.records.rglob("*.yaml"))) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nobligation: ", "\nobligation: 改：", 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    result = _same_as_full(tmp_path, s)
    assert result.parsed == 1


def test_chain_of_incremental_builds_equals_full(tmp_path):
    """What the store keeps from build to build stays right over several incremental builds."""
    s = _site(tmp_path)
    _build(s)
    for change in (FIELD_EDITS["obligation"], FIELD_EDITS["name"], FIELD_EDITS["outstanding"]):
        write(s.records, "lu0502/person.yaml", record(**change))
        assert _build(s).incremental
    _add(s)
    assert _build(s).incremental
    write(s.records, "lu0502/person.yaml", record(**FIELD_EDITS["performance"]))
    result = _same_as_full(tmp_path, s)
    assert result.parsed == 1


def _cold(tmp_path: Path, s: Site, name: str, **kw: Any) -> Site:
    """The same content built in a fresh folder with no state at all."""
    root = tmp_path / name
    shutil.copytree(s.content, root / "content")
    cold = Site(root, root / "content", root / "output")
    _build(cold, **kw)
    return cold


def _without_history(files: dict[str, Any]) -> dict[str, Any]:
    # the daily change files are history (what changed since earlier builds), not content
    return {k: v for k, v in files.items() if not k.startswith("data/changes/")}


def test_random_sequence_of_changes_equals_cold_builds(tmp_path):
    """Edits, additions, deletions, removals and date changes in a seeded random order: after
    each incremental build the site equals a cold build of the same content byte for byte (the
    change files aside), search agrees, and no withheld name is anywhere in the output."""
    import random

    from generator.domain.policy import decide_records
    from generator.read.checker import check_paths

    rng = random.Random(14)
    s = _site(tmp_path)
    day = AS_OF
    _build(s, as_of=day)
    serial = 0
    for step in range(8):
        files = sorted(s.records.rglob("*.yaml"))
        kind = rng.choice(["edit", "add", "delete", "remove", "date", "edit"])
        if kind == "edit":
            path = rng.choice(files)
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("\nobligation: ", f"\nobligation: 第{step}次修改：", 1), encoding="utf-8")
        elif kind == "add":
            serial += 1
            write(s.records, f"lu0502/new{serial}.yaml", _newest(s, case_number=f"（2026）鲁0502执{9100 + serial}号",
                                                              debtor__name=f"新增{serial}号"))  # fmt: skip
        elif kind == "delete":
            rng.choice(files).unlink()
        elif kind == "remove":
            path = rng.choice(files)
            text = path.read_text(encoding="utf-8")
            if "status: listed" in text:
                path.write_text(text.replace("status: listed", f"status: removed\nremoved_on: {day.isoformat()}\n"
                                             "removal_reason: corrected", 1), encoding="utf-8")  # fmt: skip
        else:
            day = date.fromordinal(day.toordinal() + rng.choice([1, 30, 200]))
        result = _build(s, as_of=day, allow_drop=True)
        cold = _cold(tmp_path, s, f"cold{step}", as_of=day, allow_drop=True)
        assert _without_history(tree(s.output)) == _without_history(tree(cold.output)), (step, kind)
        assert _dirs(s.output) == _dirs(cold.output)
        assert hits(s.output) == hits(cold.output), (step, kind)
        view = decide_records(check_paths([s.records]).records, day)
        assert grep_tree(s.output, *sorted(view.withheld_names)) == [], (step, kind)
        assert kind == "date" or result.incremental


def test_recycled_generation_never_writes_into_a_kept_build(tmp_path):
    """From the third build on, the oldest kept generation is recycled: its folders and unchanged
    files stay, the rest is replaced. The live build's files (hard links shared with it) must come
    out of every build unchanged: the build before is exactly what rollback restores."""
    from generator.build.generations import Generations

    s = _site(tmp_path)
    _build(s)
    gens = Generations(s.output, paths.state_dir(s.output))
    edits = [FIELD_EDITS["obligation"], FIELD_EDITS["name"], FIELD_EDITS["removed"], FIELD_EDITS["outstanding"]]
    for step, change in enumerate(edits):
        before = tree(s.output, mtimes=True)
        write(s.records, "lu0502/person.yaml", record(**change))
        if step == 1:
            _add(s)
        (s.content / "news" / "action.md").write_text(NEWS.replace("集中执行", f"集中执行{step}"), encoding="utf-8")
        result = _build(s, allow_drop=True)
        assert tree(gens.previous().site, mtimes=True) == before, step
        assert len(gens.all()) == min(step + 2, 3)
        if step >= 1:
            assert result.files_unchanged > 0
    _same_as_full(tmp_path, s, allow_drop=True)
