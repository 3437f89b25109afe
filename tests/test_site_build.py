"""build_site: validate first, atomic swap, leak gate, drop guard, determinism, mtimes kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from pelican import Pelican
from pelican.settings import read_settings

from generator.build.generations import Generations
from generator.cli import main
from generator.errors import BuildError, ContentErrors
from generator.render import outputs
from generator.state import paths
from generator.state.store import FILE, Store, gen_key

from .factory import NO_TERM, write
from .sitefixture import REPO, SETTINGS, make_site, record, tree

GOLDEN = Path(__file__).parent / "golden" / "record.html"


def _live(site):
    """Hashes of the live output and of the live index."""
    return tree(site.output), tree(paths.index_dir(site.output))


def test_two_builds_are_byte_identical(tmp_path):
    s = make_site(tmp_path)
    s.build(output=tmp_path / "a")
    s.build(output=tmp_path / "b")
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a == b and len(a) > 20
    stores = [Store(paths.state_dir(tmp_path / o) / FILE) for o in "ab"]
    assert stores[0].meta(gen_key("g000001", "info")) == stores[1].meta(gen_key("g000001", "info"))
    assert stores[0].files("g000001") == stores[1].files("g000001")


def test_pelican_api_builds_the_same_files(tmp_path):
    s = make_site(tmp_path)
    s.build(output=tmp_path / "chenglai")
    settings = read_settings(str(SETTINGS), override=s.overrides(OUTPUT_PATH=str(tmp_path / "pelican")))
    Pelican(settings).run()
    assert tree(tmp_path / "pelican") == tree(tmp_path / "chenglai")
    # the plain pelican run also committed its state and switched the output link
    assert (tmp_path / "pelican").is_symlink()
    assert Store(paths.state_dir(tmp_path / "pelican") / FILE).files("g000001")


def test_pelican_cli_runs_from_the_repository_root(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": ""},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert (out / "index.html").is_file() and (out / "debtors").is_dir()


def test_unchanged_files_keep_bytes_and_mtime(tmp_path):
    s = make_site(tmp_path)
    first = s.build()
    before = tree(s.output, mtimes=True)
    assert first.files_unchanged == 0
    time.sleep(0.02)
    # one record changes: its page changes, an untouched record's page does not
    write(s.records, "lu0502/org.yaml", record(
        case_number="（2025）鲁0502执77号", debtor__name="改名商贸有限公司", debtor__kind="organization",
        debtor__id_masked=None, debtor__gender=None, debtor__age=None, debtor__uscc="91370502MA3C0ABCDB",
        debtor__legal_representative="李四", listed_on=date(2025, 9, 1), vetting__vetted_on=date(2025, 8, 30),
        filed_on=date(2025, 3, 1),
    ))  # fmt: skip
    second = s.build()
    after = tree(s.output, mtimes=True)
    assert after["debtors/2024-lu0502-zhi-1234/index.html"] == before["debtors/2024-lu0502-zhi-1234/index.html"]
    assert after["theme/css/site.css"] == before["theme/css/site.css"]
    assert after["news/action/index.html"] == before["news/action/index.html"]
    changed = after["debtors/2025-lu0502-zhi-77/index.html"]
    assert changed[0] != before["debtors/2025-lu0502-zhi-77/index.html"][0]
    assert second.files_unchanged > 10 and second.files_written >= 1
    assert second.files_unchanged + second.files_written == len(after)
    # a third, identical build rewrites nothing
    third = s.build()
    assert third.files_written == 0 and tree(s.output, mtimes=True) == after


def test_content_error_writes_nothing(tmp_path):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    state = tree(paths.state_dir(s.output), mtimes=True)
    write(s.records, "lu0502/bad.yaml", record(case_number="（2024）鲁0502执9号", listed_on="2024-13-01"))
    with pytest.raises(ContentErrors) as exc:
        s.build()
    assert "bad.yaml" in str(exc.value) and "E013" in str(exc.value)
    assert _live(s) == live
    assert tree(paths.state_dir(s.output), mtimes=True) == state


def test_cli_reports_content_errors_without_traceback(tmp_path, capsys, monkeypatch):
    s = make_site(tmp_path)
    write(s.records, "lu0502/bad.yaml", record(case_number="（2024）鲁0502执9号", outstanding="很多"))
    settings = tmp_path / "site" / "pelicanconf.py"
    settings.write_text(
        f"from pathlib import Path\nexec(Path({str(SETTINGS)!r}).read_text())\n"
        f"PLUGIN_PATHS = [{str(REPO)!r}]\nTHEME = {str(REPO / 'theme')!r}\nPORTAL_AS_OF = '2026-11-25'\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path / "site")
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "content/debtors/lu0502/bad.yaml:" in err and "E070 outstanding:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "site" / "output").exists()


def test_cli_build_summary(tmp_path, capsys):
    s = make_site(tmp_path)
    code = main(["build", "-s", str(SETTINGS), "-o", str(s.output), "--as-of", "2026-11-25"])
    # PATH is the repository's content here: the demo site
    assert code == 0
    out = capsys.readouterr().out
    assert "构建完成（发布日期 2026-11-25）" in out and "公开记录" in out


def test_leak_gate_hit_keeps_previous_site(tmp_path):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    # a news article naming the removed debtor: the gate must refuse the whole build
    (s.content / "news" / "leak.md").write_text(
        "Title: 履行完毕\nDate: 2026-11-10\nSlug: leak\n\n被执行人钱removed已履行完毕。\n", encoding="utf-8"
    )
    with pytest.raises(BuildError) as exc:
        s.build()
    assert "news/leak/index.html" in str(exc.value) and "钱removed" in str(exc.value)
    assert _live(s) == live
    assert not (paths.state_dir(s.output) / "staging").exists()


def test_drop_guard(tmp_path):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    for name in ("org.yaml", "person.yaml"):
        (s.records / "lu0502" / name).unlink()
    with pytest.raises(BuildError) as exc:
        s.build()
    assert "PORTAL_MAX_DROP" in str(exc.value) and "--allow-drop" in str(exc.value)
    assert _live(s) == live
    s.build(settings={"PORTAL_MAX_DROP": 0.7})  # 3 → 1 is a 67 % drop
    assert s.build(allow_drop=True).public == 1


def test_failing_renderer_keeps_previous_site_and_rollback_copy(tmp_path, monkeypatch):
    s = make_site(tmp_path)
    s.build()
    first = tree(s.output)
    write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元"))
    s.build()
    live = _live(s)
    # for rollback: the build before is kept whole beside the live one
    gens = Generations(s.output, paths.state_dir(s.output))
    assert tree(gens.previous().site) == first
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_site_build:FAILING"])
    with pytest.raises(RuntimeError, match="renderer broke"):
        s.build()
    assert _live(s) == live
    assert len(gens.all()) == 2  # the failed build's folder is gone


def _failing_renderer(ctx):
    yield outputs.OutputFile("half.txt", b"x")
    raise RuntimeError("renderer broke")


FAILING = outputs.Single("failing", _failing_renderer)


def test_rollback_restores_site_and_index_together(tmp_path, capsys, monkeypatch):
    s = make_site(tmp_path)
    s.build()
    first = _live(s)
    write(s.records, "lu0502/person.yaml", record(status="removed", removed_on=date(2026, 11, 20),
                                                 removal_reason="performed", **NO_TERM))  # fmt: skip
    s.build(allow_drop=True)
    assert _live(s) != first
    settings = tmp_path / "conf.py"
    settings.write_text(f"from pelicanconf import *\nPATH = {str(s.content)!r}\n", encoding="utf-8")
    monkeypatch.chdir(REPO)
    assert main(["rollback", "-s", str(settings), "-o", str(s.output)]) == 0
    out = capsys.readouterr().out
    assert "g000001" in out and "2026-11-25" in out and "公开记录 3 条" in out
    assert _live(s) == first
    assert main(["rollback", "-s", str(settings), "-o", str(s.output)]) == 1  # nothing older kept
    assert "没有可恢复的上一次构建" in capsys.readouterr().err


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from generator.render import outputs
from generator.build.pipeline import build_site

def killer(ctx):
    yield outputs.OutputFile("partial.txt", b"half written")
    os.kill(os.getpid(), signal.SIGKILL)

KILLER = outputs.Single("killer", killer)
outputs.RENDERERS.append("__main__:KILLER")
build_site({settings!r}, output={output!r}, overrides={overrides!r})
"""


def test_killed_build_leaves_previous_site_untouched(tmp_path):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    script = tmp_path / "kill.py"
    script.write_text(
        textwrap.dedent(
            KILL_SCRIPT.format(repo=str(REPO), settings=str(SETTINGS), output=str(s.output), overrides=s.overrides())
        ),
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    gens = Generations(s.output, paths.state_dir(s.output))
    assert len(gens.all()) == 2 and gens.live().name == "g000001"  # killed mid-build: a leftover folder
    assert _live(s) == live
    assert s.build().unchanged  # the next build removes it (nothing else to do: the same inputs)
    assert [g.name for g in gens.all()] == ["g000001"]
    write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元"))
    assert s.build().generation == "g000002"
    assert [g.name for g in gens.all()] == ["g000001", "g000002"]


def test_golden_record_page(tmp_path):
    """The markup of one record page; regenerate with CHENGLAI_REGEN_GOLDEN=1."""
    s = make_site(tmp_path)
    s.build()
    page = (s.output / "debtors/2024-lu0502-zhi-1234/index.html").read_text(encoding="utf-8")
    if os.environ.get("CHENGLAI_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8")


def test_parallel_workers_write_the_same_site(tmp_path, monkeypatch):
    """The forked fast path (used from PARALLEL_MIN_RECORDS up) and the serial path agree."""
    from generator.build import workers

    s = make_site(tmp_path)
    s.build(output=tmp_path / "serial", settings={"PORTAL_JOBS": 1, "PORTAL_PER_PAGE": 1})
    monkeypatch.setattr(workers, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr("generator.render.pages.RECORDS_PER_JOB", 1)
    monkeypatch.setattr("generator.render.pages.PAGES_PER_JOB", 1)
    result = s.build(output=tmp_path / "parallel", settings={"PORTAL_JOBS": 2, "PORTAL_PER_PAGE": 1})
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial")
    files = Store(paths.state_dir(tmp_path / "parallel") / FILE).files(result.generation)
    assert files.keys() == tree(tmp_path / "parallel").keys()
    assert result.files_written == len(tree(tmp_path / "parallel"))


def test_fast_pages_equal_full_template_renders(tmp_path):
    """FastPage (chrome rendered once) gives the bytes of a full render, for every page."""
    from generator.render import pages

    s = make_site(tmp_path)
    result = s.build(settings={"PORTAL_PER_PAGE": 1})
    env = pages.theme_env(read_settings(str(SETTINGS), override=s.overrides(PORTAL_PER_PAGE=1)))
    env.globals["site_pages"] = [{"title": "纠正申请", "url": "correction/"}]
    site = pages.SitePages(outputs.RenderContext(view=result.view, settings=env.globals, env=env))
    full = env.get_template("record.html")
    for f, r in zip(site.records(result.view.public), result.view.public, strict=True):
        assert f.make().decode() == full.render(r=r)
        assert f.make() == (s.output / f.path).read_bytes()
    spec = site.specs[0]
    listing = env.get_template("list.html")
    for f in site.list_pages(spec):
        n = int(f.path.split("/")[-2]) if "/page/" in f.path else 1
        pager = pages.Pager(spec.base, n, len(spec.rows), len(spec.rows))
        expected = listing.render(
            pager=pager, rows=spec.rows[n - 1 : n], heading=spec.heading, nav_active=spec.nav, feed=None,
            crumb=None, ground=None, row=site.row,
        )  # fmt: skip
        assert f.make().decode() == expected
        assert f.make() == (s.output / f.path).read_bytes()


def test_as_of_decides_what_is_public(tmp_path):
    s = make_site(tmp_path)
    assert not (s.output / "debtors/2026-lu0502-zhi-2003").exists()
    later = s.build(as_of=date(2026, 12, 20))  # the future record's listing day
    assert later.as_of == date(2026, 12, 20)
    assert (s.output / "debtors/2026-lu0502-zhi-2003/index.html").is_file()
    assert "2026年12月20日" in (s.output / "index.html").read_text(encoding="utf-8")


def test_build_refuses_drafts(tmp_path):
    from .sitefixture import draft_record

    s = make_site(tmp_path)
    write(s.records, "lu0502/draft.yaml", draft_record())
    with pytest.raises(ContentErrors) as exc:
        s.build()
    assert "E040" in str(exc.value)
    assert not s.output.exists()


def _leaky_files(ctx):
    yield outputs.OutputFile("data/leak.csv", "姓名\n孙expired\n".encode())


LEAKY = outputs.Single("leaky", _leaky_files)


def _leaky_indexer(ctx, index_dir, live_index=None, live_docs=None):
    """The real index, plus a document that names a withheld case number."""
    from whoosh import index

    from search import indexer

    result = indexer.build(ctx, index_dir, live_index, live_docs)
    ix = index.open_dir(str(index_dir))
    with ix.writer() as w:
        w.add_document(id="leak", kind="news", title="（2026）鲁0502执2003号")
    ix.close()
    return result


@pytest.mark.parametrize(
    "hook, where",
    [("RENDERERS", "data/leak.csv: 姓名/名称「孙expired」"), ("INDEXER", "执行案号「（2026）鲁0502执2003号」")],
)
def test_leak_gate_scans_renderer_files_and_index(tmp_path, monkeypatch, hook, where):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    if hook == "RENDERERS":
        monkeypatch.setattr(outputs, hook, [*outputs.RENDERERS, "tests.test_site_build:LEAKY"])
    else:
        monkeypatch.setattr(outputs, hook, "tests.test_site_build:_leaky_indexer")
    with pytest.raises(BuildError) as exc:
        s.build()
    assert where in str(exc.value)
    assert _live(s) == live


def _index_documents(folder):
    from whoosh import index

    with index.open_dir(str(folder)).searcher() as searcher:
        return sorted(sorted(d.items()) for d in searcher.documents()), searcher.doc_count()


def test_index_in_its_own_process_equals_the_index_written_in_process(tmp_path, monkeypatch):
    """A full build from INDEX_PROCESS_MIN_RECORDS up writes the index in a forked process while
    the pages render: the same documents, site.json and search hits; the leak gate still scans it."""
    from generator.build import pipeline
    from search import indexer

    s = make_site(tmp_path)
    inline = s.build(output=tmp_path / "inline", settings={"PORTAL_JOBS": 2})
    assert "render.index.own" not in inline.phases
    monkeypatch.setattr(pipeline, "INDEX_PROCESS_MIN_RECORDS", 0)
    forked = s.build(output=tmp_path / "forked", settings={"PORTAL_JOBS": 2})
    assert forked.phases["render.index.own"] > 0
    assert _index_documents(forked.index) == _index_documents(inline.index)
    site = (forked.index / indexer.SITE_FILE).read_bytes().replace(b"/forked", b"/inline")  # OUTPUT_PATH
    assert site == (inline.index / indexer.SITE_FILE).read_bytes()
    assert tree(tmp_path / "forked") == tree(tmp_path / "inline")
    live = tree(tmp_path / "forked"), tree(forked.index)
    monkeypatch.setattr(outputs, "INDEXER", "tests.test_site_build:_leaky_indexer")
    with pytest.raises(BuildError, match="（2026）鲁0502执2003号"):
        s.build(output=tmp_path / "forked", settings={"PORTAL_JOBS": 2}, incremental=False)
    assert (tree(tmp_path / "forked"), tree(forked.index)) == live


def _failing_indexer(ctx, index_dir, live_index=None, live_docs=None):
    raise RuntimeError("indexer broke")


def test_failing_index_process_fails_the_build_and_leaves_nothing_running(tmp_path, monkeypatch):
    import multiprocessing

    from generator.build import pipeline, workers

    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    monkeypatch.setattr(pipeline, "INDEX_PROCESS_MIN_RECORDS", 0)
    monkeypatch.setattr(outputs, "INDEXER", "tests.test_site_build:_failing_indexer")
    with pytest.raises(RuntimeError, match="indexer broke"):
        s.build(settings={"PORTAL_JOBS": 2}, incremental=False)
    assert multiprocessing.active_children() == []
    assert _live(s) == live
    # a renderer failing while the index process and the page workers run: all are stopped
    monkeypatch.setattr(workers, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(outputs, "INDEXER", "tests.test_site_build:_slow_indexer")
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_site_build:FAILING"])
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="renderer broke"):
        s.build(settings={"PORTAL_JOBS": 2}, incremental=False)
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []
    assert _live(s) == live


def _slow_indexer(ctx, index_dir, live_index=None, live_docs=None):
    time.sleep(60)


def test_record_pages_do_not_change_with_the_build_date(tmp_path):
    """rsync-friendly daily builds: a record page depends on its record, not on the date."""
    s = make_site(tmp_path)
    s.build()
    before = tree(s.output, mtimes=True)
    result = s.build(as_of=date(2026, 11, 26))
    after = tree(s.output, mtimes=True)
    pages = [f for f in before if f.startswith("debtors/20")]
    assert pages and all(after[f] == before[f] for f in pages)
    assert after["index.html"] != before["index.html"]  # the home page says the date
    assert result.files_unchanged >= len(pages)


def test_slug_collision_is_a_build_error(tmp_path):
    s = make_site(tmp_path)
    (s.content / "pages" / "removals.md").write_text("Title: 删除\nSlug: removals\n\n正文\n", encoding="utf-8")
    with pytest.raises(BuildError, match="Slug"):
        s.build()
    assert not s.output.exists()


def test_one_build_at_a_time(tmp_path):
    import fcntl

    s = make_site(tmp_path)
    s.build()
    with open(paths.state_dir(s.output) / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(BuildError, match="另一个构建正在进行"):
            s.build()


def test_output_retention_entries_follow_the_site(tmp_path):
    s = make_site(tmp_path)
    s.build()
    (s.output / ".git").mkdir()
    (s.output / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    s.build(settings={"OUTPUT_RETENTION": [".git"]})
    assert (s.output / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_plain_pelican_run_refuses_a_leak(tmp_path):
    s = make_site(tmp_path)
    (s.content / "news" / "leak.md").write_text(
        "Title: 履行完毕\nDate: 2026-11-10\nSlug: leak\n\n被执行人钱removed已履行完毕。\n", encoding="utf-8"
    )
    settings = read_settings(str(SETTINGS), override=s.overrides(OUTPUT_PATH=str(tmp_path / "pelican")))
    with pytest.raises(BuildError, match="钱removed"):
        Pelican(settings).run()
    assert not os.path.lexists(tmp_path / "pelican")  # nothing switched
    assert Store(paths.state_dir(tmp_path / "pelican") / FILE).files("g000001") == {}  # nothing committed


def test_missing_settings_file_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 2
    assert "找不到设置文件" in capsys.readouterr().err
