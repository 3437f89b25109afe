"""Printable notices (公告): one A4 page per public record, with a QR code back to its page.

Courts print these for notice boards and the press. The page is `/debtors/<id>/notice/`; the
print stylesheet (theme/static/css/print.css) hides the site chrome but keeps the demo banner.
The QR code is made at build time by segno as inline SVG, so the page needs no JavaScript and
no image request.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from . import qrfast
from .outputs import OutputFile, RenderContext
from .pagecontext import page_context
from .policy import PublicRecord

# Level M survives a crease or a smudge on a notice board; the version follows from the URL length.
QR_ERROR = "m"
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
# segno scores all eight masks in pure Python: ≈ 6 ms a code, most of a notice's cost. The symbol
# is a pure function of the encoded text, so each build keeps the matrices in this state file
# and the next build reuses them: same bytes, ≈ 0.1 ms a code.
MATRIX_CACHE = "notices/qr-matrices.tsv"
_DARK_RUN = re.compile(rb"\x01+")
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")

Matrix = list[bytes]  # rows of 0 (light) / 1 (dark) bytes, as segno's QRCode.matrix


def record_link(settings: dict[str, Any], record: PublicRecord) -> str:
    """What the QR code encodes: the record page's absolute URL.

    With an empty SITEURL (local preview) there is no absolute address to give, so the code
    holds the site-relative path `/debtors/<id>/`; publishconf.py sets SITEURL for the real site.
    """
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    return f"{siteurl}/{record.url}"


def qr_matrix(text: str) -> Matrix:
    """The QR symbol for `text` (segno, error level M, best mask), without quiet zone: segno's
    symbol, computed by generator.qrfast (a fifth of segno's time, tested to be the same)."""
    return qrfast.matrix(text, QR_ERROR)


def svg_path(matrix: Matrix) -> str:
    """One path of 1-unit strokes over the dark runs, quiet zone included in the coordinates.

    The same commands segno's SVG writer emits (absolute start, then relative moves), so the
    bytes equal `segno.make(text).svg_inline(border=4, ...)`'s path, at a twentieth of its time.
    """
    parts: list[str] = []
    cx = cy = -1
    for y, row in enumerate(matrix, start=QUIET_ZONE):
        for run in _DARK_RUN.finditer(row):
            x, n = run.start() + QUIET_ZONE, run.end() - run.start()
            parts.append(f"M{x} {y}.5h{n}" if cx < 0 else f"m{x - cx} {y - cy}h{n}")
            cx, cy = x + n, y
    return "".join(parts)


def qr_svg(matrix: Matrix, label: str) -> Markup:
    """Inline SVG (no XML declaration, no namespace: HTML5 embeds it), scaled by CSS.

    Light modules are drawn white so the code scans on a dark screen too; 132 px on screen,
    print.css sets the printed size in millimetres.
    """
    size = len(matrix) + 2 * QUIET_ZONE
    return Markup(
        f'<svg role="img" aria-label="{escape(label)}" width="132" height="132" viewBox="0 0 {size} {size}" class="qr">'
        f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/><path stroke="#000" d="{svg_path(matrix)}"/></svg>'
    )


def pack(matrix: Matrix) -> str:
    bits = b"".join(matrix).translate(_TO_BITS)
    return base64.b64encode(int(bits, 2).to_bytes((len(bits) + 7) // 8, "big")).decode("ascii")


def unpack(data: str, size: int) -> Matrix:
    bits = bin(int.from_bytes(base64.b64decode(data), "big"))[2:].zfill(size * size).encode("ascii")
    flat = bits.translate(_FROM_BITS)
    return [flat[i * size : (i + 1) * size] for i in range(size)]


def _read_cache(state: Path | None) -> dict[str, tuple[str, int]]:
    """text → (packed matrix, size) from the previous build; unreadable lines are ignored."""
    if state is None:
        return {}
    try:
        lines = (state / MATRIX_CACHE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    cache: dict[str, tuple[str, int]] = {}
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 3 and fields[1].isdigit() and 21 <= int(fields[1]) <= 177:
            cache[fields[0]] = (fields[2], int(fields[1]))
    return cache


_FINDER = (b"\x01" * 7, b"\x01\x00\x00\x00\x00\x00\x01", b"\x01\x00\x01\x01\x01\x00\x01")


def _looks_like_qr(matrix: Matrix, size: int) -> bool:
    """The three finder patterns where they belong: a truncated or garbled cache line fails."""
    rows = (0, 1, 2, 3, 4, 5, 6)
    want = (_FINDER[0], _FINDER[1], _FINDER[2], _FINDER[2], _FINDER[2], _FINDER[1], _FINDER[0])
    return all(
        matrix[r][:7] == w and matrix[r][size - 7 :] == w and matrix[size - 7 + r][:7] == w
        for r, w in zip(rows, want, strict=True)
    )


def _cached(entry: tuple[str, int]) -> Matrix | None:
    """A matrix from the cache, or None when the line is not a well-formed symbol."""
    data, size = entry
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        return None
    if (size - 17) % 4 or len(raw) != (size * size + 7) // 8 or int.from_bytes(raw, "big") >= 1 << size * size:
        return None
    matrix = unpack(data, size)
    return matrix if _looks_like_qr(matrix, size) else None


# Below this many new codes a process pool costs more than it saves.
PARALLEL_MIN_CODES = 400


def _new_matrices(texts: list[str], jobs: int) -> dict[str, Matrix]:
    """segno on the codes the cache lacks; on several processes when there are many (cold build)."""
    if jobs > 1 and len(texts) >= PARALLEL_MIN_CODES:
        with ProcessPoolExecutor(jobs) as pool:
            return dict(zip(texts, pool.map(qr_matrix, texts, chunksize=64), strict=True))
    return {text: qr_matrix(text) for text in texts}


RECORD_PAGES = "{url}notice/index.html"  # one page per public record (incremental builds)


@dataclass
class Prepared:
    """What the pages of one build share: the symbols are made before any page (on all cores)."""

    base: dict[str, Any]
    links: dict[str, str]  # record id → what its code encodes
    cache: dict[str, tuple[str, int]]  # the previous build's matrix cache
    matrices: dict[str, Matrix]  # link → symbol, for the records rendered
    wanted: list[PublicRecord]  # the records whose page this build renders
    render: Any = None  # the notice template's render (a FastPage when it splits cleanly)


def prepare(ctx: RenderContext) -> Prepared:
    base = page_context(ctx)
    cache = _read_cache(ctx.state)
    links = {record.id: record_link(ctx.settings, record) for record in ctx.view.public}
    wanted = list(ctx.view.public) if ctx.changed is None else [r for r in ctx.view.public if r.id in ctx.changed]
    matrices: dict[str, Matrix] = {}
    for record in wanted:
        link = links[record.id]
        # a tab or newline in SITEURL would break the cache file: such a link is never cached
        if link in cache and link.isprintable() and (m := _cached(cache[link])) is not None:
            matrices[link] = m
    jobs = int(base.get("PORTAL_JOBS") or os.cpu_count() or 1)
    matrices.update(_new_matrices(sorted({links[r.id] for r in wanted} - set(matrices)), jobs))
    return Prepared(base, links, cache, matrices, wanted)


def _values(prep: Prepared, record: PublicRecord) -> dict[str, Any]:
    link = prep.links[record.id]
    return {
        **prep.base,
        "record": record,
        "record_link": link,
        "qr": qr_svg(prep.matrices[link], f"二维码：{link}"),
        "page_url": f"{record.url}notice/",
    }


def pages(ctx: RenderContext, prep: Prepared, records: Sequence[PublicRecord]) -> Iterator[OutputFile]:
    """The notice pages of `records` (all in prep.wanted)."""
    if not records:
        return
    if prep.render is None:
        # a full render each: the template's blocks use its own macros, which FastPage cannot see
        prep.render = ctx.env.get_template("notice.html").render
    for record in records:
        html = prep.render(**_values(prep, record))
        yield OutputFile(RECORD_PAGES.format(url=record.url), html.encode("utf-8"))


def finish(ctx: RenderContext, prep: Prepared) -> Iterator[OutputFile]:
    """The matrix cache (state) of every public record."""
    # the pages not rendered here keep their symbols: their cache lines are carried as they are
    # (checked when a page uses them)
    packed = {t: f"{len(m)}\t{pack(m)}" for t, m in prep.matrices.items()}
    for link in set(prep.links.values()) - packed.keys():
        if link in prep.cache:
            packed[link] = f"{prep.cache[link][1]}\t{prep.cache[link][0]}"
    lines = "".join(f"{t}\t{v}\n" for t, v in sorted(packed.items()) if t.isprintable())
    yield OutputFile(MATRIX_CACHE, lines.encode("utf-8"), state=True)


def render(ctx: RenderContext) -> Iterator[OutputFile]:
    """`debtors/<id>/notice/index.html` for every public record (or for those in ctx.changed),
    and the matrix cache (state) of every public record. (The site build runs `prepare`, then
    `pages` on all cores, then `finish`.)"""
    prep = prepare(ctx)
    yield from pages(ctx, prep, prep.wanted)
    yield from finish(ctx, prep)
