"""Long work shows progress on a terminal (issue 18, point 9): build, import and check through the
real CLI under a pseudo-terminal (pty) show the phase, a count and the time left on stderr, then
the one summary line as before; with stderr a pipe, or under CI, nothing but that line."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import progress
from generator.staff.demo import make_records

from .factory import AS_OF, write
from .sitefixture import REPO, SETTINGS, make_site

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM", "NO_COLOR")}
    env.update(PYTHONPATH=str(REPO), TERM="xterm-256color", COLUMNS="120", **extra)
    return env


def on_terminal(args: list[str], cwd: Path, **env: str) -> tuple[int, str, str]:
    """Run `chenglai ARGS` with stderr on a pseudo-terminal: (exit code, stdout, what the
    terminal received, escape codes removed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=cwd, env=_env(**env),
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)  # fmt: skip
    os.close(slave)
    got = bytearray()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            got += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode("utf-8")
    code = proc.wait(timeout=60)
    return code, out, ANSI.sub("", got.decode("utf-8", "replace"))


def on_pipe(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=_env(**env), capture_output=True,
                          text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress") / "debtors"
    for i, rec in enumerate(make_records(60, seed=11, as_of=AS_OF)):
        write(folder, f"r{i:03d}.yaml", rec)
    return folder


def test_check_on_a_terminal_shows_phase_count_and_time_left(records):
    code, out, terminal = on_terminal(["check", "--drafts", str(records)], records.parent)
    assert code in (0, 1)
    assert "检查记录文件" in terminal
    assert re.search(r"\b\d+/60\b", terminal), terminal[-2000:]
    assert "剩余" in terminal and "已用" in terminal
    # the summary line last, as before
    lines = [ln for ln in terminal.replace("\r", "\n").splitlines() if ln.strip()]
    assert "通过" in lines[-1] or "问题" in lines[-1]


def test_check_on_a_pipe_prints_the_summary_only(records):
    done = on_pipe(["check", "--drafts", str(records)], records.parent)
    assert "检查记录文件" not in done.stderr and "\x1b[" not in done.stderr and "剩余" not in done.stderr
    summary = [ln for ln in done.stderr.splitlines() if "通过" in ln]
    assert len(summary) == 1


def test_quiet_under_ci_even_on_a_terminal(records):
    _code, _out, terminal = on_terminal(["check", "--drafts", str(records)], records.parent, CI="true")
    assert "检查记录文件" not in terminal and "剩余" not in terminal
    assert "通过" in terminal or "问题" in terminal


def _site(tmp_path: Path) -> tuple[Path, Path]:
    s = make_site(tmp_path)
    conf = tmp_path / "conf.py"
    conf.write_text(SETTINGS.read_text(encoding="utf-8") + f"\nPATH = {str(s.content)!r}\n"
                    f"THEME = {str(REPO / 'theme')!r}\nPLUGIN_PATHS = [{str(REPO)!r}]\n", encoding="utf-8")  # fmt: skip
    return conf, s.output


def test_build_on_a_terminal_shows_its_phases_then_the_summary(tmp_path):
    conf, output = _site(tmp_path)
    code, out, terminal = on_terminal(["build", "-s", str(conf), "-o", str(output), "--as-of", AS_OF.isoformat()],
                                      tmp_path)  # fmt: skip
    assert code == 0, terminal[-3000:]
    for name in ("检查记录文件", "生成网页", "写入搜索索引", "泄漏检查", "保存并切换上线"):
        assert name in terminal, name
    assert re.search(r"生成网页.*?\b\d+/\d+\b", terminal)
    assert out.startswith("构建完成") and out.count("构建完成") == 1  # the summary, on stdout as before


def test_build_on_a_pipe_writes_no_progress(tmp_path):
    conf, output = _site(tmp_path)
    done = on_pipe(["build", "-s", str(conf), "-o", str(output), "--as-of", AS_OF.isoformat()], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("构建完成")
    assert "生成网页" not in done.stderr and "\x1b[" not in done.stderr


def test_import_on_a_terminal_counts_rows(tmp_path):
    from scripts.make_import_sample import write_sample

    sample = write_sample(tmp_path / "sample.csv", AS_OF)
    code, out, terminal = on_terminal(["import", str(sample), "-o", str(tmp_path / "d")], tmp_path)
    assert code == 0, out + terminal
    assert "导入数据行" in terminal and re.search(r"\b4/4\b", terminal)
    assert "新建 4 条" in out


def test_nothing_is_drawn_unless_a_person_watches():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.wanted(Tty(), {})
    assert not progress.wanted(Tty(), {"CI": "true"})
    assert progress.wanted(Tty(), {"CI": "false"})
    assert not progress.wanted(Tty(), {"TERM": "dumb"})
    assert not progress.wanted(io.StringIO(), {})
    # with no display open, the calls the work makes are no-ops
    progress.phase("x", 3)
    progress.advance()
    assert list(progress.track([1, 2], "y")) == [1, 2]


def test_a_worker_process_draws_nothing(tmp_path):
    """A forked worker inherits the display: its calls must not write to the terminal."""
    stream = tmp_path / "out.txt"
    with stream.open("w") as f:

        class Tty:
            def __getattr__(self, name):
                return getattr(f, name)

            def isatty(self) -> bool:
                return True

        with progress.shown(Tty(), {}):
            progress.phase("父进程", 2)
            pid = os.fork()
            if pid == 0:  # the worker
                progress.phase("子进程", 5)
                progress.advance(5)
                os._exit(0)
            os.waitpid(pid, 0)
            progress.advance(2)
    text = stream.read_text(encoding="utf-8")
    assert "父进程" in text and "子进程" not in text
