"""A build killed just before each rename of its commit (strace's fault injection, Debian): the
site served and the search index agree at every instant about a record removed in that build,
and the next build needs no repair (issue 19 item 5; ARCHITECTURE.md, one commit point)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from whoosh import index

from generator.state import paths
from search import query

from .factory import NO_TERM, write
from .sitefixture import NEWS, REPO, SETTINGS, make_site, record

STRACE = shutil.which("strace")
pytestmark = pytest.mark.skipif(STRACE is None, reason="strace (Debian) is installed by make test")
RID = "2024-lu0502-zhi-1234"
RENAMES = "rename,renameat,renameat2"


def _build_cmd(site: Path) -> list[str]:
    conf = site / "conf.py"
    if not conf.exists():
        conf.write_text(
            f"from pathlib import Path\nexec(Path({str(SETTINGS)!r}).read_text())\nPLUGIN_PATHS = [{str(REPO)!r}]\n"
            f"THEME = {str(REPO / 'theme')!r}\nPATH = {str(site / 'content')!r}\nPORTAL_AS_OF = '2026-11-25'\n",
            encoding="utf-8",
        )
    return [sys.executable, "-m", "generator", "build", "-s", str(conf), "-o", str(site / "output"), "--allow-drop"]


def _run(cmd: list[str], strace: list[str] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    full = [STRACE, "-f", "-qq", "-o", os.devnull, *strace, *cmd] if strace else cmd
    return subprocess.run(full, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def _served(site: Path) -> bool:
    return (site / "output" / "debtors" / RID / "index.html").is_file()


def _found(site: Path) -> bool:
    folder = paths.index_dir(site / "output")
    places = query.places_from_facets(json.loads((folder / "site.json").read_text(encoding="utf-8"))["facets"])
    ix = index.open_dir(str(folder))
    try:
        with ix.searcher() as searcher:
            return RID in {h.id for h in query.search(searcher, "张三丰", places=places, per_page=100).hits}
    finally:
        ix.close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A built site, then the change a build will commit: the record removed, a news item edited."""
    root = tmp_path_factory.mktemp("crash")
    s = make_site(root)
    # three builds: the fourth recycles the first (live, rollback and spare are kept)
    for text in (NEWS, NEWS.replace("东营两级法院", "东营市两级法院"), NEWS.replace("东营两级法院", "东营两级人民法院")):
        (s.content / "news" / "action.md").write_text(text, encoding="utf-8")
        done = _run(_build_cmd(s.root))
        assert done.returncode == 0, done.stderr
    assert _served(s.root) and _found(s.root)
    write(s.records, "lu0502/person.yaml", record(status="removed", removed_on=date(2026, 11, 20),
                                                 removal_reason="performed", **NO_TERM))  # fmt: skip
    (s.content / "news" / "action.md").write_text(NEWS.replace("集中执行", "集中执行与惩戒"), encoding="utf-8")
    # how many renames the build makes: counted on a copy
    trace = root / "renames.trace"
    probe = shutil.copytree(s.root, root / "probe", symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    counted = subprocess.run([STRACE, "-f", "-qq", "-e", f"trace={RENAMES}", "-o", str(trace), *_build_cmd(probe)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert counted.returncode == 0, counted.stderr
    calls = [line for line in trace.read_text().splitlines() if re.search(r"\brename(at2?)?\(", line)]
    assert any("output\"" in line for line in calls)  # the switch of the link is one of them
    assert any(re.search(r"g000001\", \".*g000004\"", line) for line in calls)  # and the recycling
    return s.root, len(calls)


def test_killed_before_each_rename_site_and_search_agree(prepared, tmp_path):
    base, renames = prepared
    assert renames >= 2
    for n in range(1, renames + 1):
        site = shutil.copytree(base, tmp_path / f"kill{n}", symlinks=True)
        done = _run(_build_cmd(site), ["-e", f"inject={RENAMES}:signal=KILL:when={n}"])
        assert done.returncode != 0, n  # killed
        served, found = _served(site), _found(site)
        assert served == found, (n, served, found)
        assert served  # killed before the switch (the last rename at most): the previous build, whole
        again = _run(_build_cmd(site))  # the next build: no repair needed
        assert again.returncode == 0, (n, again.stderr)
        assert not _served(site) and not _found(site)
