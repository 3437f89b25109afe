"""QR Code matrices, the same as segno's, in a tenth of the time (issue 7: cold builds).

segno (pinned in pyproject.toml) spends almost all of a code's ≈ 2 ms placing the codewords
bit by bit and scoring the eight data masks module by module in Python. Here segno's own
functions still encode the text (segments, version, error correction level, Reed-Solomon
blocks, function patterns, format and version information); only two steps are done
differently, on whole rows at once:

- codeword placement: the order of the data modules of each version is computed once (by
  segno's own `add_codewords` on a marked matrix) and the bits are put in by one gather;
- mask choice: each mask is one XOR of big integers over the matrix kept row by row with a
  separator byte, and the four penalty scores of ISO/IEC 18004 §7.8.3 (as segno computes them,
  including its way of counting finder-like patterns) come from `re`, `bytes.find` and integer
  bit operations.

`matrix(text)` returns rows of 0/1 bytes as `segno.make(text, error="m", micro=False).matrix`
does; tests/test_qrfast.py compares the two on thousands of texts. Anything unusual (a Micro
code, a segno version without these internals) falls back to segno itself. For many codes at
once, generator.speedups.qrbatch is ten times faster again.
"""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from typing import Any

import segno
from segno import consts, encoder

_FINDER = b"\x01\x00\x01\x01\x01\x00\x01"
_SEP = 2  # separator byte at the end of each row: no run or pattern crosses it


class _Layout:
    """What every code of one version shares: the empty matrix, where data goes, the masks."""

    def __init__(self, version: int):
        width = encoder.calc_matrix_size(version)
        rows = encoder.make_matrix(width, width)
        encoder.add_finder_patterns(rows, width, width)
        encoder.add_alignment_patterns(rows, width, width)
        self.width = width
        stride = width + 1
        self.stride = stride
        self.size = width * stride
        template = bytearray(self.size)
        for i, row in enumerate(rows):
            template[i * stride : i * stride + width] = row
            template[i * stride + width] = _SEP
        # the placement order: segno's add_codewords itself, on rows that record where it writes
        count = sum(row.count(2) for row in rows)
        order_cells: list[tuple[int, int]] = []
        marker = _Recorder(order_cells)
        encoder.add_codewords(_Grid(tuple(bytearray(r) for r in rows), marker), _Bits(count), version)
        self.order = [i * stride + j for i, j in order_cells]
        if len(self.order) != count or len(set(self.order)) != count:
            raise ValueError("unexpected placement")
        # gather: output position p takes source[index[p]]; sources are the data bits, then
        # the template's own bytes
        where = {p: k for k, p in enumerate(self.order)}
        self.gather = itemgetter(*[where.get(p, count + p) for p in range(self.size)])
        self.template = bytes(template)
        self.count = count
        region = [0] * self.size
        for p in self.order:
            region[p] = 1
        masks = encoder.get_data_mask_functions(False)
        self.masks = []
        self.masks_t = []
        for fn in masks:
            m = bytearray(self.size)
            mt = bytearray(self.size)
            for p in self.order:
                i, j = divmod(p, stride)
                bit = fn(i, j) & 1
                m[p] = bit
                mt[j * stride + i] = bit
            self.masks.append(int.from_bytes(m, "little"))
            self.masks_t.append(int.from_bytes(mt, "little"))
        self.transpose = itemgetter(
            *[(p % stride) * stride + p // stride if p % stride < width else p for p in range(self.size)]
        )
        # N2 counts 2×2 blocks whose top-left module is in the first width-1 rows
        self.n2_bytes = (width - 1) * stride


class _Bits:
    """Stands for the codewords in the placement probe: `count` bits."""

    def __init__(self, count: int):
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, idx: int) -> int:
        return 0


class _Recorder:
    def __init__(self, cells: list[tuple[int, int]]):
        self.cells = cells


class _Row:
    """A row that records where add_codewords writes."""

    def __init__(self, data: bytearray, i: int, rec: _Recorder):
        self.data, self.i, self.rec = data, i, rec

    def __getitem__(self, j: int) -> int:
        return self.data[j]

    def __setitem__(self, j: int, value: int) -> None:
        self.rec.cells.append((self.i, j))
        self.data[j] = 3  # no longer a free data module


class _Grid:
    def __init__(self, rows: tuple[bytearray, ...], rec: _Recorder):
        self.rows = [_Row(r, i, rec) for i, r in enumerate(rows)]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> _Row:
        return self.rows[i]


@lru_cache(maxsize=64)
def layout(version: int) -> _Layout:
    return _Layout(version)


def _n3(buf: bytes, stride: int, width: int) -> int:
    """segno's finder-like pattern score, row by row (rows end with a separator)."""
    score = 0
    at = buf.find(_FINDER)
    while at != -1:
        start = at - at % stride
        idx = at - start
        after = idx + 7
        row = buf[start : start + width]
        if idx in (0, width - 7) or not any(row[max(idx - 4, 0) : idx]) or not any(row[after : min(after + 4, width)]):
            score += 40
        else:
            after = idx + 4
        at = buf.find(_FINDER, start + after)
    return score


def _n1(h: int, size: int) -> int:
    """Runs of 5 or more same-coloured modules: a run of L adds L - 2 = 3 for its first window
    of five and 1 for each further one. `h` has a zero byte where a module equals the next."""
    w = h | (h >> 8) | (h >> 16) | (h >> 24)  # zero byte: a window of five equal modules starts here
    windows = w.to_bytes(size, "little").count(0)
    follow = (w | (w << 8) | 0xFF).to_bytes(size + 1, "little").count(0, 0, size)  # the one before too
    return 3 * windows - 2 * follow


def _score(buf: bytes, tbuf: bytes, lay: _Layout) -> int:
    a = int.from_bytes(buf, "little")
    h = a ^ (a >> 8)  # byte k: module k differs from the one to its right
    at = int.from_bytes(tbuf, "little")
    n1 = _n1(h, lay.size) + _n1(at ^ (at >> 8), lay.size)
    v = a ^ (a >> (8 * lay.stride))  # differs from the one below
    z = (h | (h >> (8 * lay.stride)) | v).to_bytes(lay.size, "little")
    n2 = 3 * z.count(0, 0, lay.n2_bytes)
    n3 = _n3(buf, lay.stride, lay.width) + _n3(tbuf, lay.stride, lay.width)
    percent = float(buf.count(1)) / (lay.width**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _encode(text: str, error: str) -> tuple[Any, int, int] | None:
    """segno's steps up to the codewords: (final message bits, version, error level)."""
    err = encoder.normalize_errorlevel(error, accept_none=True)
    segments = encoder.prepare_data(text, None, None)
    version = encoder.find_version(segments, err, eci=False, micro=False)
    if version < 1:
        return None
    err = encoder.boost_error_level(version, err, segments, False, is_sa=False)
    buff = encoder.Buffer()
    ver_range = encoder.version_range(version)
    for segment in segments:
        encoder.write_segment(buff, segment, None, ver_range, False)
    capacity = consts.SYMBOL_CAPACITY[version][err]  # type: ignore[index]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    return encoder.make_final_message(version, err, buff), version, err


def matrix(text: str, error: str = "m") -> list[bytes]:
    """The QR Code (not Micro) of `text`: rows of 0 (light) / 1 (dark) bytes, no quiet zone."""
    try:
        encoded = _encode(text, error)
        if encoded is None:
            raise ValueError("micro")
        bits, version, err = encoded
        lay = layout(version)
        data = bytes(bits.getbits())
        if len(data) != lay.count:
            raise ValueError("length")
    except (ValueError, AttributeError, TypeError):
        return [bytes(row) for row in segno.make(text, error=error, micro=False).matrix]
    flat = bytes(lay.gather(data + lay.template))
    a = int.from_bytes(flat, "little")
    at = int.from_bytes(bytes(lay.transpose(flat)), "little")
    best, best_score, best_buf = 0, None, b""
    for number, (m, mt) in enumerate(zip(lay.masks, lay.masks_t, strict=True)):
        buf = (a ^ m).to_bytes(lay.size, "little")
        score = _score(buf, (at ^ mt).to_bytes(lay.size, "little"), lay)
        if best_score is None or score < best_score:
            best, best_score, best_buf = number, score, buf
    rows = tuple(bytearray(best_buf[i * lay.stride : i * lay.stride + lay.width]) for i in range(lay.width))
    encoder.add_format_info(rows, version, err, best)
    encoder.add_version_info(rows, version)
    return [bytes(r) for r in rows]
