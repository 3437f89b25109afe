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
code, a segno version without these internals) falls back to segno itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import zip_longest
from operator import itemgetter
from typing import Any

import numpy as np
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
def _layout(version: int) -> _Layout:
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
        lay = _layout(version)
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


# -- many codes at once (numpy) ------------------------------------------------------------------
# A build encodes one URL per public record, all of the same few lengths: byte mode, versions
# 1–11. Those are made here for a whole batch at once, with the same steps as segno (its own
# version and error level choice, codewords, Reed-Solomon, placement, the eight masks scored as
# `mask_scores` does, format and version information), each step one array operation on the
# batch; a row of a symbol (at most 61 modules) is one 64-bit integer for the mask scores.
# Anything else (other modes, longer texts) is made by `matrix` one by one.

BATCH_MAX_VERSION = 11  # 61 modules: a row fits in 64 bits
_CHUNK = 256  # symbols scored at once: their rows and columns under 8 masks stay in the CPU cache


def _pack(bits: np.ndarray) -> np.ndarray:
    """(…, w) 0/1 bytes → (…) uint64, module j at bit j."""
    w = bits.shape[-1]
    packed = np.packbits(bits, axis=-1, bitorder="little")
    out = np.zeros((*bits.shape[:-1], 8), np.uint8)
    out[..., : packed.shape[-1]] = packed
    return out.view("<u8")[..., 0]


def _unpack(rows: np.ndarray, w: int) -> np.ndarray:
    """(…) uint64 → (…, w) 0/1 bytes."""
    raw = np.ascontiguousarray(rows, "<u8")[..., None].view(np.uint8)
    return np.unpackbits(raw, axis=-1, bitorder="little")[..., :w]


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).astype(np.int32)


class _Plan:
    """What every symbol of one version and error level shares, as arrays."""

    def __init__(self, version: int, err: int):
        lay = _layout(version)
        w = self.width = lay.width
        stride = lay.stride
        order = np.array([(p // stride) * w + p % stride for p in lay.order], np.intp)
        template = np.frombuffer(lay.template, np.uint8).reshape(w, stride)[:, :w].reshape(-1).copy()
        template[order] = 0
        self.template, self.order, self.count = template, order, lay.count
        masks = np.zeros((8, w * w), np.uint8)
        rows, cols = np.divmod(order, w)
        for k, fn in enumerate(encoder.get_data_mask_functions(False)):
            masks[k, order] = [fn(i, j) & 1 for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
        square = masks.reshape(8, w, w)
        self.mask_both = np.concatenate((_pack(square), _pack(square.transpose(0, 2, 1).copy())), axis=1)  # (8, 2w)
        # format and version information: what segno writes after choosing the mask
        written = []
        for k in range(8):
            probe = tuple(bytearray([7] * w) for _ in range(w))
            encoder.add_format_info(probe, version, err, k)
            encoder.add_version_info(probe, version)
            written.append(np.frombuffer(b"".join(probe), np.uint8))
        self.info_at = np.flatnonzero(written[0] != 7)
        self.info = np.stack([m[self.info_at] for m in written])  # (8, n)
        # codewords: blocks of data, Reed-Solomon per block, interleaved as make_final_message
        ec_infos = consts.ECC[version][err]  # type: ignore[index]
        self.blocks: list[tuple[int, np.ndarray]] = []  # (first data codeword, EC table)
        data_idx: list[list[int]] = []
        ec_idx: list[list[int]] = []
        start = 0
        n_data = sum(e.num_blocks * e.num_data for e in ec_infos)
        ec_start = n_data
        for e in ec_infos:
            table = _ec_table(e.num_data, e.num_total - e.num_data)
            for _ in range(e.num_blocks):
                self.blocks.append((start, table))
                data_idx.append(list(range(start, start + e.num_data)))
                ec_idx.append(list(range(ec_start, ec_start + e.num_total - e.num_data)))
                start += e.num_data
                ec_start += e.num_total - e.num_data
        self.num_data = n_data
        perm = [i for group in (data_idx, ec_idx) for col in zip_longest(*group) for i in col if i is not None]
        self.perm = np.array(perm, np.intp)
        if len(perm) * 8 > self.count or self.count - len(perm) * 8 > 7:
            raise ValueError("unexpected codeword count")
        n = w
        self.low = np.uint64((1 << (n - 1)) - 1)  # bits 0 … w-2
        self.occ_mask = np.uint64((1 << (n - 6)) - 1)  # bits 0 … w-7

    def codewords(self, data: np.ndarray) -> np.ndarray:
        """(B, num_data) data codewords → (B, count) bits of the final message, remainder bits included."""
        parts = [data]
        for first, table in self.blocks:
            k = table.shape[0]
            block = data[:, first : first + k]
            parts.append(np.bitwise_xor.reduce(table[np.arange(k), block], axis=1))
        message = np.concatenate(parts, axis=1)[:, self.perm]
        bits = np.zeros((len(data), self.count), np.uint8)
        bits[:, : message.shape[1] * 8] = np.unpackbits(message, axis=1)
        return bits

    def symbols(self, bits: np.ndarray) -> np.ndarray:
        """(B, count) message bits → (B, w, w) finished symbols, best mask as segno chooses it."""
        w = self.width
        flat = np.repeat(self.template[None, :], len(bits), axis=0)
        flat[:, self.order] = bits
        square = flat.reshape(-1, w, w)
        both = np.concatenate((_pack(square), _pack(square.transpose(0, 2, 1))), axis=1)  # rows, then columns
        x = both[:, None, :] ^ self.mask_both[None]  # (B, 8, 2w): every mask
        best = np.argmin(self._score(x), axis=1)  # the first of equal scores, as segno's strict `<`
        chosen = x[np.arange(len(x)), best, :w]
        out = _unpack(chosen, w).reshape(len(x), w * w)
        out[:, self.info_at] = self.info[best]
        return out.reshape(-1, w, w)

    def _score(self, x: np.ndarray) -> np.ndarray:
        """segno's mask_scores, summed: x holds the rows then the columns of each masked symbol,
        module j at bit j."""
        w = self.width
        one, two = np.uint64(1), np.uint64(2)
        x1 = x >> one
        eq = ~(x ^ x1) & self.low  # bit j: module j equals module j+1
        # N1: runs of five or more: a run of L adds L - 2 = 3 for each window of five in it,
        # less 2 for each window that follows another
        eq2 = eq & (eq >> one)
        win = eq2 & (eq2 >> two)
        n1 = 3 * _popcount(win).sum(axis=-1) - 2 * _popcount(win & (win >> one)).sum(axis=-1)
        # N2: 2×2 blocks of one colour (rows only: each block is counted once)
        rows, req = x[..., :w], eq[..., :w]
        blocks = req[..., :-1] & req[..., 1:] & ~(rows[..., :-1] ^ rows[..., 1:])
        n2 = 3 * _popcount(blocks).sum(axis=-1)
        # N3: segno's count of 1:1:3:1:1 patterns: an occurrence with four light modules (or
        # the edge) on one side adds 40 and the search goes on after it; one without goes on
        # from its fifth module, so an occurrence 4 or 6 after a counted one is not seen
        ten = x & ~x1  # "10" at j
        three = x & x1 & (x >> two)  # "111" at j
        occ = ten & ((~x & x1) >> np.uint64(5)) & (three >> two) & self.occ_mask
        if occ.any():
            up2 = x | x1
            up4 = up2 | (up2 >> two)  # some dark module in j … j+3
            down2 = x | (x << one)
            down4 = down2 | (down2 << two)  # some dark module in j-3 … j
            counted = occ & (~(down4 << one) | ~(up4 >> np.uint64(7)))
            hits = counted
            chained = np.flatnonzero(occ & ((occ << np.uint64(4)) | (occ << np.uint64(6))))
            if len(chained):  # the few rows where one occurrence may hide the next
                hits = counted.reshape(-1).copy()
                c_occ, c_counted = occ.reshape(-1)[chained], hits[chained]
                seen = c_occ
                while True:
                    hit = seen & c_counted
                    now = c_occ & ~((hit << np.uint64(4)) | (hit << np.uint64(6)))
                    if np.array_equal(now, seen):
                        break
                    seen = now
                hits[chained] = seen & c_counted
                hits = hits.reshape(counted.shape)
            n3 = 40 * _popcount(hits).sum(axis=-1)
        else:
            n3 = 0
        # N4: the share of dark modules, in steps of 5 % from one half
        dark = _popcount(rows).sum(axis=-1).astype(np.float64)
        n4 = (10 * np.floor(np.abs(dark / (w * w) * 100 - 50) / 5)).astype(np.int32)
        return n1 + n2 + n3 + n4


def _ec_table(k: int, ecn: int) -> np.ndarray:
    """(k, 256, ecn): the error correction codewords of a block holding byte b at position i
    and zeros elsewhere. The code is linear, so a block's codewords are the XOR of its bytes'
    rows: segno's make_blocks on the k unit blocks, times b in GF(256)."""
    return _ec_table_cached(k, ecn)


@lru_cache(maxsize=32)
def _ec_table_cached(k: int, ecn: int) -> np.ndarray:
    unit = np.zeros((k, ecn), np.uint8)
    for i in range(k):
        cw = [0] * k
        cw[i] = 1
        _data, ec = encoder.make_blocks([consts.EC(1, k + ecn, k)], _Ints(cw))
        unit[i] = ec[0]
    log = np.array(consts.GALIOS_LOG, np.int32)
    exp = np.array(consts.GALIOS_EXP[:255], np.uint8)
    b = np.arange(256)
    out = exp[(log[b][None, :, None] + log[unit][:, None, :]) % 255]
    out[:, 0, :] = 0
    out[np.broadcast_to(unit[:, None, :] == 0, out.shape)] = 0
    return out


class _Ints:
    """A codeword list in the shape make_blocks reads (`toints`)."""

    def __init__(self, values: list[int]):
        self.values = values

    def toints(self) -> Iterator[int]:
        return iter(self.values)


@lru_cache(maxsize=64)
def _plan(version: int, err: int) -> _Plan:
    return _Plan(version, err)


@lru_cache(maxsize=1024)
def _byte_spec(length: int, error: str) -> tuple[int, int, bytes] | None:
    """segno's version and (boosted) error level for `length` bytes in byte mode, and the data
    codewords of that many zero bytes (mode, count, terminator, padding as segno writes them);
    None beyond BATCH_MAX_VERSION."""
    err = encoder.normalize_errorlevel(error, accept_none=True)
    segments = encoder.prepare_data(b"\0" * length, None, None)
    try:
        version = encoder.find_version(segments, err, eci=False, micro=False)
    except ValueError:
        return None
    if not 1 <= version <= BATCH_MAX_VERSION:
        return None
    err = encoder.boost_error_level(version, err, segments, False, is_sa=False)
    buff = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(buff, segment, None, encoder.version_range(version), False)
    capacity = consts.SYMBOL_CAPACITY[version][err]  # type: ignore[index]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    data = bytes(buff.toints())[: capacity // 8]
    return version, err, data


def symbols(texts: Sequence[str], error: str = "m") -> Iterator[tuple[list[int], np.ndarray]]:
    """The QR Codes (not Micro) of `texts`, the same as `matrix`: groups of (indices into
    texts, (B, w, w) array of 0/1 bytes), every index once."""
    groups: dict[tuple[int, int], dict[int, list[int]]] = {}
    single: list[int] = []
    for k, text in enumerate(texts):
        spec = None
        if text.isascii():
            data = text.encode("ascii")
            if data and encoder.find_mode(data) == consts.MODE_BYTE:
                spec = _byte_spec(len(data), error)
        if spec is None:
            single.append(k)
            continue
        groups.setdefault((spec[0], spec[1]), {}).setdefault(len(data), []).append(k)
    for (version, err), by_length in groups.items():
        plan = _plan(version, err)
        order = [k for ks in by_length.values() for k in ks]
        data = np.empty((len(order), plan.num_data), np.uint8)
        at = 0
        for length, ks in by_length.items():
            spec = _byte_spec(length, error)
            assert spec is not None
            base = np.frombuffer(spec[2], np.uint8)
            raw = np.frombuffer("".join(texts[k] for k in ks).encode("ascii"), np.uint8).reshape(len(ks), length)
            off = 2 if version >= 10 else 1  # after the mode (4 bits) and the count (8 or 16 bits)
            block = np.repeat(base[None, :], len(ks), axis=0)
            block[:, off : off + length] |= raw >> 4
            block[:, off + 1 : off + length + 1] |= (raw & 15) << 4
            data[at : at + len(ks)] = block
            at += len(ks)
        for a in range(0, len(order), _CHUNK):
            part = data[a : a + _CHUNK]
            yield order[a : a + _CHUNK], plan.symbols(plan.codewords(part))
    by_width: dict[int, list[tuple[int, list[bytes]]]] = {}
    for k in single:
        m = matrix(texts[k], error)
        by_width.setdefault(len(m), []).append((k, m))
    for items in by_width.values():
        yield [k for k, _m in items], np.array([[list(r) for r in m] for _k, m in items], np.uint8)
