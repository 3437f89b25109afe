"""The package installs without warnings (issue 18, point 8): the licence is an SPDX expression
(PEP 639, `license = "MIT"`), not the deprecated table that made setuptools print three boxed
warnings on every install. Built for real by pip with its isolated build environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.licenses import canonicalize_license_expression

ROOT = Path(__file__).resolve().parent.parent


def test_license_is_an_spdx_expression():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    license_ = project["project"]["license"]
    assert isinstance(license_, str) and canonicalize_license_expression(license_) == license_
    assert not any(c.startswith("License ::") for c in project["project"].get("classifiers", []))


@pytest.mark.slow
def test_building_the_package_prints_no_deprecation(tmp_path):
    # a copy: setuptools writes build/ and *.egg-info beside the sources it builds
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("generator", "search"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(tmp_path), "-v", str(src)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    log = done.stdout + done.stderr
    assert "Deprecat" not in log and "deprecat" not in log, [ln for ln in log.splitlines() if "eprecat" in ln]
    (wheel,) = tmp_path.glob("chenglai-*.whl")
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith("METADATA"))).decode("utf-8")
    assert "License-Expression: MIT" in metadata
