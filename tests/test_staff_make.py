"""Staff get the command (issue 18, point 6): the make shortcuts run the real `chenglai` of the
venv, and the import sample, dated relative to a given day, imports, vets and checks on that
day; a week later vetting it fails with E031, whose message names the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from scripts.make_import_sample import PUBLISHED_AFTER, main, write_sample

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
DAY = date(2026, 12, 7)
MAKE = shutil.which("make")


# a make of our own, not a sub-make of `make test` (whose MAKELEVEL would add "Entering directory" lines)
MAKE_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}


def make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make -f Makefile TARGET …` run in `cwd` with this test's venv, not reinstalling it."""
    installed = VENV / ".installed"
    cmd = [MAKE or "make", "-s", "-f", str(ROOT / "Makefile"), f"VENV={VENV}", "-o", str(installed), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=MAKE_ENV)


def test_the_sample_is_dated_relative_to_the_given_day(tmp_path):
    a = write_sample(tmp_path / "a.csv", DAY).read_bytes()
    assert write_sample(tmp_path / "b.csv", DAY).read_bytes() == a  # deterministic
    later = write_sample(tmp_path / "c.csv", DAY + timedelta(days=30)).read_bytes()
    assert later != a
    text = a.decode("utf-8-sig")
    published = DAY + PUBLISHED_AFTER
    assert published.isoformat() in text and f"{published.year}/{published.month}/{published.day}" in text
    assert "（2026）鲁0502执101号" in text  # filed 75 days before: the case year is the filing year


def test_the_sample_script_says_the_date_it_used(tmp_path, capsys):
    assert main([str(tmp_path / "s.csv"), "--date", "2027-01-20"]) == 0
    out = capsys.readouterr().out
    assert "2027-01-20" in out and "2027-01-27" in out
    # filed in November 2026: the case numbers carry the filing year
    assert "（2026）鲁0502执101号" in (tmp_path / "s.csv").read_text(encoding="utf-8-sig")


needs_make = pytest.mark.skipif(MAKE is None, reason="make (Debian build-essential) runs README's commands")


@needs_make
def test_import_check_and_vet_through_make_on_the_samples_day(tmp_path):
    done = make(tmp_path, "sample", f"DATE={DAY.isoformat()}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "import-sample.csv").is_file()
    done = make(tmp_path, "import", "FILE=import-sample.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list((tmp_path / "content" / "debtors").rglob("*.yaml"))) == 4
    strict = make(tmp_path, "check")
    assert strict.returncode != 0  # drafts are errors until vetted
    assert "E040" in strict.stdout + strict.stderr
    assert make(tmp_path, "check", "DRAFTS=1").returncode == 0
    done = make(tmp_path, "vet", "BY=李某（执行法官）", f"ON={DAY.isoformat()}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "审核 4 条" in done.stdout
    done = make(tmp_path, "check")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_make
def test_vetting_after_the_publication_date_names_the_fix(tmp_path):
    assert make(tmp_path, "sample", f"DATE={DAY.isoformat()}").returncode == 0
    assert make(tmp_path, "import", "FILE=import-sample.csv").returncode == 0
    late = DAY + PUBLISHED_AFTER + timedelta(days=1)
    done = make(tmp_path, "vet", "BY=李某（执行法官）", f"ON={late.isoformat()}")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "E031 vetting.vetted_on" in out
    assert f"请把 listed_on 改为实际公布的日期（不早于 {late.isoformat()}）" in out


@needs_make
def test_shortcuts_without_their_argument_say_how(tmp_path):
    for target, word in (("import", "FILE="), ("vet", "BY=")):
        done = make(tmp_path, target)
        assert done.returncode != 0 and "用法：make " + target in done.stderr and word in done.stderr


@needs_make
def test_make_says_where_the_command_is(tmp_path):
    done = make(tmp_path, "where")
    assert done.returncode == 0
    assert f"{VENV}/bin/chenglai" in done.stdout and "activate" in done.stdout


@needs_make
def test_make_serve_says_where_the_command_is():
    recipe = subprocess.run([MAKE, "-n", "-f", str(ROOT / "Makefile"), f"VENV={VENV}", "-o", str(VENV / ".installed"),
                             "serve"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=MAKE_ENV).stdout  # fmt: skip
    assert f"{VENV}/bin/chenglai" in recipe.splitlines()[0] and "make where" in recipe


@needs_make
def test_the_install_step_says_what_it_is_doing_before_pip():
    recipe = subprocess.run([MAKE, "-n", "-B", "-f", str(ROOT / "Makefile"), f"VENV={VENV}", str(VENV / ".installed")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60).stdout.splitlines()  # fmt: skip
    pip = next(i for i, line in enumerate(recipe) if "pip install" in line)
    assert any("正在" in line and "几分钟" in line for line in recipe[:pip])


@needs_make
def test_test_fast_leaves_out_the_browser_tests():
    recipe = subprocess.run([MAKE, "-n", "-f", str(ROOT / "Makefile"), f"VENV={VENV}", "-o", str(VENV / ".installed"),
                             "test-fast"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    assert '-m "not browser"' in recipe and "pytest" in recipe
    assert "chromium" not in recipe and "strace rsync" in recipe
