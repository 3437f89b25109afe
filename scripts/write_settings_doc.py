"""Regenerate docs/settings.md from generator.settings.PORTAL_DEFAULTS (the one source)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.settings import PORTAL_DEFAULTS  # noqa: E402

HEADER = """# 设置（PORTAL_*）

本文件由 `python scripts/write_settings_doc.py` 从 `generator/settings.py` 生成，请勿手工编辑；
测试会检查它与代码一致。设置写在 `pelicanconf.py`（或 `publishconf.py`）中，未写的取默认值，
未知的 `PORTAL_*` 名称会使构建失败。

| 设置 | 默认值 | 说明 |
|---|---|---|
"""


def render() -> str:
    rows = [f"| `{name}` | `{default!r}` | {help_text} |" for name, (default, help_text) in PORTAL_DEFAULTS.items()]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "settings.md").write_text(render(), encoding="utf-8")
    print("wrote docs/settings.md")
