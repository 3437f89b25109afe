"""QR Codes of a whole batch of texts at once, with numpy: the same symbols as segno's.

A build encodes one URL per public record, all of a few lengths: byte mode, versions 1–11.
Those are made here for the whole batch, with the same steps as segno (its own choice of
version and of a boosted error level, the data codewords as segno writes them — with its
extra zero byte after the terminator —, Reed-Solomon, placement, the eight masks scored as
segno's `mask_scores` does, format and version information), each step one array operation
on the batch; a row of a symbol (at most 61 modules) is one 64-bit integer for the mask scores.
Anything else (other modes, non-ASCII, longer texts) is made one by one by
generator.speedups.qrfast.matrix. tests/test_qrfast.py compares the symbols with segno's on thousands
of texts; `svg_paths` gives the SVG path of each symbol (generator.render.notices).

numpy costs ≈ 0.1 s to import: a build that makes only a few codes (an incremental build)
does not import this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import zip_longest

import numpy as np
from segno import consts, encoder

from generator.speedups.qrfast import layout, matrix

QUIET_ZONE = 4  # modules of white around a symbol in its SVG path (generator.render.notices)

BATCH_MAX_VERSION = 11  # 61 modules: a row fits in 64 bits
# symbols scored at once: their rows and columns under the 8 masks (≈ 256 KB) stay in the CPU
# cache (twice as fast as 4 times as many)
_CHUNK_BYTES = 256 * 1024


def _row_type(width: int) -> np.dtype:
    """The integer a row fits in: 32 bits (versions 1–3) go twice as fast as 64."""
    return np.dtype("<u4") if width <= 32 else np.dtype("<u8")


def _pack(bits: np.ndarray, kind: np.dtype) -> np.ndarray:
    """(…, w) 0/1 bytes → (…) integers of `kind`, module j at bit j."""
    packed = np.packbits(bits, axis=-1, bitorder="little")
    out = np.zeros((*bits.shape[:-1], kind.itemsize), np.uint8)
    out[..., : packed.shape[-1]] = packed
    return out.view(kind)[..., 0]


def _unpack(rows: np.ndarray, w: int) -> np.ndarray:
    """(…) integers → (…, w) 0/1 bytes."""
    raw = np.ascontiguousarray(rows)[..., None].view(np.uint8)
    return np.unpackbits(raw, axis=-1, bitorder="little")[..., :w]


def _count(x: np.ndarray) -> np.ndarray:
    """Dark modules (set bits) of each symbol under each mask: the sum over the last axis."""
    return np.bitwise_count(x).sum(axis=-1, dtype=np.int32)


class _Plan:
    """What every symbol of one version and error level shares, as arrays."""

    def __init__(self, version: int, err: int):
        lay = layout(version)
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
        self.dtype = kind = _row_type(w)
        self.mask_both = np.concatenate((_pack(square, kind), _pack(square.transpose(0, 2, 1), kind)), axis=1)
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
        self.low = kind.type((1 << (w - 1)) - 1)  # bits 0 … w-2
        self.occ_mask = kind.type((1 << (w - 6)) - 1)  # bits 0 … w-7

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
        both = np.concatenate((_pack(square, self.dtype), _pack(square.transpose(0, 2, 1), self.dtype)), axis=1)
        x = both[:, None, :] ^ self.mask_both[None]  # (B, 8, 2w): rows then columns, every mask
        best = np.argmin(self._score(x), axis=1)  # the first of equal scores, as segno's strict `<`
        chosen = x[np.arange(len(x)), best, :w]
        out = _unpack(chosen, w).reshape(len(x), w * w)
        out[:, self.info_at] = self.info[best]
        return out.reshape(-1, w, w)

    def _score(self, x: np.ndarray) -> np.ndarray:
        """segno's mask_scores, summed: x holds the rows then the columns of each masked symbol,
        module j at bit j."""
        w, kind = self.width, self.dtype.type
        one, two = kind(1), kind(2)
        x1 = x >> one
        eq = x ^ x1
        np.invert(eq, out=eq)
        eq &= self.low  # bit j: module j equals module j+1
        # N1: runs of five or more: a run of L adds L - 2 = 3 for each window of five in it,
        # less 2 for each window that follows another
        win = eq >> one
        win &= eq
        win &= win >> two
        score = 3 * _count(win)
        win &= win >> one
        score -= 2 * _count(win)
        # N2: 2×2 blocks of one colour (rows only: each block is counted once)
        rows, req = x[..., :w], eq[..., :w]
        blocks = rows[..., :-1] ^ rows[..., 1:]
        np.invert(blocks, out=blocks)
        blocks &= req[..., :-1]
        blocks &= req[..., 1:]
        score += 3 * _count(blocks)
        # N3: segno's count of 1:1:3:1:1 patterns: an occurrence with four light modules (or
        # the edge) on one side adds 40 and the search goes on after it; one without goes on
        # from its fifth module, so an occurrence 4 or 6 after a counted one is not seen
        occ = ~x1
        occ &= x  # "10" at j
        occ &= self.occ_mask
        three = x >> two
        three &= x1
        three &= x  # "111" at j
        occ &= three >> two
        light_dark = ~x
        light_dark &= x1  # "01" at j
        occ &= light_dark >> kind(5)
        if occ.any():
            near = x | x1
            near |= near >> two  # some dark module in j … j+3
            after = near >> kind(7)
            near = x | (x << one)
            near |= near << two  # some dark module in j-3 … j
            before = near << one
            before &= after
            counted = occ & ~before
            chained = np.flatnonzero(occ & ((occ << kind(4)) | (occ << kind(6))))
            if len(chained):  # the few rows where one occurrence may hide the next
                counted = counted.reshape(-1)
                c_occ, c_counted = occ.reshape(-1)[chained], counted[chained]
                seen = c_occ
                while True:
                    hit = seen & c_counted
                    now = c_occ & ~((hit << kind(4)) | (hit << kind(6)))
                    if np.array_equal(now, seen):
                        break
                    seen = now
                counted[chained] = seen & c_counted
                counted = counted.reshape(occ.shape)
            score += 40 * _count(counted)
        # N4: the share of dark modules, in steps of 5 % from one half
        dark = _count(rows).astype(np.float64)
        score += (10 * np.floor(np.abs(dark / (w * w) * 100 - 50) / 5)).astype(np.int32)
        return score


@lru_cache(maxsize=32)
def _ec_table(k: int, ecn: int) -> np.ndarray:
    """(k, 256, ecn): the error correction codewords of a block holding byte b at position i
    and zeros elsewhere. The code is linear, so a block's codewords are the XOR of its bytes'
    rows: segno's make_blocks on the k unit blocks, times b in GF(256)."""
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
            encoded = text.encode("ascii")
            if encoded and encoder.find_mode(encoded) == consts.MODE_BYTE:
                spec = _byte_spec(len(encoded), error)
        if spec is None:
            single.append(k)
            continue
        groups.setdefault((spec[0], spec[1]), {}).setdefault(len(text), []).append(k)
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
        chunk = max(16, _CHUNK_BYTES // (16 * plan.width * plan.dtype.itemsize))
        for a in range(0, len(order), chunk):
            yield order[a : a + chunk], plan.symbols(plan.codewords(data[a : a + chunk]))
    by_width: dict[int, list[tuple[int, list[bytes]]]] = {}
    for k in single:
        m = matrix(texts[k], error)
        by_width.setdefault(len(m), []).append((k, m))
    for items in by_width.values():
        yield [k for k, _m in items], np.array([[list(r) for r in m] for _k, m in items], np.uint8)


# -- SVG paths ------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _pieces(width: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Every piece of the path of a `width`-module symbol as 8 zero-padded bytes (one uint64):
    "M{x} {y}.5" (the first run), "m{dx} {dy}" (the move to a run), "h{n}" (the run); and
    their lengths. A path is then one gather of pieces, its zero bytes dropped."""
    span = width + 2 * QUIET_ZONE
    words = [f"M{x} {y}.5" for x in range(span) for y in range(span)]
    words += [f"m{dx} {dy}" for dx in range(-span, span + 1) for dy in range(span)]
    words += [f"h{n}" for n in range(span)]
    raw = np.zeros((len(words), 8), np.uint8)
    for i, word in enumerate(words):
        raw[i, : len(word)] = np.frombuffer(word.encode("ascii"), np.uint8)
    return raw.view("<u8")[:, 0], np.array([len(w) for w in words], np.int64), span


def svg_paths(matrices: np.ndarray) -> list[str]:
    """generator.render.notices.svg_path of each symbol of a (B, w, w) batch of 0/1 bytes: the same
    strings (one stroke per dark run, quiet zone included in the coordinates)."""
    count, width, _ = matrices.shape
    dark = matrices.reshape(count * width, width).astype(bool)
    starts = dark.copy()
    starts[:, 1:] &= ~dark[:, :-1]
    ends = dark.copy()
    ends[:, :-1] &= ~dark[:, 1:]
    at = np.flatnonzero(starts)  # every dark run, symbol by symbol, row by row, left to right
    n = np.flatnonzero(ends) - at + 1
    row = at // width
    symbol = row // width
    x = at - row * width + QUIET_ZONE
    y = row - symbol * width + QUIET_ZONE
    first = np.ones(len(at), bool)
    first[1:] = symbol[1:] != symbol[:-1]
    dx = x.copy()
    dx[1:] -= x[:-1] + n[:-1]  # from the end of the run before
    dy = y.copy()
    dy[1:] -= y[:-1]
    table, lengths, span = _pieces(width)
    pairs = np.empty((len(at), 2), np.int64)  # the move to each run, then the run
    pairs[:, 0] = np.where(first, x * span + y, span * span + (dx + span) * span + dy)
    pairs[:, 1] = span * span + (2 * span + 1) * span + n
    ids = pairs.reshape(-1)
    raw = table[ids].view(np.uint8)
    text = raw.tobytes().translate(None, b"\0").decode("ascii")
    size = lengths[pairs[:, 0]] + lengths[pairs[:, 1]]
    ends_at = np.cumsum(np.add.reduceat(size, np.flatnonzero(first))).tolist()  # every symbol has runs
    return [text[a:b] for a, b in zip([0, *ends_at[:-1]], ends_at, strict=True)]
