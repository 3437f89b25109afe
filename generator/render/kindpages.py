"""The pages of the other kinds of exposure (SPEC §7), from the one PublicView:

    /restrictions/  /restrictions/<id>/  /restrictions/lifted/  /restrictions/lifted/<id>/
    /rewards/  /rewards/<id>/
    /exposure/  /exposure/<date>/  /exposure/<date>/print/  /exposure/<date>/column.txt
    /publicity/   (the three kinds with their counts; the nav's 其他公示)

Every page is an outputs.Lazy named by the values its template is rendered with (an item page
by its item alone; a batch's pages by the batch, whose records are those public on the date,
and the date); nothing here decides what is public (generator.domain.kindpolicy does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from markupsafe import Markup

from generator.domain.kindpolicy import PublicBatch, kind_counts
from generator.render.outputs import Lazy, RenderContext, Single
from generator.render.pages import cn_date, paginate
from generator.render.siteurls import site_url
from generator.settings import portal_settings

COLUMN_WIDTH = 20  # Han characters a line of a newspaper column (two ASCII characters make one)
# punctuation that never begins a line (the rule of Chinese typesetting: it stays with the line before)
_NO_LINE_START = set("，。、；：？！）》」』”’%")


def wrap(text: str, width: int = COLUMN_WIDTH) -> list[str]:
    """Lines of at most `width` Han characters' width (ASCII half as wide): a run of ASCII (an ID,
    a number) is never broken, and no line begins with closing punctuation."""
    lines: list[str] = []
    line, used = "", 0.0
    for token in re.findall(r"[!-~]+|.", text):
        w = len(token) / 2 if token.isascii() else 1.0
        if used + w > width and line and token not in _NO_LINE_START:
            lines.append(line)
            line, used = "", 0.0
        line += token
        used += w
    if line:
        lines.append(line)
    return lines


def _page(ctx: RenderContext, path: str, template: str, **values: Any) -> Lazy:
    """A page of `template` named by the values it is rendered with (and `row`, a record's row in
    a list: a function of the record and the theme, as in generator.render.pages)."""
    tpl, row_tpl = ctx.env.get_template(template), ctx.env.get_template("_row.html")

    def row(r: Any) -> Markup:
        return Markup(row_tpl.render(r=r))

    return Lazy(path, (template, tuple(values.items())), lambda: tpl.render(**values, row=row).encode("utf-8"))


def column_text(b: PublicBatch, settings: dict[str, Any], as_of: Any) -> bytes:
    """A batch as a plain-text newspaper column (UTF-8, CRLF-free, wrapped at COLUMN_WIDTH):
    what a court hands to a paper. The records public on the build date only."""
    out = [b.title, f"{b.court}　{cn_date(b.published_on)}发布", ""]
    out += wrap(
        f"依据《最高人民法院关于公布失信被执行人名单信息的若干规定》，现将下列失信被执行人予以曝光"
        f"（截至{cn_date(as_of)}仍在公布期内，共{len(b.records)}条）："
    )
    for i, r in enumerate(b.records, 1):
        out.append("")
        who = (
            f"{r.name}，{r.gender}，身份证号码{r.id_masked}"
            if r.kind == "person"
            else (f"{r.name}，统一社会信用代码{r.uscc}，法定代表人{r.legal_representative}")
        )
        out += wrap(f"{i}. {who}；执行案号{r.case_number}；执行法院{r.court}；未履行义务：{r.obligation}；"
                         f"发布时间{cn_date(r.listed_on)}。")  # fmt: skip
    out.append("")
    out += wrap(f"以上信息以{site_url(settings, b.url)}公布的为准。认为信息有误的，可向执行法院申请纠正。")
    if portal_settings(settings)["PORTAL_DEMO"]:
        out += ["", "（演示数据：姓名、证件号码、案号均为随机生成，纯属虚构。）"]
    return ("\n".join(out) + "\n").encode("utf-8")


def render(ctx: RenderContext) -> Iterator[Lazy]:
    view, as_of = ctx.view, ctx.view.as_of
    portal = portal_settings(ctx.settings)
    per_page, days = portal["PORTAL_PER_PAGE"], portal["PORTAL_REMOVAL_NOTICE_DAYS"]
    for pager, rows in paginate("restrictions/", view.restrictions, per_page):
        yield _page(
            ctx, pager.save_as, "restrictions.html", pager=pager, rows=rows, as_of=as_of, nav_active="publicity"
        )
    for r in view.restrictions:
        yield _page(ctx, f"{r.url}index.html", "restriction.html", r=r, nav_active="publicity")
    for pager, rows in paginate("restrictions/lifted/", view.lifts, per_page):
        yield _page(ctx, pager.save_as, "lifts.html", pager=pager, rows=rows, as_of=as_of, days=days,
                    nav_active="publicity")  # fmt: skip
    for n in view.lifts:
        yield _page(ctx, f"{n.url}index.html", "lift.html", n=n, nav_active="publicity")
    for pager, rows in paginate("rewards/", view.rewards, per_page):
        yield _page(ctx, pager.save_as, "rewards.html", pager=pager, rows=rows, as_of=as_of, nav_active="publicity")
    for w in view.rewards:
        yield _page(ctx, f"{w.url}index.html", "reward.html", w=w, nav_active="publicity")
    yield _page(ctx, "exposure/index.html", "exposure.html", batches=view.batches, as_of=as_of, nav_active="publicity")
    for b in view.batches:
        yield _page(ctx, f"{b.url}index.html", "batch.html", b=b, as_of=as_of, nav_active="publicity")
        yield _page(ctx, f"{b.url}print/index.html", "batch_print.html", b=b, as_of=as_of)
        yield Lazy(f"{b.url}column.txt", ("column", b, as_of), lambda b=b: column_text(b, ctx.settings, as_of))
    yield _page(ctx, "publicity/index.html", "publicity.html", kinds=kind_counts(view), nav_active="publicity")


RENDERER = Single("kindpages", render)
