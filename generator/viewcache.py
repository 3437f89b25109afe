"""The last build's checked files and decided view, for a rebuild that changed a few records.

`load_view` (generator.plan) checks every record file and decides the view from all records:
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

import hashlib
import marshal
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, eq, ne, not_
from pathlib import Path
from typing import Any, NamedTuple

from . import casenumber, checker, parsecache, policy, rules
from .policy import PublicRecord, PublicView, RemovalNotice
from .records import SourceRecord

FILE = "view-cache"
BASE = "view-cache.public"  # the public records of the last full check
READINGS = "view-cache.readings"  # casenumber.READINGS: pinyin of case types (a record id needs them)
FORMAT = 1
MAGIC = b"chenglai view cache\n"
# Beyond this many changed files the full check (parallel, with the parse cache) is as quick.
MAX_CHANGED = 1000
# Beyond this many public records dropped and added since BASE, BASE is written again.
PATCH_MAX = 2000
PUBLIC, NOTICE, WITHHELD = 1, 2, 0  # where policy.place put a record

_PUBLIC_FIELDS = PublicRecord._fields
_NOTICE_FIELDS = tuple(f.name for f in fields(RemovalNotice))
_DATES = frozenset({"filed_on", "listed_on", "term_ends_on", "removed_on"})
_DECIMALS = frozenset({"outstanding"})
_stat_key = attrgetter("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")  # parsecache.Stat
_public = partial(tuple.__new__, PublicRecord)
_digest_of = attrgetter("digest")
# the index: one list per column, one item per record file
_COLUMNS = ("paths", "stats", "trusted", "digests", "ids", "places", "names")


class Stored(NamedTuple):
    base: bytes  # checksum of BASE
    removed: list[str]  # digests of BASE's public records no longer public
    added: list[PublicRecord]  # public records since BASE
    public: list[PublicRecord]  # the view's, in its order
    notices: list[RemovalNotice]
    files: dict[str, list[Any]]  # the columns of _COLUMNS


def key(folder: str, as_of: date, notice_days: int, drafts_ok: bool, version: str) -> tuple[Any, ...]:
    """What a stored view holds for: the code, where the files are, the mode and the date."""
    return (FORMAT, version, os.getcwd(), folder, drafts_ok, as_of.toordinal(), notice_days)


# -- file ----------------------------------------------------------------------------
def _write(path: Path, body: bytes) -> bytes:
    checksum = hashlib.blake2b(body, digest_size=20).hexdigest().encode()
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
        if head != MAGIC or hashlib.blake2b(body, digest_size=20).hexdigest().encode() != checksum:
            return None
        return checksum, marshal.loads(body)
    except Exception:  # noqa: BLE001 - any damage: the full check, never half-trust
        return None


def _columns(items: Iterable[Any], names: tuple[str, ...]) -> list[list[Any]]:
    """Objects as one list per field, of values marshal keeps (dates as ordinals, amounts as text)."""
    rows = list(map(attrgetter(*names), items))
    if not rows:
        return [[] for _ in names]
    cols = [list(col) for col in zip(*rows, strict=True)]
    for i, name in enumerate(names):
        if name in _DATES:
            ordinals = {d: d.toordinal() for d in set(cols[i]) if d is not None}
            cols[i] = list(map(ordinals.get, cols[i]))
        elif name in _DECIMALS:
            cols[i] = [None if v is None else str(v) for v in cols[i]]
    return cols


def _rows(cols: list[list[Any]], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if len(cols) != len(names):
        raise ValueError("columns")
    for i, name in enumerate(names):
        if name in _DATES:
            days = {o: date.fromordinal(o) for o in set(cols[i]) if o is not None}
            cols[i] = list(map(days.get, cols[i]))
        elif name in _DECIMALS:
            cols[i] = [None if v is None else Decimal(v) for v in cols[i]]
    return list(zip(*cols, strict=True))


def _records(cols: list[list[Any]]) -> list[PublicRecord]:
    return list(map(_public, _rows(cols, _PUBLIC_FIELDS)))  # tuples: made at C speed


def _notices(cols: list[list[Any]]) -> list[RemovalNotice]:
    return [RemovalNotice(*row) for row in _rows(cols, _NOTICE_FIELDS)]


def _sorted(public: list[PublicRecord], notices: list[RemovalNotice]) -> None:
    # decide's order: newest first, then by id (ids are unique among records that passed)
    public.sort(key=attrgetter("id"))
    public.sort(key=attrgetter("listed_on"), reverse=True)
    notices.sort(key=attrgetter("id"))
    notices.sort(key=attrgetter("removed_on"), reverse=True)


def load(state: Path, wanted: tuple[Any, ...]) -> Stored | None:
    main = _read(Path(state) / FILE)
    if main is None:
        return None
    try:
        head, base_checksum, removed, added, notices, index = main[1]
        if head != wanted or set(index) != set(_COLUMNS):
            return None
        n = len(index["paths"])
        if any(len(index[c]) != n for c in _COLUMNS):
            return None
        base = _read(Path(state) / BASE)
        if base is None or base[0] != base_checksum:
            return None
        public = _records(base[1])
        added_records = _records(added)
        if removed or added_records:
            gone = set(removed)
            public = [r for r in public if r.digest not in gone] + added_records
            notices_list = _notices(notices)
            _sorted(public, notices_list)
        else:
            notices_list = _notices(notices)
        return Stored(base_checksum, list(removed), added_records, public, notices_list, index)
    except Exception:  # noqa: BLE001 - a file of another shape: the full check
        return None


def save(state: Path, wanted: tuple[Any, ...], stored: Stored, fresh_base: bool) -> None:
    """The index and view of `stored` (its public records: `stored.public`); BASE is written
    again when `fresh_base` or the patch grew past PATCH_MAX."""
    state = Path(state)
    state.mkdir(parents=True, exist_ok=True)
    base, removed, added = stored.base, stored.removed, stored.added
    if fresh_base or len(removed) + len(added) > PATCH_MAX:
        base = _write(state / BASE, marshal.dumps(_columns(stored.public, _PUBLIC_FIELDS)))
        removed, added = [], []
    value = (
        wanted, base, removed, _columns(added, _PUBLIC_FIELDS), _columns(stored.notices, _NOTICE_FIELDS),
        stored.files,
    )  # fmt: skip
    _write(state / FILE, marshal.dumps(value))


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
    if stored is None:
        for name in (FILE, BASE):
            (Path(state) / name).unlink(missing_ok=True)
        return
    try:
        save(state, wanted, stored, fresh_base=True)
    except (OSError, ValueError):  # a value marshal cannot keep: no fast path next time
        (Path(state) / FILE).unlink(missing_ok=True)


def _stored(records: list[SourceRecord], seen: dict[str, tuple[Any, str, bool]], view: PublicView) -> Stored | None:
    public_digests = set(map(_digest_of, view.public))
    notice_ids = {n.id for n in view.notices}
    index: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    paths, stats, trusted, digests, ids_col, places, names = (index[c] for c in _COLUMNS)
    cases: set[str] = set()
    for src in records:
        st, digest, ok = seen[src.path]
        ids = rules.across_ids(src)
        if digest != src.digest or ids is None:
            return None
        paths.append(src.path)
        stats.append(tuple(st))
        trusted.append(bool(ok))
        digests.append(digest)
        ids_col.append(tuple(ids))
        names.append(policy.facts(src).name)
        cases.add(ids[0])
        places.append(PUBLIC if digest in public_digests else NOTICE if ids[2] in notice_ids else WITHHELD)
    if (
        len(set(paths)) != len(paths)
        or places.count(PUBLIC) != len(view.public)
        or places.count(NOTICE) != len(view.notices)
    ):
        return None
    _readings(cases)
    return Stored(b"", [], [], list(view.public), list(view.notices), index)


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _readings(cases: set[str]) -> None:
    """The pinyin readings a record id of these case numbers needs (province, type, suffix)
    into casenumber.READINGS (pypinyin is imported only for one not there already)."""
    shapes = {text.translate(_NO_DIGITS) for text in cases}  # （）鲁执号之一: a handful
    for shape in shapes:
        end = shape.find("号")
        if shape.startswith("（）") and end > 3:
            casenumber.court_slug(shape[2])
            casenumber._pinyin(shape[3:end])
            if end + 1 < len(shape):
                casenumber._pinyin(shape[end + 1 :])


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
                stats += map(_stat_key, map(partial(os.stat, dir_fd=fd), yaml))
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
    # files whose bytes changed: position, (digest, place, across ids) before, across ids and
    # policy facts now (read before the index below is updated: it may be the same lists)
    changed: list[tuple[int, tuple[Any, Any, Any], Any, policy.Facts]] = []
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
        before = (old(i, "digests"), old(i, "places"), old(i, "ids"))
        changed.append((i, before, tuple(ids), policy.facts(src)))

    if not fresh and not removed:  # nothing at all changed: the stored view, nothing written
        return _view(stored, as_of), 0, len(paths)

    # the index of this run's files
    if old_at is None:
        new_index = index
    else:
        new_index = {c: [None if j is None else col[j] for j in old_at] for c, col in index.items()}
        new_index["paths"] = paths
    dropped_public = [index["digests"][j] for j in removed if index["places"][j] == PUBLIC]
    dropped_notices = [index["ids"][j][2] for j in removed if index["places"][j] == NOTICE]
    for i, (st, ok, digest) in fresh.items():
        new_index["stats"][i], new_index["trusted"][i], new_index["digests"][i] = st, ok, digest
    notice_from = as_of - timedelta(days=notice_days)
    added_public: list[PublicRecord] = []
    added_notices: list[RemovalNotice] = []
    for i, (old_digest, old_place, old_ids), ids, f in changed:
        if old_place == PUBLIC:
            dropped_public.append(old_digest)
        elif old_place == NOTICE:
            dropped_notices.append(old_ids[2])
        shown, notice = policy.place(f, as_of, notice_from)
        if shown is not None:
            added_public.append(shown)
        elif notice is not None:
            added_notices.append(notice)
        new_index["ids"][i] = ids
        new_index["names"][i] = f.name
        new_index["places"][i] = PUBLIC if shown is not None else NOTICE if notice is not None else WITHHELD
    if changed and not _across_ok(new_index["ids"]):
        return None  # the full check reports the conflict

    public, notices = stored.public, stored.notices
    if dropped_public or added_public or dropped_notices or added_notices:
        gone, gone_notices = set(dropped_public), set(dropped_notices)
        public = [r for r in public if r.digest not in gone] + added_public
        notices = [n for n in notices if n.id not in gone_notices] + added_notices
        _sorted(public, notices)
    # the patch of BASE: its records dropped since, and those added since (not dropped again)
    in_base = set(stored.removed)
    gone = set(dropped_public)
    removed_from_base = stored.removed + [d for d in dropped_public if d not in in_base]
    added = [r for r in stored.added if r.digest not in gone] + added_public
    updated = Stored(stored.base, removed_from_base, added, public, notices, new_index)
    try:
        save(state, wanted, updated, fresh_base=False)
    except (OSError, ValueError):
        (Path(state) / FILE).unlink(missing_ok=True)  # the next build checks everything
    return _view(updated, as_of), len(changed), len(paths)


def _across_ok(ids: list[tuple[Any, ...]]) -> bool:
    """True when rules.check_across finds nothing among records of these keys: no two share a
    case number and debtor_seq, or a record id; one court name per court code. (Whatever the
    order of the records: which one is reported depends on the order, whether any is does not.)"""
    n = len(ids)
    cases, seqs, rids, codes, courts = zip(*ids, strict=True) if ids else ((), (), (), (), ())
    return (
        len(set(zip(cases, seqs, strict=True))) == n
        and len(set(rids)) == n
        and len(set(zip(codes, courts, strict=True))) == len(set(codes))
    )


def _view(stored: Stored, as_of: date) -> PublicView:
    """decide's view of the stored records: the withheld names and case numbers made again
    from every record's place (a name or case number shared with a shown record is shown)."""
    index = stored.files
    places, names = index["places"], index["names"]
    cases = [ids[0] for ids in index["ids"]]
    public_mask = list(map(eq, places, repeat(PUBLIC)))
    withheld_mask = list(map(ne, places, repeat(PUBLIC)))
    shown_cases = set(compress(cases, map(ne, places, repeat(WITHHELD))))
    withheld_names = frozenset(compress(names, withheld_mask)) - set(compress(names, public_mask))
    withheld_cases = frozenset(compress(cases, withheld_mask)) - shown_cases
    return PublicView(as_of, tuple(stored.public), tuple(stored.notices), withheld_names, withheld_cases)
