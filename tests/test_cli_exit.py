"""The end of a `chenglai build` process (generator.cli.end_process): once the build is done
and nothing is pending, the process ends at once with its exit code and its output flushed,
instead of freeing every object of the build (0.65 s at 100,000 records). In-process callers
of cli.main (tests) get the code back as before (tests/test_site_build.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from generator import cli

from .factory import record, write
from .sitefixture import REPO, SETTINGS, make_site

SCRIPT = """
import atexit, os, sys, threading
atexit.register(lambda: print("teardown ran", flush=True))
mode = os.environ["MODE"]
done = threading.Event()
if mode == "thread":  # still running when the build is done: a normal exit waits for it
    threading.Thread(target=done.wait, args=(60,)).start()
from generator.cli import main
sys.argv = ["chenglai", *sys.argv[1:]]
try:
    code = main(sys.argv[1:]) if mode == "argv" else main()
finally:
    done.set()
sys.exit(code)
"""


def _site(tmp_path: Path) -> Path:
    make_site(tmp_path)
    settings = tmp_path / "site" / "pelicanconf.py"
    settings.write_text(
        f"from pathlib import Path\nexec(Path({str(SETTINGS)!r}).read_text())\n"
        f"PLUGIN_PATHS = [{str(REPO)!r}]\nTHEME = {str(REPO / 'theme')!r}\nPORTAL_AS_OF = '2026-11-25'\n",
        encoding="utf-8",
    )
    return tmp_path / "site"


def _run(site: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`chenglai ARGS` in `site` as the console script runs it (mode "cli"), with a thread
    still running ("thread"), or through main(argv) of a caller ("argv")."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MODE": mode}
    cmd = [sys.executable, "-c", SCRIPT, *args]
    return subprocess.run(cmd, cwd=site, env=env, capture_output=True, text=True, timeout=300)


def test_a_build_ends_its_process_at_once_with_its_code_and_output(tmp_path):
    site = _site(tmp_path)
    for i in range(2):  # a full build, then an incremental one
        if i:  # a record file changed (a comment: the same view, a new build all the same)
            path = sorted((site / "content" / "debtors").rglob("*.yaml"))[0]
            path.write_text(path.read_text(encoding="utf-8") + "# 已复核\n", encoding="utf-8")
        run = _run(site, "cli", "build")
        assert run.returncode == 0, run.stderr
        assert "构建完成（发布日期 2026-11-25）" in run.stdout  # flushed before the end
        assert "teardown ran" not in run.stdout  # the interpreter's exit did not run
        assert (site / "output" / "index.html").is_file()
    assert "增量构建" in run.stdout


def test_a_failed_build_and_a_caller_with_its_own_argv_exit_normally(tmp_path):
    site = _site(tmp_path)
    run = _run(site, "argv", "build")
    assert run.returncode == 0 and "构建完成" in run.stdout
    assert "teardown ran" in run.stdout  # main(argv) returned to its caller
    write(
        site / "content" / "debtors", "lu0502/bad.yaml", record(case_number="（2024）鲁0502执9号", outstanding="很多")
    )
    run = _run(site, "cli", "build")
    assert run.returncode == 1 and "E070 outstanding:" in run.stderr
    assert "teardown ran" in run.stdout


def test_a_thread_still_running_is_waited_for(tmp_path):
    run = _run(_site(tmp_path), "thread", "build")
    assert run.returncode == 0 and "构建完成" in run.stdout
    assert "teardown ran" in run.stdout  # pending(): the normal exit, which waits for the thread


def test_the_benchmark_child_ends_the_same_way(tmp_path):
    site = make_site(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", "build", str(site.content), str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["incremental"] is False and figures["public"] > 0


def test_every_command_names_its_module():
    from generator.cli import commands  # noqa: F401  (every command registered)

    assert set(cli.COMMANDS) == set(cli.COMMAND_MODULES)
    for name, module in cli.COMMAND_MODULES.items():
        assert cli.COMMANDS[name][1][1].__module__ == f"generator.cli.commands.{module}"
    # a parser for one command has that command only; without one, every command
    assert set(cli.build_parser("check")._subparsers._group_actions[0].choices) == {"check"}  # type: ignore[union-attr]
    assert set(cli.build_parser()._subparsers._group_actions[0].choices) == set(cli.COMMAND_MODULES)  # type: ignore[union-attr]


def test_main_called_in_process_leaves_sigpipe_alone(tmp_path, capsys):
    """Only `chenglai` as its own process restores SIGPIPE's default: a caller in-process (a test
    runner talking to a browser driver over pipes) would otherwise die without a word on its next
    write to a closed pipe (xdist reported it as a crashed worker)."""
    import signal

    from generator.cli import main

    before = signal.getsignal(signal.SIGPIPE)
    main(["check", str(tmp_path)])
    capsys.readouterr()
    assert signal.getsignal(signal.SIGPIPE) == before == signal.SIG_IGN
