"""The open data of an incremental build, from the live build's files (issue 7).

At 100,000 records debtors.csv, debtors.json and the first day's change file are 30–60 MB
each. When a few records changed on the day of the live build (RenderContext.delta), each new
file is the live one with the rows of those records replaced, inserted or left out: the
renderer keeps (`Layout`, in its memo) the order of the rows and their lengths in the two
debtors files; a change file and the data manifest are sorted by record id, and are searched
by id in their bytes. The result is the full computation's, byte for byte (tests/
test_datasplice.py); whenever the live files are not the ones the layout describes (their
manifest entries as the writer made them, the data manifest's hash), or something else
changed (the date, the notices), `Stale` sends the renderer to the full computation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Any

LAYOUT = "exports.layout"  # RenderContext.memo: {"": (as_of, Layout)}
# Past this many added, removed or changed records the files are computed whole.
MAX_AFFECTED = 2000
JSON_TAIL = b"\n]}\n"  # json_document: the end of a non-empty list


class Stale(Exception):
    """The live files are not what the layout expects (or the delta is too large)."""


@dataclass(eq=True)
class Layout:
    """debtors.csv and debtors.json as the last build wrote them: row i of both is the record
    whose id is the i-th line of `ids`; its sort key is (keys[i], that id) (keys: minus the
    listed_on ordinal)."""

    as_of: date
    # "\n" + each id (UTF-8) and "\n", with each one's length: pickled and read back as two
    # buffers, where 100,000 strings took 20 ms a build each way
    ids: bytes
    id_len: array  # type: ignore[type-arg]
    keys: array  # type: ignore[type-arg]
    csv: array  # type: ignore[type-arg]  # each row's length in bytes (with its CRLF)
    json: array  # type: ignore[type-arg]  # each record text's length (without ",\n")
    csv_start: int  # where the rows begin (after BOM and header)
    json_start: int  # where the first record text begins (after "[\n")
    days: tuple[date, ...]  # the change files
    manifest: str = ""  # sha256 of data-manifest.json as written
    # rel path → the file as written: digest and size of the writer's manifest entry
    files: dict[str, tuple[str, int]] = field(default_factory=dict)


def id_lines(ids: list[str]) -> tuple[bytes, array]:  # type: ignore[type-arg]
    """Layout.ids and Layout.id_len of `ids`."""
    encoded = [rid.encode("utf-8") for rid in ids]
    return b"\n" + b"".join(e + b"\n" for e in encoded), array("q", map(len, encoded))


def id_starts(layout: Layout) -> list[int]:
    """Where each id of the layout begins in `ids` (and, last, the length of `ids`)."""
    return list(accumulate(map((1).__add__, layout.id_len), initial=1))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


Data = Any  # bytes, or a live file mapped (mmap: find and slices, no startswith)


# -- entries in sorted, separated runs of bytes ----------------------------------------------
Edits = dict[int, tuple[int, list[bytes]]]  # entry start → (start of what follows the replaced part, texts)


def add_edit(edits: Edits, start: int, nxt: int, texts: list[tuple[Any, bytes]]) -> None:
    """Replace what starts at `start` up to `nxt` (an entry with its separator; nxt == start: insert
    before) by texts (sort key, bytes); several edits at one place merge, in key order."""
    old_next, old_texts = edits.get(start, (start, []))
    edits[start] = (max(nxt, old_next), sorted([*old_texts, *texts], key=lambda kt: kt[0]))  # type: ignore[list-item]


def rejoin(data: Data, lo: int, hi: int, sep: bytes, edits: Edits) -> list[Any]:
    """The entries of data[lo:hi] (joined by `sep`) with `edits` applied, as pieces to join: runs
    of untouched entries as memoryviews of `data`, separators in between."""
    mv = memoryview(data)
    end = hi + len(sep) if hi > lo else lo  # as if the last entry had a separator after it too
    groups: list[Any] = []
    cur = lo
    for s in sorted(edits):
        nxt, texts = edits[s]
        if s < cur or nxt > end:
            raise Stale("overlapping edits")
        if s > cur:
            groups.append(mv[cur : s - len(sep)])
        groups.extend(t for _k, t in texts)  # type: ignore[misc]
        cur = nxt
    if cur < end:
        groups.append(mv[cur : end - len(sep)])
    out: list[Any] = []
    for g in groups:
        if out:
            out.append(sep)
        out.append(g)
    return out


@dataclass
class Run:
    """Sorted entries in data[lo:hi], joined by `sep`, each starting with `first`; `key(s)` is
    the sort key (bytes) of the entry starting at s."""

    data: Data
    lo: int
    hi: int
    sep: bytes
    first: bytes
    key: Callable[[int], bytes]

    def _next(self, pos: int) -> int:
        """The first entry start at or after pos (the end when none)."""
        if self.hi <= self.lo:
            return self.lo
        if pos <= self.lo:
            return self.lo
        i = self.data.find(self.sep + self.first, pos - len(self.sep), self.hi)
        return self.hi + len(self.sep) if i < 0 else i + len(self.sep)

    def end(self) -> int:
        return self.hi + len(self.sep) if self.hi > self.lo else self.lo

    def find(self, key: bytes) -> tuple[int, int, bool]:
        """(start of the first entry whose key is >= key, start of the one after it, found)."""
        a, b = self.lo, self.end()
        while a < b:  # the smallest position whose next entry has a key >= `key`
            mid = (a + b) // 2
            s = self._next(mid)
            if s < self.end() and self.key(s) < key:
                a = mid + 1
            else:
                b = mid
        s = self._next(a)
        if s >= self.end() or self.key(s) != key:
            return s, s, False
        return s, self._next(s + 1), True

    def text(self, s: int, nxt: int) -> bytes:
        """The entry at s (without its separator)."""
        return self.data[s : min(nxt, self.end()) - len(self.sep)]


def _quoted(data: Data, at: int) -> bytes:
    """The JSON string (plain: no escapes) whose text starts at `at`."""
    end = data.find(b'"', at)
    if end < 0:
        raise Stale("unterminated string")
    return data[at:end]


def _line_id(data: Data, s: int) -> bytes:
    """The id of a change-file line: {"op":"ADD","id":"…",… or {"id":"…","op":…}."""
    if data[s : s + 7] == b'{"id":"':
        return _quoted(data, s + 7)
    i = data.find(b'"id":"', s, s + 40)
    if i < 0:
        raise Stale("change line without id")
    return _quoted(data, i + 6)


def change_lines(data: Data, start: int) -> Run:
    """The lines of a change file whose list begins at `start`."""
    if data[len(data) - len(JSON_TAIL) :] != JSON_TAIL:
        raise Stale("change file end")
    return Run(data, start, len(data) - len(JSON_TAIL), b",\n", b"{", lambda s: _line_id(data, s))


def object_entries(data: bytes, name: bytes, after: int = 0) -> Run:
    """The entries "id":"value" of the JSON object `"name":{…}` (plain strings only)."""
    i = data.find(b'"' + name + b'":{', after)
    if i < 0:
        raise Stale(f"no {name!r}")
    lo = i + len(name) + 4
    hi = data.find(b"}", lo)
    return Run(data, lo, hi, b",", b'"', lambda s: _quoted(data, s + 1))


def op_entries(data: bytes, day: date, after: int) -> Run:
    """The ops of `day` in the data manifest: [{"id":…,"op":…},…]."""
    head = b'"' + day.isoformat().encode() + b'":{"ops":['
    i = data.find(head, after)
    if i < 0:
        raise Stale(f"no ops of {day}")
    lo = i + len(head)
    hi = data.find(b"]", lo)
    if data[hi : hi + 10] != b'],"since":':
        raise Stale("ops end")
    return Run(data, lo, hi, b",", b'{"id":"', lambda s: _quoted(data, s + 7))


# -- debtors.csv / debtors.json ----------------------------------------------------------------
@dataclass
class RowEdits:
    """The rows of the two debtors files that change, by their place in the live order."""

    drop: set[int]  # live rows left out (removed, or changed: inserted anew)
    inserts: dict[int, list[tuple[tuple[int, str], tuple[bytes, bytes]]]]  # before live row p: (key, rows)


def positions(layout: Layout, wanted: set[str] | frozenset[str]) -> dict[str, int]:
    """Where each of `wanted` is in the layout's order."""
    if len(wanted) > 16:  # one pass, rather than one search each
        ids = layout.ids[1:-1].decode("utf-8").split("\n") if layout.ids != b"\n" else []
        out = {rid: i for i, rid in enumerate(ids) if rid in wanted}
    else:
        starts, out = id_starts(layout), {}
        for rid in wanted:
            at = layout.ids.find(b"\n" + rid.encode("utf-8") + b"\n") + 1
            i = bisect_left(starts, at)
            if at and i < len(layout.id_len) and starts[i] == at:
                out[rid] = i
    if len(out) != len(wanted):
        raise Stale("a live row is missing from the layout")
    return out


def row_edits(layout: Layout, at: dict[str, int], new: dict[str, tuple[int, bytes, bytes]]) -> RowEdits:
    """`at`: the live rows that go (id → place); `new`: id → (key, CSV row, JSON text) of rows to place."""
    ids, keys, starts = layout.ids, layout.keys, id_starts(layout)
    drop = set(at.values())
    inserts: dict[int, list[Any]] = {}
    n = len(layout.id_len)
    for rid, (k, csv_row, json_text) in new.items():
        # ids compared as UTF-8: the same order as the strings'
        p = bisect_left(range(n), (k, rid.encode("utf-8")), key=lambda j: (keys[j], ids[starts[j] : starts[j + 1] - 1]))
        inserts.setdefault(p, []).append(((k, rid), (csv_row, json_text)))
    return RowEdits(drop, inserts)


def rows_file(old: Data, start: int, lens: array, sep: bytes, tail: bytes, ed: RowEdits, which: int) -> list[Any]:  # type: ignore[type-arg]
    """The pieces of a debtors file's rows (`which`: 0 CSV, 1 JSON) after the edits."""
    n = len(lens)
    offs = list(accumulate(lens, initial=0))
    step = len(sep)
    hi = start + offs[n] + (n - 1) * step
    if n == 0 or hi + len(tail) != len(old) or old[hi:] != tail:
        raise Stale("rows do not fill the file")

    def off(i: int) -> int:
        return start + offs[i] + i * step

    edits: Edits = {}
    for i in ed.drop:
        add_edit(edits, off(i), off(i + 1), [])
    for p, items in ed.inserts.items():
        add_edit(edits, off(p), off(p), [(k, rows[which]) for k, rows in items])
    return rejoin(old, start, hi, sep, edits)


def check_rows(old: Data, start: int, lens: array, sep: bytes, at: dict[str, int],  # type: ignore[type-arg]
               expected: dict[str, bytes]) -> None:  # fmt: skip
    """The live rows of some records (at their places `at`) are the texts the memo has for them."""
    offs = None
    for rid, text in expected.items():
        i = at[rid]
        if offs is None:
            offs = list(accumulate(lens, initial=0))
        a = start + offs[i] + i * len(sep)
        if lens[i] != len(text) or old[a : a + len(text)] != text:
            raise Stale(f"row of {rid} differs")


def new_order(layout: Layout, ed: RowEdits) -> Layout:
    """The layout's ids, keys, CSV and JSON lengths in the new order (the rest as it was)."""
    starts = id_starts(layout)
    ids: list[Any] = []
    id_len, keys = array(layout.id_len.typecode), array(layout.keys.typecode)
    csv, js = array(layout.csv.typecode), array(layout.json.typecode)
    cur = 0
    n = len(layout.id_len)
    for c in sorted({*ed.drop, *ed.inserts, n}):  # n: the run after the last cut
        if c > cur:
            ids.append(memoryview(layout.ids)[starts[cur] : starts[c]])
            id_len += layout.id_len[cur:c]
            keys += layout.keys[cur:c]
            csv += layout.csv[cur:c]
            js += layout.json[cur:c]
        for (k, rid), (c_row, j_text) in sorted(ed.inserts.get(c, ()), key=lambda kt: kt[0]):
            encoded = rid.encode("utf-8")
            ids.append(encoded + b"\n")
            id_len.append(len(encoded))
            keys.append(k)
            csv.append(len(c_row))
            js.append(len(j_text))
        cur = max(cur, c + 1 if c in ed.drop else c)
    return dataclasses.replace(layout, ids=b"".join([b"\n", *ids]), id_len=id_len, keys=keys, csv=csv, json=js)


def read_state(state: Path | None, name: str, digest: str) -> bytes:
    """A state file of the live build, when it is the one the layout describes."""
    if state is None:
        raise Stale("no state")
    try:
        data = (state / name).read_bytes()
    except OSError as exc:
        raise Stale(str(exc)) from exc
    if sha(data) != digest:
        raise Stale(f"{name} differs")
    return data


def joined(pieces: list[Any]) -> bytes:
    return b"".join(pieces)


def pieces_of(head: bytes, body: list[Any], tail: bytes) -> Iterator[Any]:
    yield head
    yield from body
    yield tail


def dumps_sorted(value: Any) -> bytes:
    """The data manifest's JSON (exports.Manifest.to_bytes, exports.digest): keys sorted,
    compact (json's C encoder; indent= takes the pure-Python one: 1 s at 100,000 records)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
