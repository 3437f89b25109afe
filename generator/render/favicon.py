"""/favicon.ico: browsers ask for it at the site root on every first visit, whatever the pages
link; without it every page logs a 404 (and Lighthouse marks it). The theme's favicon.ico, or
the court's own icon named by PORTAL_FAVICON (a path in the content folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from generator.errors import BuildError
from generator.render.outputs import OutputFile, RenderContext, Single
from generator.settings import portal_settings

PATH = "favicon.ico"
ICO_MAGIC = b"\x00\x00\x01\x00"  # reserved 0, type 1 (icon)


def source(settings: dict) -> Path:  # type: ignore[type-arg]
    configured = portal_settings(settings)["PORTAL_FAVICON"]
    if configured is None:
        return Path(settings["THEME"]) / PATH
    return Path(settings["PATH"]) / configured


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    path = source(ctx.settings)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BuildError(f"找不到站点图标文件：{path}（PORTAL_FAVICON，content 目录中的相对路径）") from e
    if not data.startswith(ICO_MAGIC):
        raise BuildError(f"站点图标应为 .ico 文件：{path}（PORTAL_FAVICON）")
    yield OutputFile(PATH, data)


RENDERER = Single("favicon", render)
