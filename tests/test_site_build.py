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

from generator import outputs, paths
from generator.cli import main
from generator.errors import BuildError, ContentErrors

from .factory import write
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
    info = [(paths.state_dir(tmp_path / o) / "build" / "build.json").read_bytes() for o in "ab"]
    assert info[0] == info[1]  # (the manifests differ: they hold each file's mtime)


def test_pelican_api_builds_the_same_files(tmp_path):
    s = make_site(tmp_path)
    s.build(output=tmp_path / "chenglai")
    settings = read_settings(str(SETTINGS), override=s.overrides(OUTPUT_PATH=str(tmp_path / "pelican")))
    Pelican(settings).run()
    assert tree(tmp_path / "pelican") == tree(tmp_path / "chenglai")
    # the plain pelican run also committed its state and ran the gate
    assert (paths.state_dir(tmp_path / "pelican") / "build" / "manifest.json").is_file()


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
    s.build()
    live = _live(s)
    previous = paths.state_dir(s.output) / "previous" / "site"
    assert tree(previous) == live[0]  # the build before the live one, for rollback
    monkeypatch.setattr(outputs, "RENDERERS", [*outputs.RENDERERS, "tests.test_site_build:_failing_renderer"])
    with pytest.raises(RuntimeError, match="renderer broke"):
        s.build()
    assert _live(s) == live


def _failing_renderer(ctx):
    yield outputs.OutputFile("half.txt", b"x")
    raise RuntimeError("renderer broke")


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from generator import outputs
from generator.build import build_site

def killer(ctx):
    yield outputs.OutputFile("partial.txt", b"half written")
    os.kill(os.getpid(), signal.SIGKILL)

outputs.RENDERERS.append("__main__:killer")
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
    assert (paths.state_dir(s.output) / "staging").exists()  # killed mid-build: leftovers
    assert _live(s) == live
    s.build()  # the next build clears them and succeeds
    assert not (paths.state_dir(s.output) / "staging").exists()
    assert _live(s)[0] == live[0]


def test_golden_record_page(tmp_path):
    """The markup of one record page; regenerate with CHENGLAI_REGEN_GOLDEN=1."""
    s = make_site(tmp_path)
    s.build()
    page = (s.output / "debtors/2024-lu0502-zhi-1234/index.html").read_text(encoding="utf-8")
    if os.environ.get("CHENGLAI_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8")
