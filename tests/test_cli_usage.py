"""Usage errors and help in Chinese (issue 18, point 8): argparse's English never reaches staff,
through the real `chenglai` command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.usage import chinese

ROOT = Path(__file__).resolve().parent.parent
# argparse's own words; a command's options (--port, QUERY) and values are allowed through
ENGLISH = re.compile(r"usage:|required|invalid|unrecognized|expected|argument|choose from|show this help|"
                     r"positional|options:|ambiguous", re.I)  # fmt: skip


def chenglai(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "缺少必需的参数：COMMAND"),
        (("nope",), "无效的值 'nope'（可选："),
        (("vet",), "缺少必需的参数：PATH, --by"),
        (("serve", "--port", "abc"), "参数 --port：应为整数，而不是 'abc'"),
        (("expiring", "--within"), "参数 --within：需要一个值"),
        (("check", "--bogus"), "无法识别的参数：--bogus"),
        (("search", "--kind", "cat", "x"), "参数 --kind：无效的值 'cat'"),
        (("build", "--as-of", "2026-13-01"), "参数 --as-of：日期应为 YYYY-MM-DD"),
    ],
)
def test_usage_errors_are_chinese(args, said):
    done = chenglai(*args)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr
    assert done.stderr.startswith("用法：chenglai")
    assert not ENGLISH.search(done.stderr), done.stderr


@pytest.mark.parametrize("args", [("-h",), ("vet", "-h"), ("serve", "--help")])
def test_help_is_chinese(args):
    done = chenglai(*args)
    assert done.returncode == 0
    assert done.stdout.startswith("用法：chenglai") and "显示本帮助并退出" in done.stdout
    assert not ENGLISH.search(done.stdout), done.stdout


def test_an_unknown_wording_passes_unchanged():
    assert chinese("something argparse may say one day") == "something argparse may say one day"
    assert chinese("argument --x: some new complaint") == "参数 --x：some new complaint"
