"""/data/: the open data files as download buttons (link, size, data date) above the text of the
data page (content/pages/data.md), which Pelican leaves to us (generator.build.plugin.OWN_PAGES).

The page is made by generator.render.exports from the very files it has just made, so a size
shown is the size of the file served; it is a Lazy named by the files' paths, sizes and date
and by the page's text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from generator.render.outputs import Lazy, OutputFile, PageItem, RenderContext
from generator.render.pagecontext import settings_context

PATH = "data/index.html"
TITLE = "开放数据"  # when the content has no data page


@dataclass(frozen=True)
class Download:
    path: str  # relative to the site root
    label: str
    format: str
    type: str  # media type
    size: str
    note: str


# the files the page offers, in its order: path → (button label, format, media type, what it holds)
OFFERED: dict[str, tuple[str, str, str, str]] = {
    "data/debtors.csv": ("下载 CSV", "CSV（UTF-8，带 BOM，Excel 可直接打开）", "text/csv", "当天全部公开记录"),
    "data/debtors.json": ("下载 JSON", "JSON（UTF-8）", "application/json", "当天全部公开记录及数据日期、许可协议"),
    "data/schema.json": ("下载 JSON Schema", "JSON Schema（2020-12）", "application/schema+json",
                         "debtors.json 与每日变更文件的结构"),
    "data/changes/index.json": ("下载变更文件目录", "JSON（UTF-8）", "application/json",
                                "每日变更文件（新增、修改、删除的记录）的目录，按日期排列"),
}  # fmt: skip


def human_size(n: int) -> str:
    """812 → 812 字节, 12_600 → 12.3 KB, 4_781_506 → 4.56 MB (binary units, fixed digits)."""
    if n < 1024:
        return f"{n} 字节"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.2f} MB"


def downloads(files: Sequence[OutputFile]) -> list[Download]:
    sizes = {f.path: len(f.data) for f in files}
    return [
        Download(path, label, fmt, mtype, human_size(sizes[path]), note)
        for path, (label, fmt, mtype, note) in OFFERED.items()
        if path in sizes
    ]


def page(ctx: RenderContext, files: Sequence[OutputFile]) -> Lazy:
    """/data/index.html, from the data files just made."""
    items = downloads(files)
    text: PageItem | None = ctx.pages.get("data")
    as_of: date = ctx.view.as_of
    return Lazy(PATH, (tuple(items), text, as_of), functools.partial(_make, ctx, items, text, as_of))


def _make(ctx: RenderContext, items: list[Download], text: PageItem | None, as_of: date) -> bytes:
    template = ctx.env.get_template("data.html")
    html = template.render(
        settings_context(ctx.settings),
        files=items,
        as_of=as_of,
        title=text.title if text else TITLE,
        description=text.summary if text and text.summary else "失信被执行人名单开放数据（CSV、JSON）下载与说明。",
        body=Markup(text.html) if text else Markup(""),  # noqa: S704 - sanitised by the plugin (nh3)
        url=text.url if text else "data/",
    )
    return html.encode("utf-8")  # type: ignore[no-any-return]
