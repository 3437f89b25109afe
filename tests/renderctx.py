"""A RenderContext over fixture records, for testing one renderer without a whole site build."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from generator.checker import check_paths
from generator.outputs import OutputFile, RenderContext
from generator.policy import decide

from .factory import AS_OF, write

THEME = Path(__file__).resolve().parent.parent / "theme" / "templates"


def render_context(
    folder: Path, records: list[dict[str, Any]], as_of: date = AS_OF, state: Path | None = None, **settings: Any
) -> RenderContext:
    for i, rec in enumerate(records):
        write(folder, f"r{i:03d}.yaml", rec)
    result = check_paths([folder], drafts_ok=False)
    assert not result.errors, result.errors
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME), autoescape=True)
    conf = {"SITENAME": "测试站", "SITEURL": "", "PORTAL_DEMO": True} | settings
    return RenderContext(view=decide(result.records, as_of), settings=conf, env=env, state=state)


def files(outputs: list[OutputFile]) -> dict[str, bytes]:
    return {f.path: f.data for f in outputs if not f.state}
