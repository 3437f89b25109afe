"""Printable notices (公告): one A4 page per public record, with a QR code back to its page.

Courts print these for notice boards and the press. The page is `/debtors/<id>/notice/`; the
print stylesheet (theme/static/css/print.css) hides the site chrome but keeps the demo banner.
The QR code is made at build time by segno as inline SVG, so the page needs no JavaScript and
no image request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import segno
from markupsafe import Markup, escape

from .outputs import OutputFile, RenderContext
from .pagecontext import page_context
from .policy import PublicRecord

# Level M survives a crease or a smudge on a notice board; the version follows from the URL length.
QR_ERROR = "m"
# Choosing the mask is 80 % of segno's time (it scores all eight). The choice depends only on the
# encoded text, so a later build reuses it from this state file: same symbol, a fifth of the work.
MASK_CACHE = "notices/qr-masks.tsv"


def record_link(settings: dict[str, Any], record: PublicRecord) -> str:
    """What the QR code encodes: the record page's absolute URL.

    With an empty SITEURL (local preview) there is no absolute address to give, so the code
    holds the site-relative path `/debtors/<id>/`; publishconf.py sets SITEURL for the real site.
    """
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    return f"{siteurl}/{record.url}"


def qr_code(text: str, mask: int | None = None) -> segno.QRCode:
    """The QR symbol for `text`; pass the mask segno chose before to skip choosing it again."""
    return segno.make(text, error=QR_ERROR, micro=False, mask=mask)


def qr_svg(qr: segno.QRCode, label: str) -> Markup:
    """Inline SVG (no XML declaration, no namespace: HTML5 embeds it), scaled by CSS.

    segno writes one <path> of dark modules with a viewBox of modules + a 4-module quiet zone;
    the output is a pure function of the symbol, so pages stay byte-identical between builds.
    """
    # light modules drawn white: the code must scan on a dark screen too; 132 px on screen,
    # print.css sets its printed size in millimetres
    svg = qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, light="#fff")
    assert svg.startswith("<svg ")
    attrs = f'role="img" aria-label="{escape(label)}" width="132" height="132" '
    return Markup("<svg " + attrs + svg[len("<svg ") :])


def _read_masks(state: Path | None) -> dict[str, int]:
    if state is None:
        return {}
    try:
        lines = (state / MASK_CACHE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    masks: dict[str, int] = {}
    for line in lines:
        text, _, mask = line.rpartition("\t")
        if text and mask.isdigit() and int(mask) < 8:
            masks[text] = int(mask)
    return masks


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    """`debtors/<id>/notice/index.html` for every public record, and the mask cache (state)."""
    base = page_context(ctx)
    template = ctx.env.get_template("notice.html")
    known = _read_masks(ctx.state)
    used: dict[str, int] = {}
    for record in ctx.view.public:
        link = record_link(ctx.settings, record)
        qr = qr_code(link, known.get(link))
        used[link] = qr.mask
        html = template.render(
            base,
            record=record,
            record_link=link,
            qr=qr_svg(qr, f"二维码：{link}"),
            page_url=f"{record.url}notice/",
        )
        yield OutputFile(f"{record.url}notice/index.html", html.encode("utf-8"))
    cache = "".join(f"{text}\t{mask}\n" for text, mask in sorted(used.items()))
    yield OutputFile(MASK_CACHE, cache.encode("utf-8"), state=True)
