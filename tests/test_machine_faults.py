"""Clean failures of the machine (issue 19): a full disk, a read-only file system, no permission.
One Chinese line naming the path and the cause, exit code 1, no traceback; the new generation is
removed; the live site, its index and the store are untouched; the next build is unaffected."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from generator.build.generations import Generations
from generator.cli import main
from generator.errors import BuildError
from generator.state import paths
from generator.state.store import FILE

from .factory import write
from .sitefixture import REPO, SETTINGS, make_site, record, tree


def _live(s):
    return tree(s.output), tree(paths.index_dir(s.output)), (paths.state_dir(s.output) / FILE).read_bytes()


def _settings(tmp_path: Path, s) -> Path:
    conf = tmp_path / "conf.py"
    conf.write_text(
        f"from pathlib import Path\nexec(Path({str(SETTINGS)!r}).read_text())\nPLUGIN_PATHS = [{str(REPO)!r}]\n"
        f"THEME = {str(REPO / 'theme')!r}\nPATH = {str(s.content)!r}\nPORTAL_AS_OF = '2026-11-25'\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
def small_disk(tmp_path):
    """A real full disk: a 6 MB tmpfs (root only; skipped elsewhere)."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"tmpfs: {done.stderr.decode(errors='replace')}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_is_one_line_and_keeps_the_live_build(tmp_path, small_disk, capsys, monkeypatch):
    s = make_site(small_disk)
    s.build()
    live = _live(s)
    # a news article too big for what is left on the disk: its page cannot be written
    big = "\n\n".join(f"第{i}段：" + uuid.uuid4().hex * 40 for i in range(2500))
    news = s.content / "news" / "big.md"
    news.write_text(f"Title: 大文章\nDate: 2026-11-02\nSlug: big\n\n{big}\n", encoding="utf-8")
    monkeypatch.chdir(REPO)
    assert main(["build", "-s", str(_settings(tmp_path, s)), "-o", str(s.output)]) == 1
    err = capsys.readouterr().err
    assert "磁盘空间不足" in err and "ENOSPC" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _live(s) == live
    assert len(Generations(s.output, paths.state_dir(s.output)).all()) == 1  # the failed one is gone
    news.unlink()
    (s.content / "news" / "action.md").write_text((s.content / "news" / "action.md").read_text() + "\n补充。\n")
    result = s.build()  # the next build is unaffected
    assert result.generation == "g000002" and not result.unchanged


@pytest.mark.parametrize("code, words", [(errno.EROFS, "文件系统为只读"), (errno.EACCES, "没有权限")])
def test_write_refused_by_the_machine(tmp_path, monkeypatch, code, words):
    s = make_site(tmp_path)
    s.build()
    live = _live(s)
    real_open = os.open

    def refusing(path, flags, *args, **kw):  # the changed record's page in the new generation
        if "/generations/g000002/site/debtors/2024-lu0502-zhi-1234/" in str(path) and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kw)

    write(s.records, "lu0502/person.yaml", record(obligation="支付货款99元"))
    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(BuildError) as exc:
        s.build()
    monkeypatch.setattr(os, "open", real_open)
    assert words in str(exc.value) and "/generations/g000002/site/debtors/2024-lu0502-zhi-1234/" in str(exc.value)
    assert _live(s) == live
    result = s.build()
    assert result.generation == "g000002" and not result.unchanged


def test_unwritable_state_folder_at_start(tmp_path, monkeypatch, capsys):
    s = make_site(tmp_path)
    real_mkdir = Path.mkdir

    def refusing(self, *args, **kw):
        if self.name == ".chenglai-state" or ".chenglai-state" in self.parts:
            raise OSError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kw)

    monkeypatch.setattr(Path, "mkdir", refusing)
    monkeypatch.chdir(REPO)
    assert main(["build", "-s", str(_settings(tmp_path, s)), "-o", str(s.output)]) == 1
    err = capsys.readouterr().err
    assert "没有权限" in err and ".chenglai-state" in err and "Traceback" not in err
    assert not os.path.lexists(s.output)
