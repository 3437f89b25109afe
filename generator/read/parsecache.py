"""The parse cache: record files parsed and checked once, reused while their bytes stay the same.

Parsing is the largest part of checking (libyaml, then pydantic): at 100,000 records it is
most of a cold build's check. A build keeps, in its state folder (`<state>/parse-cache.pickle`):

- by content hash (sha256 of the file's bytes, `SourceRecord.digest`): the validated record as
  plain values, the line of each key, which rule runs it passed (strict, or accepting drafts)
  and the date-independent part of the publication decision (`policy.facts`);
- by path: (device, inode, size, mtime, ctime) → content hash, so an unchanged file is not
  even read. A file changed less than RACY_NS before it was looked at is not trusted by its
  stat alone (a clock tick can hide a second write); it is hashed again next time.

Only records that passed every single-record rule are kept; a file with a problem is parsed
every time, so its errors are always the checker's own. Rules across files (duplicates…) and
the decision for the build date always run on every record. The cache is tied to the code
that made it (a hash of generator/*.py and the versions of the parsing libraries): any
change starts it over. A file that is missing, truncated, altered (checksum) or of another
version is ignored and rebuilt.

Records come back as `CachedSource`s: the pydantic model and the line table are built on
first use, without validating again (they were validated when stored). A build mostly needs
only `derived["policy"]` and `derived["ids"]`, so 100,000 unchanged records cost a second or
so, not a re-parse.

Memory: what only `.record` and `.lines` need (the record's values and lines) is kept as one
small pickle per record (`body`, bytes), unpickled on first use: at 100,000 records the object
graph of every record's values cost hundreds of MB that a build never looks at, and objects
that live through the check but not past it leave the heap full of holes. The file is written
as a series of pickles of CHUNK entries each, so the pickler's memo stays small.
"""

from __future__ import annotations

import functools
import hashlib
import io
import operator
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.domain import policy, rules
from generator.domain.records import Basis, Debtor, Record, SourceRecord, Vetting
from generator.domain.yamlload import Lines

FILE = "parse-cache.pickle"
FORMAT = 3
MAGIC = b"chenglai parse cache\n"
RACY_NS = 2_000_000_000
DELTA_SHARE = 0.05  # a delta file up to 5 % of the files; beyond, the base is written again
STRICT, DRAFTS = 1, 2  # flags: passed the single-record rules without / with --drafts
CHUNK = 4096  # entries per pickle in the file
_HIGHEST = pickle.HIGHEST_PROTOCOL
_LIBRARIES = ("pydantic", "pydantic-core", "PyYAML", "python-stdnum", "pypinyin")

_NAMES: dict[type, tuple[str, ...]] = {m: tuple(m.model_fields) for m in (Record, Basis, Debtor, Vetting)}
_NESTED = (("basis", Basis), ("debtor", Debtor), ("vetting", Vetting))
_new = object.__new__
_set = object.__setattr__

# payload of one record: (values, fields-set mask) of Record (nested ones None), Basis, Debtor, Vetting
Payload = tuple[tuple[Any, ...], int, tuple[Any, ...], int, tuple[Any, ...], int, tuple[Any, ...], int]
# entry: body (pickled (payload, line numbers)), line layout number, flags, policy facts,
# the key of the rules across files (rules.across_ids)
Entry = tuple[bytes, int, int, "policy.Facts", "rules.AcrossIds"]
Stat = tuple[int, int, int, int, int]  # dev, inode, size, mtime_ns, ctime_ns
# a Stat of an os.stat_result (in C: the view cache takes it of 100,000 files)
stat_key: Callable[[os.stat_result], Stat] = operator.attrgetter(
    "st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns"
)


def code_version() -> str:
    """What the cached values depend on: this package's code and the parsing libraries."""
    h = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(name.encode())
    return h.hexdigest()


# -- records as plain values and back ---------------------------------------------------
def _pack(model: Any) -> tuple[tuple[Any, ...], int]:
    names = _NAMES[type(model)]
    values = model.__dict__
    given = model.model_fields_set
    mask = 0
    for i, name in enumerate(names):
        if name in given:
            mask |= 1 << i
    return tuple(values[n] for n in names), mask


def pack_record(record: Record) -> Payload:
    top, top_mask = _pack(record)
    nested = [name for name, _cls in _NESTED]
    top = tuple(None if n in nested else v for n, v in zip(_NAMES[Record], top, strict=True))
    return (top, top_mask, *_pack(record.basis), *_pack(record.debtor), *_pack(record.vetting))  # type: ignore[return-value]


_FIELDSETS: dict[tuple[type, int], frozenset[str]] = {}


def _model(cls: type, values: tuple[Any, ...], mask: int, extra: dict[str, Any] | None = None) -> Any:
    """A model from values that were validated when stored: no second validation (≈ 1 µs)."""
    names = _NAMES[cls]
    given = _FIELDSETS.get((cls, mask))
    if given is None:
        given = _FIELDSETS[(cls, mask)] = frozenset(n for i, n in enumerate(names) if mask >> i & 1)
    data = dict(zip(names, values, strict=True))
    if extra:
        data.update(extra)
    obj: Any = _new(cls)
    _set(obj, "__dict__", data)
    _set(obj, "__pydantic_fields_set__", set(given))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def unpack_record(p: Payload) -> Record:
    nested = {
        "basis": _model(Basis, p[2], p[3]),
        "debtor": _model(Debtor, p[4], p[5]),
        "vetting": _model(Vetting, p[6], p[7]),
    }
    return _model(Record, p[0], p[1], nested)  # type: ignore[no-any-return]


class CachedSource(SourceRecord):
    """A SourceRecord rebuilt from plain values (the cache, or a checker process): what the
    build needs (`derived`: policy facts, the key the rules across files compare) is ready;
    `record` and `lines` are built on first use from `body`."""

    def __init__(  # not the dataclass __init__: record and lines are properties here
        self, path: str, digest: str, body: bytes, layout: tuple[Any, ...], facts: policy.Facts,
        ids: rules.AcrossIds,
    ):  # fmt: skip
        _set(self, "__dict__", {
            "path": path, "digest": digest, "derived": {"policy": facts, "ids": ids}, "_body": body, "_layout": layout,
        })  # fmt: skip

    def _unpack(self) -> tuple[Payload, tuple[int, ...]]:
        return pickle.loads(self.__dict__["_body"])  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def record(self) -> Record:
        built = self.__dict__.get("_record")
        if built is None:
            built = unpack_record(self._unpack()[0])
            _set(self, "_record", built)
        return built

    @property  # type: ignore[override]
    def lines(self) -> Lines:
        built = self.__dict__.get("_lines")
        if built is None:
            built = dict(zip(self.__dict__["_layout"], self._unpack()[1], strict=True))
            _set(self, "_lines", built)
        return built


_LAYOUTS: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _layout(lines: Lines) -> tuple[Any, ...]:
    """One tuple per set of key paths (records share a handful): pickled once per chunk."""
    layout = tuple(lines)
    if len(_LAYOUTS) < 4096:
        return _LAYOUTS.setdefault(layout, layout)
    return layout


def portable(src: SourceRecord) -> tuple[Any, ...]:
    """A checked record as plain values, for a checker process to send back (`restore`)."""
    if isinstance(src, CachedSource):
        d = src.__dict__
        return (src.path, src.digest, d["_body"], d["_layout"], d["derived"]["policy"], d["derived"]["ids"])
    lines = src.lines
    body = pickle.dumps((pack_record(src.record), tuple(lines.values())), _HIGHEST)
    return (src.path, src.digest, body, _layout(lines), policy.facts(src), rules.across_ids(src))


def restore(item: tuple[Any, ...]) -> CachedSource:
    return CachedSource(*item)


def compact(src: SourceRecord) -> CachedSource:
    """The record as a CachedSource: what a long check keeps of each record, a few hundred bytes
    instead of its models and line table."""
    return src if isinstance(src, CachedSource) else CachedSource(*portable(src))


def _stat(path: str) -> Stat | None:
    try:
        return stat_key(os.stat(path))
    except OSError:
        return None


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _read(path: Path) -> tuple[bytes, Iterator[Any]] | None:
    """(checksum, the pickles in it one by one) of a cache file, or None when missing or damaged
    (a pickle that fails to load later is damage too: the caller drops everything then)."""
    try:
        with open(path, "rb") as fh:
            head, checksum, body = fh.readline(), fh.readline()[:-1], fh.read()  # no copy of the body
        if head != MAGIC or hashlib.blake2b(body).hexdigest().encode() != checksum:
            return None
    except Exception:  # noqa: BLE001 - any damage: start over, never half-trust
        return None
    return checksum, _values(io.BytesIO(body))


def _values(stream: io.BytesIO) -> Iterator[Any]:
    end = len(stream.getbuffer())
    while stream.tell() < end:
        yield pickle.load(stream)


class _Hashing:
    """A file that hashes what is written to it: the cache is pickled straight to disk, no
    100 MB bytes object in between."""

    def __init__(self, fh: Any):
        self.fh, self.hash, self.size = fh, hashlib.blake2b(), 0

    def write(self, data: Any) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.fh.write(data)  # type: ignore[no-any-return]


def _write(path: Path, values: Iterable[Any]) -> bytes:
    """Pickles one after the other (each with its own memo: a memo of every object of 100,000
    records cost 200 MB), behind MAGIC and a checksum of them all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    # the content as it is, withheld records too: readable by the builder only, never published
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as fh:
        fh.write(MAGIC + b"0" * 128 + b"\n")  # the checksum, written once known
        body = _Hashing(fh)
        for value in values:
            pickle.dump(value, body, protocol=_HIGHEST)
        checksum = body.hash.hexdigest().encode()
        fh.seek(len(MAGIC))
        fh.write(checksum)
    os.replace(tmp, path)
    return checksum


def _sections(items: list[tuple[str, Entry]]) -> Iterator[list[Any]]:
    """Entries as written: first what a view keeps of every entry (its PublicRecord, None when
    never public, the debtor's name and the case number: policy.Facts record, name, case_text),
    then the rest, in chunks. A loaded cache makes what the view keeps one after the other, apart
    from what goes with the cache: freeing the cache then frees whole arenas of memory."""
    for i in range(0, len(items), CHUNK):
        yield [x for _d, e in items[i : i + CHUNK] for x in (e[3].record, e[3].name, e[3].case_text)]
    for i in range(0, len(items), CHUNK):
        yield [(d, e[0], e[1], e[2], e[3][1:4], e[4]) for d, e in items[i : i + CHUNK]]


def _entries(values: Iterator[Any], count: int) -> dict[str, Entry]:
    """What _sections wrote, back into entries."""
    kept: list[Any] = []
    while len(kept) < 3 * count:
        kept += next(values)
    entries: dict[str, Entry] = {}
    at = iter(kept)
    for chunk in values:
        for d, body, layout, flags, (listed, listed_on, removed), ids in chunk:
            public, name, case_text = next(at), next(at), next(at)
            entries[d] = (body, layout, flags, _facts((public, listed, listed_on, removed, name, case_text)), ids)
    if len(entries) != count:
        raise ValueError("entries missing")
    return entries


_facts = functools.partial(tuple.__new__, policy.Facts)


class ParseCache:
    """One build's view of the cache: `lookup` before parsing, `remember` after, `save`.

    On disk: a base file, and a delta file of what changed since (bound to the base by its
    checksum), so that a build that changed a few records writes a few records: the base is
    rewritten when the delta grows past DELTA_SHARE of it."""

    def __init__(self, path: Path | None, version: str | None = None):
        self.path = path
        self.version = version or code_version()
        # stats: path → (stat, digest, trusted); entries: digest → Entry
        self.stats: dict[str, tuple[Stat, str, bool]] = {}
        self.entries: dict[str, Entry] = {}
        self.layouts: list[tuple[Any, ...]] = []
        self._layout_index: dict[tuple[Any, ...], int] = {}
        self.loaded = False  # a valid cache file was read
        # the rules across files found nothing among the files as saved (set by the checker
        # before save; as loaded: true of the stored stats): an unchanged set of files needs
        # no check_across again
        self.across_ok = self._loaded_across_ok = False
        self._same = 0  # files of this run's lookup whose path and content the cache had
        self.dirty = False  # something to save
        self.hits = 0
        self.parsed = 0  # files the checker parsed (set by check_paths)
        # this run's files: what `save` keeps
        self._seen: dict[str, tuple[Stat, str, bool]] = {}
        self._scan_ns = 0
        # the base file as read: its checksum, stats and digests (what a delta is relative to)
        self._base: tuple[bytes, dict[str, tuple[Stat, str, bool]], set[str]] | None = None
        self._added: set[str] = set()  # digests added or changed since the base
        if path is not None:
            self._load(path)

    @classmethod
    def in_state(cls, state: Path) -> ParseCache:
        return cls(Path(state) / FILE)

    @property
    def delta_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + ".delta")

    # -- file ----------------------------------------------------------------------
    def _load(self, path: Path) -> None:
        base = _read(path)
        if base is None:
            return
        checksum, values = base
        try:
            fmt, version, cwd, stats, layouts, count, across_ok = next(values)
            if fmt != FORMAT or version != self.version or cwd != os.getcwd():
                return  # paths are kept as given: relative ones mean something else elsewhere
            if not (isinstance(stats, dict) and isinstance(layouts, list)):
                return
            entries = _entries(values, count)
        except Exception:  # noqa: BLE001 - any damage: start over, never half-trust
            return
        self._base = (checksum, dict(stats), set(entries))
        self.across_ok = across_ok is True
        delta = _read(self.delta_path)
        if delta is not None:
            try:
                fmt, version, of, changed_stats, delta_layouts, count, across_ok = next(delta[1])
                if fmt == FORMAT and version == self.version and of == checksum:
                    new_entries = _entries(delta[1], count)
                    self.across_ok = False  # of the base; the delta's own when it is whole
                    for p, v in changed_stats.items():
                        if v is None:
                            stats.pop(p, None)
                        else:
                            stats[p] = v
                    entries.update(new_entries)
                    layouts = delta_layouts
                    self._added = set(new_entries)
                    self.across_ok = across_ok is True
            except Exception:  # noqa: BLE001 - the base alone is still right; its delta is dropped
                pass
        self.stats, self.layouts, self.entries = stats, layouts, entries
        self._loaded_across_ok = self.across_ok
        self._layout_index = {layout: i for i, layout in enumerate(layouts)}
        self.loaded = True

    def save(self) -> None:
        """Keep this run's files (only): written to a temporary file, then renamed. A run
        that found everything as it was writes nothing."""
        if self.path is None or (
            not self.dirty and self._seen.keys() == self.stats.keys() and self.across_ok == self._loaded_across_ok
        ):
            return
        if self._base is not None:
            checksum, base_stats, base_digests = self._base
            changed: dict[str, Any] = {p: v for p, v in self._seen.items() if base_stats.get(p) != v}
            changed.update((p, None) for p in base_stats.keys() - self._seen.keys())
            new = [(d, self.entries[d]) for d in self._added if d in self.entries]
            if len(changed) + len(new) <= DELTA_SHARE * len(base_stats):
                header = (FORMAT, self.version, checksum, changed, self.layouts, len(new), self.across_ok)
                _write(self.delta_path, [header, *_sections(new)])
                return
        digests = {d for _st, d, _t in self._seen.values()}
        entries = [(d, e) for d, e in self.entries.items() if d in digests]
        used = sorted({e[1] for _d, e in entries})
        renumber = {old: new for new, old in enumerate(used)}
        layouts = [self.layouts[i] for i in used]
        if used != list(range(len(self.layouts))):
            entries = [(d, (e[0], renumber[e[1]], *e[2:])) for d, e in entries]  # type: ignore[misc]
        base = (FORMAT, self.version, os.getcwd(), self._seen, layouts, len(entries), self.across_ok)
        _write(self.path, [base, *_sections(entries)])
        self.delta_path.unlink(missing_ok=True)

    @property
    def seen(self) -> dict[str, tuple[Stat, str, bool]]:
        """This run's files: path → (stat, digest, stat trusted)."""
        return self._seen

    # -- use -----------------------------------------------------------------------
    def lookup(self, files: Iterable[str], drafts_ok: bool) -> dict[str, SourceRecord]:
        """The files whose record is known and passed the single-record rules in this mode."""
        self._scan_ns = time.time_ns()
        flag = DRAFTS if drafts_ok else STRICT
        layouts = self.layouts
        found: dict[str, SourceRecord] = {}
        self._same = 0
        if not self.entries:
            return found  # nothing to find: the checker reads and hashes every file itself
        same = 0
        # names bound once: this loop runs once per record file (100,000 in a rebuild)
        stats, entries, seen_now, stat = self.stats, self.entries, self._seen, os.stat
        trusted_before = self._scan_ns - RACY_NS
        dirty = False
        for path in files:
            try:
                s = stat(path)
            except OSError:
                continue
            st = stat_key(s)
            known = stats.get(path)
            if known is not None and known[2] and known[0] == st:
                digest = known[1]
            else:
                fresh = _digest(path)
                if fresh is None:
                    continue
                digest = fresh
            seen = seen_now[path] = (st, digest, max(st[3], st[4]) < trusted_before)
            if seen != known:
                dirty = True
            if known is not None and known[1] == digest:
                same += 1
            entry = entries.get(digest)
            if entry is not None and entry[2] & flag:
                found[path] = CachedSource(path, digest, entry[0], layouts[entry[1]], entry[3], entry[4])
        if dirty:
            self.dirty = True
        self.hits += len(found)
        self._same = same
        return found

    def unchanged(self, files: list[str]) -> bool:
        """True when `files` (just looked up) are exactly the files of the cache as loaded, each
        with the same content: the rules across files would compare what they compared then."""
        return self._same == len(files) == len(self._seen) == len(self.stats) and self._seen.keys() == self.stats.keys()

    def records(self, files: list[str], drafts_ok: bool) -> list[SourceRecord] | None:
        """The records of `files` as this cache has them, without looking at the files (the
        cache was just written by a check of them); None when one of them is missing."""
        flag = DRAFTS if drafts_ok else STRICT
        stats, entries, layouts = self.stats, self.entries, self.layouts
        out: list[SourceRecord] = []
        for path in files:
            known = stats.get(path)
            entry = None if known is None else entries.get(known[1])
            if entry is None or not entry[2] & flag:
                return None
            body, layout, _flags, facts, ids = entry
            out.append(CachedSource(path, known[1], body, layouts[layout], facts, ids))  # type: ignore[index]
        self._seen = dict(stats)
        return out

    def remember(self, src: SourceRecord, drafts_ok: bool) -> None:
        """A record parsed this run that passed the single-record rules."""
        flag = STRICT | DRAFTS if not drafts_ok else DRAFTS  # strict rules are a superset
        entry = self.entries.get(src.digest)
        if entry is not None:
            if entry[2] | flag != entry[2]:
                self.entries[src.digest] = (*entry[:2], entry[2] | flag, *entry[3:])  # type: ignore[assignment]
                self._added.add(src.digest)
                self.dirty = True
        else:
            _path, _digest, body, layout, facts, ids = portable(src)
            index = self._layout_index.get(layout)
            if index is None:
                index = self._layout_index[layout] = len(self.layouts)
                self.layouts.append(layout)
            self.entries[src.digest] = (body, index, flag, facts, ids)
            self._added.add(src.digest)
            self.dirty = True
        if src.path not in self._seen:
            st = _stat(src.path)
            if st is not None:
                trusted = max(st[3], st[4]) < (self._scan_ns or time.time_ns()) - RACY_NS
                self._seen[src.path] = (st, src.digest, trusted)
                self.dirty = True
        elif self._seen[src.path][1] != src.digest:  # changed between the stat and the read
            del self._seen[src.path]
