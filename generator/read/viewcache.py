"""The last build's checked files and decided view, for a rebuild that changed a few records.

`load_view` (generator.read.plan) checks every record file and decides the view from all records:
at 100,000 records seconds of work, even with the parse cache, for a rebuild after one edit.
A build that passed keeps, in its state folder (`<state>/view-cache`, FILE):

- per record file: its stat, content hash, whether the stat can be trusted (parsecache.RACY_NS),
  the key the rules across files compare (rules.across_ids), where `policy.place` put it
  (public, removal notice, withheld), its debtor's name;
- the PublicView it decided: the public records as columns of plain values (BASE, written by a
  full check; a rebuild writes only which of them it dropped and added), the notices.

A rebuild with the same code, folder, mode (drafts), date and notice period lists the folder and
stats every file; the files whose stat changed are read and hashed, and those whose bytes changed
are parsed and checked by the single-record rules. When each of them passes, the rules across
files run on the stored keys of all records with the changed ones replaced, and the view is the
stored one with the changed records placed again: what `policy.decide` of all records gives,
because where a record goes depends on that record alone, the order is decide's sort, and the
withheld names and case numbers are made again from every record's stored place.

Anything else (a changed file with a problem, a conflict across files, more than MAX_CHANGED
changed files, an odd file in the folder, a missing, damaged or other-version state file) gives
None: load_view then checks everything as before, reports every problem, and writes this file
again. Unchanged files were checked by the same code in the same mode, so they still pass.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import os
import re
import stat
import time
import zlib
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, eq, ne, not_
from pathlib import Path
from typing import Any, NamedTuple

from generator.domain import casenumber, policy, rules
from generator.domain.ids import KNOWN_REGIONS
from generator.domain.policy import PublicRecord, PublicView, RemovalNotice, newest_first, newest_removal_first
from generator.domain.records import SourceRecord
from generator.read import checker, parsecache

FILE = "view-cache"  # the files' index as a full check (or a change of the listing) left it
DELTA = "view-cache.delta"  # what changed in it since, and the view's patch, notices, withheld sets
BASE = "view-cache.public"  # the public records of the last full check
READINGS = "view-cache.readings"  # casenumber.READINGS: pinyin of case types (a record id needs them)
FORMAT = 1
MAGIC = b"chenglai view cache\n"
# Beyond this many changed files the full check (parallel, with the parse cache) is as quick.
MAX_CHANGED = 1000
# Beyond this many public records dropped and added since BASE, BASE is written again; beyond
# this many changed files since FILE, FILE.
PATCH_MAX = 2000
ROWS_MAX = 2000
PUBLIC, NOTICE, WITHHELD = 1, 2, 0  # where policy.place put a record

_PUBLIC_FIELDS = PublicRecord._fields
_NOTICE_FIELDS = tuple(f.name for f in fields(RemovalNotice))
_DATES = frozenset({"filed_on", "listed_on", "term_ends_on", "removed_on"})
_DECIMALS = frozenset({"outstanding"})
# fields with a handful of values (courts, regions…), kept once each in the file
_FEW_VALUES = frozenset({
    "court", "court_slug", "region_code", "region_name", "basis_issuer", "kind", "gender", "performance", "grounds",
    "reason",
})  # fmt: skip
_public = partial(tuple.__new__, PublicRecord)
_digest_of = attrgetter("digest")
# the index: one list per column, one item per record file; cases…courts: rules.across_ids
_COLUMNS = ("paths", "stats", "trusted", "digests", "cases", "seqs", "rids", "codes", "courts", "places", "names")
_IDS = ("cases", "seqs", "rids", "codes", "courts")
# Up to this many changed records, the rules across files and the withheld sets look only at
# what those records touch (a C-speed scan of a column each); beyond, at every record.
FEW = 16


class Stored(NamedTuple):
    main: bytes  # checksum of FILE
    rows: dict[int, tuple[Any, ...]]  # positions changed since FILE: their values (_COLUMNS)
    base: bytes  # checksum of BASE
    removed: list[str]  # digests of BASE's public records no longer public
    added: list[PublicRecord]  # public records since BASE
    public: list[PublicRecord]  # the view's, in its order
    notices: list[RemovalNotice]
    withheld_names: frozenset[str]
    withheld_cases: frozenset[str]
    files: dict[str, list[Any]]  # the columns of _COLUMNS


def key(folder: str, as_of: date, notice_days: int, drafts_ok: bool, version: str) -> tuple[Any, ...]:
    """What a stored view holds for: the code, where the files are, the mode and the date."""
    return (FORMAT, version, os.getcwd(), folder, drafts_ok, as_of.toordinal(), notice_days)


# -- file ----------------------------------------------------------------------------
def _checksum(body: bytes) -> bytes:
    # against damage (a torn or truncated write), not forgery: the state folder is the builder's
    return f"{zlib.crc32(body):08x}-{len(body)}".encode()


def _write(path: Path, body: bytes) -> bytes:
    checksum = _checksum(body)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    # withheld names are in it: readable by the builder only, never published
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as fh:
        fh.write(MAGIC + checksum + b"\n")
        fh.write(body)
    os.replace(tmp, path)
    return checksum


def _read(path: Path) -> tuple[bytes, Any] | None:
    """(checksum, value) of a file _write wrote; None when missing or damaged."""
    try:
        with open(path, "rb") as fh:
            head, checksum, body = fh.readline(), fh.readline()[:-1], fh.read()
        if head != MAGIC or _checksum(body) != checksum:
            return None
        return checksum, marshal.loads(body)
    except Exception:  # noqa: BLE001 - any damage: the full check, never half-trust
        return None


def _columns(items: Iterable[Any], names: tuple[str, ...]) -> list[list[Any]]:
    """Objects as one list per field, of values marshal keeps (dates as ordinals, amounts as text)."""
    rows = list(items) if names is _PUBLIC_FIELDS else list(map(attrgetter(*names), items))  # tuples already
    if not rows:
        return [[] for _ in names]
    cols = [list(col) for col in zip(*rows, strict=True)]
    for i, name in enumerate(names):
        if name in _DATES:
            ordinals = {d: d.toordinal() for d in set(cols[i]) if d is not None}
            cols[i] = list(map(ordinals.get, cols[i]))
        elif name in _DECIMALS:
            cols[i] = [None if v is None else str(v) for v in cols[i]]
    return [_shared(col) if name in _FEW_VALUES else col for name, col in zip(names, cols, strict=True)]


def _shared(col: list[Any]) -> list[Any]:
    """Equal values as one object: marshal writes it once and reads it back once."""
    one: dict[Any, Any] = {}
    return list(map(one.setdefault, col, col))


def _rows(cols: list[list[Any]], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if len(cols) != len(names):
        raise ValueError("columns")
    for i, name in enumerate(names):
        if name in _DATES:
            days = {o: date.fromordinal(o) for o in set(cols[i]) if o is not None}
            cols[i] = list(map(days.get, cols[i]))
        elif name in _DECIMALS:
            amounts = {v: Decimal(v) for v in set(cols[i]) if v is not None}
            cols[i] = list(map(amounts.get, cols[i]))
    return zip(*cols, strict=True)  # type: ignore[return-value]


def _records(cols: list[list[Any]]) -> list[PublicRecord]:
    return list(map(_public, _rows(cols, _PUBLIC_FIELDS)))  # tuples: made at C speed


def _notices(cols: list[list[Any]]) -> list[RemovalNotice]:
    return [RemovalNotice(*row) for row in _rows(cols, _NOTICE_FIELDS)]


def _patched(items: list[Any], attr: str, gone: set[str], added: list[Any], order: Any) -> list[Any]:
    """`items` (in decide's order: newest first, then by id; ids are unique among records that
    passed) without those whose `attr` is in `gone`, with `added`, in the same order."""
    get = attrgetter(attr)
    out = [x for x in items if get(x) not in gone] if gone else list(items)
    if len(added) > 64:
        out += added
        out.sort(key=order)
    else:
        for x in added:
            bisect.insort(out, x, key=order)
    return out


def load(state: Path, wanted: tuple[Any, ...]) -> Stored | None:
    state = Path(state)
    delta = _read(state / DELTA)
    if delta is None:
        return None
    try:
        head, main_checksum, base_checksum, rows, removed, added, notices, names, cases = delta[1]
        if head != wanted:
            return None
        main = _read(state / FILE)
        if main is None or main[0] != main_checksum or main[1][0] != wanted:
            return None
        files = main[1][1]
        if set(files) != set(_COLUMNS) or any(len(files[c]) != len(files["paths"]) for c in _COLUMNS):
            return None
        columns = [files[c] for c in _COLUMNS]
        for i, values in rows.items():
            for column, value in zip(columns, values, strict=True):
                column[i] = value
        base = _read(state / BASE)
        if base is None or base[0] != base_checksum:
            return None
        added_records = _records(added)
        public = _patched(_records(base[1]), "digest", set(removed), added_records, newest_first)
        return Stored(
            main_checksum, rows, base_checksum, list(removed), added_records, public, _notices(notices),
            frozenset(names), frozenset(cases), files,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - a file of another shape: the full check
        return None


def save(state: Path, wanted: tuple[Any, ...], stored: Stored, fresh: bool, listing: bool = False) -> None:
    """`stored` (its index: `stored.files`, the changes since FILE in it; its public records:
    `stored.public`). FILE and BASE are written again when `fresh` or past ROWS_MAX and
    PATCH_MAX; FILE also when the `listing` of files changed."""
    state = Path(state)
    state.mkdir(parents=True, exist_ok=True)
    main, rows, base, removed, added = stored.main, stored.rows, stored.base, stored.removed, stored.added
    if fresh or len(removed) + len(added) > PATCH_MAX:
        base = _write(state / BASE, marshal.dumps(_columns(stored.public, _PUBLIC_FIELDS)))
        removed, added = [], []
    if fresh or listing or len(rows) > ROWS_MAX:
        main = _write(state / FILE, marshal.dumps((wanted, stored.files)))
        rows = {}
    value = (
        wanted, main, base, rows, removed, _columns(added, _PUBLIC_FIELDS), _columns(stored.notices, _NOTICE_FIELDS),
        list(stored.withheld_names), list(stored.withheld_cases),
    )  # fmt: skip
    _write(state / DELTA, marshal.dumps(value))


# -- a full check's result ------------------------------------------------------------
def remember(
    state: Path, wanted: tuple[Any, ...], records: list[SourceRecord], seen: dict[str, tuple[Any, str, bool]],
    view: PublicView,
) -> None:  # fmt: skip
    """Keep what a full check that passed found (`seen`: parsecache's path → (stat, digest,
    trusted) of the same run). Anything inconsistent: nothing is kept (and an older file is
    removed: it no longer describes the files)."""
    try:
        stored = _stored(records, seen, view)
    except (KeyError, ValueError, TypeError):
        stored = None
    if stored is not None:
        try:
            save(state, wanted, stored, fresh=True)
            return
        except (OSError, ValueError):  # a value marshal cannot keep: no fast path next time
            pass
    (Path(state) / DELTA).unlink(missing_ok=True)


def _stored(records: list[SourceRecord], seen: dict[str, tuple[Any, str, bool]], view: PublicView) -> Stored | None:
    if not records:
        return None
    # column by column, at C speed where it can be (100,000 records: this runs in a full check)
    paths = list(map(attrgetter("path"), records))
    stats, digests, trusted = (list(col) for col in zip(*map(seen.__getitem__, paths), strict=True))
    ids_rows = list(map(rules.across_ids, records))
    if digests != list(map(_digest_of, records)) or None in ids_rows:
        return None
    index: dict[str, list[Any]] = {"paths": paths, "stats": stats, "trusted": trusted, "digests": digests}
    for column, values in zip(_IDS, zip(*ids_rows, strict=True), strict=True):
        index[column] = list(values)
    index["codes"], index["courts"] = _shared(index["codes"]), _shared(index["courts"])
    index["names"] = list(map(attrgetter("name"), map(policy.facts, records)))
    public_digests = set(map(_digest_of, view.public))
    notice_ids = {n.id for n in view.notices}
    index["places"] = places = [
        PUBLIC if d in public_digests else NOTICE if rid in notice_ids else WITHHELD
        for d, rid in zip(digests, index["rids"], strict=True)
    ]
    if (
        len(set(paths)) != len(paths)
        or places.count(PUBLIC) != len(view.public)
        or places.count(NOTICE) != len(view.notices)
        or (frozenset(view.withheld_names), frozenset(view.withheld_case_numbers)) != _withheld(index)
    ):
        return None
    _readings(index["cases"])
    return Stored(
        b"", {}, b"", [], [], list(view.public), list(view.notices), view.withheld_names,
        view.withheld_case_numbers, index,
    )  # fmt: skip


_HAN_RUNS = re.compile(r"[^\d（）号\n]+")


def _readings(cases: list[str]) -> None:
    """The pinyin readings a record id of these case numbers needs (province, type, suffix)
    into casenumber.READINGS (pypinyin is imported only for one not there already)."""
    # （2024）鲁0502执1234号之一: runs 鲁, 执, 之一; without a court code 最执: 最 and 执 too
    for run in set(_HAN_RUNS.findall("\n".join(cases))):
        for han in {run, run[0], run[1:]} - {""}:
            casenumber._pinyin(han)


def load_readings(state: Path, version: str) -> int:
    """casenumber.READINGS as kept by an earlier build of this code (and pypinyin) added to
    this process's; how many that file has (0: none, or of other code)."""
    try:
        with open(Path(state) / READINGS, "rb") as fh:
            kept_version, readings = marshal.loads(fh.read())
        if kept_version != version or not isinstance(readings, dict):
            return 0
        for han, reading in readings.items():
            if isinstance(han, str) and isinstance(reading, str):
                casenumber.READINGS.setdefault(han, reading)
        return len(readings)
    except Exception:  # noqa: BLE001 - missing or damaged: pypinyin reads them again
        return 0


def save_readings(state: Path, version: str) -> None:
    tmp = Path(state) / f"{READINGS}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(marshal.dumps((version, dict(casenumber.READINGS))))
        os.replace(tmp, Path(state) / READINGS)
    except OSError:
        tmp.unlink(missing_ok=True)


# -- the rebuild ----------------------------------------------------------------------
def _listing(folder: str) -> tuple[list[str], list[tuple[int, ...]]] | None:
    """The record files under `folder` (records.record_files's set, not its order) and their
    stats; None when something there is not plain (the full check decides then)."""
    paths: list[str] = []
    stats: list[tuple[int, ...]] = []
    folders = [folder]
    try:
        while folders:
            top = folders.pop()
            names = os.listdir(top)
            yaml = [n for n in names if n.endswith((".yaml", ".yml"))]
            if len(yaml) != len(names):
                for n in names:
                    if not n.endswith((".yaml", ".yml")) and stat.S_ISDIR(os.lstat(os.path.join(top, n)).st_mode):
                        folders.append(os.path.join(top, n))
            fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
            try:  # relative to the folder: one name to look up per file, not the whole path
                stats += map(parsecache.stat_key, map(partial(os.stat, dir_fd=fd), yaml))
            finally:
                os.close(fd)
            paths += map((top + os.sep).__add__, yaml)
    except OSError:  # gone meanwhile, a broken link…
        return None
    return paths, stats


def rebuild(
    state: Path, wanted: tuple[Any, ...], folder: str, as_of: date, notice_days: int, drafts_ok: bool
) -> tuple[PublicView, int, int] | None:
    """The view of the files under `folder` from the stored one, how many files were parsed
    and how many there are; None when the stored view does not apply (see the module's docstring)."""
    stored = load(state, wanted)
    if stored is None:
        return None
    scan_ns = time.time_ns()
    listing = _listing(folder)
    if listing is None:
        return None
    paths, stats = listing
    index = stored.files
    old_paths = index["paths"]
    removed: list[int] = []  # old positions
    if paths == old_paths:
        old_at: list[int | None] | None = None
        todo = set(compress(range(len(paths)), map(ne, stats, index["stats"])))
        todo.update(compress(range(len(paths)), map(not_, index["trusted"])))
    else:
        position = {p: i for i, p in enumerate(old_paths)}
        old_at = list(map(position.get, paths))
        removed = sorted(set(range(len(old_paths))) - set(old_at))
        old_stats, old_trusted = index["stats"], index["trusted"]
        todo = {i for i, j in enumerate(old_at) if j is None or old_stats[j] != stats[i] or not old_trusted[j]}
    if len(todo) > MAX_CHANGED:
        return None

    def old(i: int, column: str) -> Any:
        j = i if old_at is None else old_at[i]
        return None if j is None else index[column][j]

    trusted_before = scan_ns - parsecache.RACY_NS
    if todo:  # the region names of the public records (each passed E072: a name, not None)
        KNOWN_REGIONS.update(map(attrgetter("region_code", "region_name"), stored.public))
    # files whose bytes changed: position, (digest, place, across ids, name) before, across ids
    # and policy facts now (read before the index below is updated: it may be the same lists)
    changed: list[tuple[int, tuple[Any, ...], tuple[Any, ...], policy.Facts]] = []
    fresh: dict[int, tuple[tuple[int, ...], bool, str]] = {}  # position → stat, trusted, digest
    for i in sorted(todo):
        path = paths[i]
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                return None
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        digest = hashlib.sha256(data).hexdigest()
        st = stats[i]
        fresh[i] = (st, max(st[3], st[4]) < trusted_before, digest)
        if digest == old(i, "digests"):
            continue
        src, errors = checker.check_file(path, data, drafts_ok)
        if src is None or errors:
            return None  # the full check reports it, with every other problem
        ids = rules.across_ids(src)
        if ids is None:
            return None
        before = (old(i, "digests"), old(i, "places"), old(i, "rids"), old(i, "names"), old(i, "cases"))
        changed.append((i, before, tuple(ids), policy.facts(src)))

    if not fresh and old_at is None:  # nothing at all changed: the stored view, nothing written
        return _view(stored, as_of), 0, len(paths)

    # the index of this run's files, in the order listed (the next run compares its listing
    # with it as a whole: the same folders list their files in the same order)
    if old_at is None:
        new_index = index
    else:
        new_index = {c: [None if j is None else col[j] for j in old_at] for c, col in index.items()}
        new_index["paths"] = paths
    dropped_public = [index["digests"][j] for j in removed if index["places"][j] == PUBLIC]
    dropped_notices = [index["rids"][j] for j in removed if index["places"][j] == NOTICE]
    touched_names = {index["names"][j] for j in removed}
    touched_cases = {index["cases"][j] for j in removed}
    for i, (st, ok, digest) in fresh.items():
        new_index["stats"][i], new_index["trusted"][i], new_index["digests"][i] = st, ok, digest
    notice_from = as_of - timedelta(days=notice_days)
    added_public: list[PublicRecord] = []
    added_notices: list[RemovalNotice] = []
    for i, (old_digest, old_place, old_rid, old_name, old_case), ids, f in changed:
        if old_place == PUBLIC:
            dropped_public.append(old_digest)
        elif old_place == NOTICE:
            dropped_notices.append(old_rid)
        shown, notice = policy.place(f, as_of, notice_from)
        if shown is not None:
            added_public.append(shown)
        elif notice is not None:
            added_notices.append(notice)
        for column, value in zip(_IDS, ids, strict=True):
            new_index[column][i] = value
        new_index["names"][i] = f.name
        new_index["places"][i] = PUBLIC if shown is not None else NOTICE if notice is not None else WITHHELD
        touched_names.update((old_name, f.name))
        touched_cases.update((old_case, ids[0]))
    columns = [new_index[c] for c in _IDS]
    if changed and not rules.across_clean(columns, [i for i, *_rest in changed], few=FEW):
        return None  # the full check reports the conflict

    public = _patched(stored.public, "digest", set(dropped_public), added_public, newest_first)
    notices = _patched(stored.notices, "id", set(dropped_notices), added_notices, newest_removal_first)
    touched_names.discard(None)  # a new file had none before
    touched_cases.discard(None)
    if len(touched_names) + len(touched_cases) > 4 * FEW:
        names, cases = _withheld(new_index)
    else:
        names, cases = _withheld_patched(new_index, stored, touched_names, touched_cases)
    # the patch of BASE: its records dropped since, and those added since (not dropped again)
    in_base = set(stored.removed)
    gone = set(dropped_public)
    removed_from_base = stored.removed + [d for d in dropped_public if d not in in_base]
    added = [r for r in stored.added if r.digest not in gone] + added_public
    # the same files: FILE stays, the changed positions go with the delta (else FILE is new)
    rows = {**stored.rows, **{i: tuple(new_index[c][i] for c in _COLUMNS) for i in fresh}} if old_at is None else {}
    updated = Stored(stored.main, rows, stored.base, removed_from_base, added, public, notices, names, cases, new_index)
    try:
        save(state, wanted, updated, fresh=False, listing=old_at is not None)
    except (OSError, ValueError):
        (Path(state) / DELTA).unlink(missing_ok=True)  # the next build checks everything
    return _view(updated, as_of), len(changed), len(paths)


def _withheld(files: dict[str, list[Any]]) -> tuple[frozenset[str], frozenset[str]]:
    """decide's withheld names and case numbers, from every record's place: a name or case
    number that a shown record (public; for case numbers also a removal notice) has is shown."""
    places, names, cases = files["places"], files["names"], files["cases"]
    withheld = list(map(ne, places, repeat(PUBLIC)))
    shown_names = set(compress(names, map(eq, places, repeat(PUBLIC))))
    shown_cases = set(compress(cases, map(ne, places, repeat(WITHHELD))))
    return frozenset(compress(names, withheld)) - shown_names, frozenset(compress(cases, withheld)) - shown_cases


def _withheld_patched(
    files: dict[str, list[Any]], stored: Stored, touched_names: set[str], touched_cases: set[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """_withheld, from the stored sets, deciding again only for the names and case numbers of the
    changed records (each: the places of the records that have it)."""
    places = files["places"]
    names, cases = set(stored.withheld_names), set(stored.withheld_cases)
    for name in touched_names:
        at = set(compress(places, map(eq, files["names"], repeat(name))))
        (names.add if at and PUBLIC not in at else names.discard)(name)
    for case in touched_cases:
        at = set(compress(places, map(eq, files["cases"], repeat(case))))
        (cases.add if WITHHELD in at and PUBLIC not in at and NOTICE not in at else cases.discard)(case)
    return frozenset(names), frozenset(cases)


def _view(stored: Stored, as_of: date) -> PublicView:
    return PublicView(as_of, tuple(stored.public), tuple(stored.notices), stored.withheld_names, stored.withheld_cases)
