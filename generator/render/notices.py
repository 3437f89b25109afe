"""Printable notices (公告): one A4 page per public record, with a QR code back to its page.

Courts print these for notice boards and the press. The page is `/debtors/<id>/notice/`; the
print stylesheet (theme/static/css/print.css) hides the site chrome but keeps the demo banner.
The QR code is made at build time as inline SVG (segno's symbol, see generator.speedups.qrfast), so the
page needs no JavaScript and no image request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from markupsafe import Markup, escape

from generator.domain.policy import PublicRecord
from generator.render.outputs import Lazy, RenderContext
from generator.render.pagecontext import settings_context
from generator.render.pages import fast_or_full
from generator.speedups import qrfast

# Level M survives a crease or a smudge on a notice board; the version follows from the URL length.
QR_ERROR = "m"
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
_DARK_RUN = re.compile(rb"\x01+")

Matrix = list[bytes]  # rows of 0 (light) / 1 (dark) bytes, as segno's QRCode.matrix


def record_link(settings: dict[str, Any], record: PublicRecord) -> str:
    """What the QR code encodes: the record page's absolute URL.

    With an empty SITEURL (a plain `chenglai build`) there is no absolute address to give, so the
    code holds the site-relative path `/debtors/<id>/`; `chenglai serve` builds with
    http://localhost:PORT, publishconf.py sets SITEURL for the real site.
    """
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    return f"{siteurl}/{record.url}"


def qr_matrix(text: str) -> Matrix:
    """The QR symbol for `text` (segno, error level M, best mask), without quiet zone: segno's
    symbol, computed by generator.speedups.qrfast (tested to be the same)."""
    return qrfast.matrix(text, QR_ERROR)


def svg_path(matrix: Matrix) -> str:
    """One path of 1-unit strokes over the dark runs, quiet zone included in the coordinates.

    The same commands segno's SVG writer emits (absolute start, then relative moves), so the
    bytes equal `segno.make(text).svg_inline(border=4, ...)`'s path. (generator.speedups.qrbatch.svg_paths
    makes the same strings for a whole batch.)
    """
    parts: list[str] = []
    cx = cy = -1
    for y, row in enumerate(matrix, start=QUIET_ZONE):
        for run in _DARK_RUN.finditer(row):
            x, n = run.start() + QUIET_ZONE, run.end() - run.start()
            parts.append(f"M{x} {y}.5h{n}" if cx < 0 else f"m{x - cx} {y - cy}h{n}")
            cx, cy = x + n, y
    return "".join(parts)


# Below this many codes they are made one by one (generator.speedups.qrfast): a small site does
# not pay numpy's import for its few pages.
BATCH_MIN = 32


def qr_paths(texts: Sequence[str]) -> list[tuple[int, str]]:
    """(symbol width, svg_path) of each text's QR code; many are made at once (generator.speedups.qrbatch)."""
    if len(texts) < BATCH_MIN:
        return [(len(m), svg_path(m)) for m in map(qr_matrix, texts)]
    from generator.speedups import qrbatch

    out: list[tuple[int, str]] = [(0, "")] * len(texts)
    for indices, matrices in qrbatch.symbols(texts, QR_ERROR):
        width = matrices.shape[1]
        for k, path in zip(indices, qrbatch.svg_paths(matrices), strict=True):
            out[k] = (width, path)
    return out


def qr_svg(width: int, path: str, label: str) -> Markup:
    """Inline SVG (no XML declaration, no namespace: HTML5 embeds it), scaled by CSS.

    Light modules are drawn white so the code scans on a dark screen too; 132 px on screen,
    print.css sets the printed size in millimetres.
    """
    size = width + 2 * QUIET_ZONE
    return Markup(
        f'<svg role="img" aria-label="{escape(label)}" width="132" height="132" viewBox="0 0 {size} {size}" class="qr">'
        f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/><path stroke="#000" d="{path}"/></svg>'
    )


RECORD_PAGES = "{url}notice/index.html"  # one page per public record
RECORDS_PER_JOB = 2000  # the records of one job: one batch of QR codes


def _values(record: PublicRecord, link: str, qr: tuple[int, str]) -> dict[str, Any]:
    """A page's own template variables (on top of the settings' page_context)."""
    return {
        "record": record,
        "record_link": link,
        "qr": qr_svg(*qr, f"二维码：{link}"),
        "page_url": f"{record.url}notice/",
    }


class NoticesRenderer:
    """outputs.Renderer of the printable notices: the public records in chunks (jobs), on
    every core. Each page is named by its record and the link its QR code holds; the codes of a
    chunk are made together, once, by the first of its pages that is made — a build that changed
    one record makes one chunk's codes, not every record's."""

    name = "notices"
    parallel = True

    def jobs(self, ctx: RenderContext) -> Sequence[tuple[int, int]]:
        n = len(ctx.view.public)
        if n >= BATCH_MIN:
            from generator.speedups import qrbatch  # noqa: F401 - imported once here, not in every forked worker
        return [(a, min(a + RECORDS_PER_JOB, n)) for a in range(0, n, RECORDS_PER_JOB)]

    def run(self, ctx: RenderContext, job: tuple[int, int]) -> Iterator[Lazy]:
        records = ctx.view.public[job[0] : job[1]]
        # the settings only: a notice does not show the build date, and is not named by it
        base = settings_context(ctx.settings)
        links = [record_link(base, r) for r in records]
        made: dict[str, Any] = {}  # this chunk's QR codes and the template's render, once made

        def make(k: int) -> bytes:
            if not made:
                codes = qr_paths(links)
                template = ctx.env.get_template("notice.html")
                first, last = ({**base, **_values(records[i], links[i], codes[i])} for i in (0, -1))
                made.update(codes=codes, render=fast_or_full(template, first, last, fixed=base))
            html = made["render"](**_values(records[k], links[k], made["codes"][k]))
            return html.encode("utf-8")  # type: ignore[no-any-return]

        for k, (record, link) in enumerate(zip(records, links, strict=True)):
            yield Lazy(RECORD_PAGES.format(url=record.url), (record, link), functools.partial(make, k))


RENDERER = NoticesRenderer()
