"""The one state store: `state.sqlite3` beside the output, never inside it.

Every cache of the build is one namespace of the memo table: `(namespace, key) → (digest,
value)`, read through `Namespace.get_or_make(key, digest, make)`, as Hugo's file cache and
Pelican's cache.py do: a hit is a stored result of `make` for the same input digest; a miss
calls `make` and stores what it returns. Nothing ever edits a stored value.

The meta table holds per-generation facts: its files (path → digest of the bytes), its date and
counts, the open data's history (one value each: 160,000 rows for a file list would cost
seconds to write at every build). Rows of a build
are written in one transaction, committed just before the build's single commit point (the
switch of the live link, generator.build.generations); rows of a generation that never went
live are harmless and pruned by the next build.

A damaged store, or one written by other code (`version`), is an empty store: the build that
finds it is a full build, never an error.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
FILE = "state.sqlite3"
FORMAT = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS memo (
    namespace TEXT NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""
_MISSING: Any = object()


# Types whose values are digested once per object (DIGEST_ONCE.add(cls)): a public record sits
# in its page, its notice, four lists, three feeds and a data row; pickled each time, 100,000 of
# them cost seconds per build. Their digest stands in the pickle for the value itself.
DIGEST_ONCE: set[type] = set()
_ONCE: dict[int, tuple[Any, bytes]] = {}  # id → (the object, kept alive so the id stays its own; digest)


def _digested(digest: bytes) -> bytes:
    """What a DIGEST_ONCE object stands for in a digest's pickle (never unpickled)."""
    return digest


class _Pickler(pickle.Pickler):
    """Pickles without its memo (`fast`): the bytes then depend on the values only, not on which
    of them happen to be the same object (a date shared by two records parsed together, apart
    when read back from the store). A DIGEST_ONCE object is pickled as its digest, made once
    (`reducer_override`: called for objects other than plain str, int, list, tuple, dict…)."""

    def __init__(self, file: Any, top: Any = None) -> None:
        super().__init__(file, protocol=5)
        self.fast = True
        self.top = top  # the object whose own digest is being made: pickled itself

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) not in DIGEST_ONCE or obj is self.top:
            return NotImplemented
        known = _ONCE.get(id(obj))
        if known is None or known[0] is not obj:
            inner = io.BytesIO()
            _Pickler(inner, top=obj).dump(obj)
            known = _ONCE[id(obj)] = (obj, hashlib.blake2b(inner.getbuffer(), digest_size=16).digest())
        return _digested, (known[1],)


def digest_of(*values: Any) -> str:
    """The one digest helper: of the very values handed to a producing function (pickled: the
    same values give the same bytes; values that merely look alike never collide)."""
    buf = io.BytesIO()
    _Pickler(buf).dump(values)
    return hashlib.blake2b(buf.getbuffer(), digest_size=16).hexdigest()


def forget_digests() -> None:
    """Drop the per-object digests (the objects they keep alive): at the end of a build."""
    _ONCE.clear()


def code_version() -> str:
    """A digest of this program's own source (generator/ and search/): a store written by other
    code is not read (its memos would be another program's results)."""
    h = hashlib.blake2b(str(FORMAT).encode(), digest_size=16)
    top = Path(__file__).resolve().parents[2]
    for package in ("generator", "search"):
        for path in sorted((top / package).rglob("*.py")):
            h.update(path.relative_to(top).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Namespace:
    """One cache: key → (digest, value). Rows are read all at once on first use (one query
    instead of 100,000) and written back by Store.commit."""

    def __init__(self, store: Store, name: str):
        self.store = store
        self.name = name
        self._rows: dict[str, tuple[str, bytes]] | None = None
        self.new: dict[str, tuple[str, bytes]] = {}  # written this build
        self.hits = 0
        self.misses = 0

    def _loaded(self) -> dict[str, tuple[str, bytes]]:
        if self._rows is None:
            self._rows = {} if not self.store.reading else self.store.rows(self.name)
        return self._rows

    def get(self, key: str, digest: str, default: Any = _MISSING) -> Any:
        """The stored value for `key` made from input `digest`; `default` when there is none."""
        row = self.new.get(key) or self._loaded().get(key)
        if row is None or row[0] != digest:
            return default
        return pickle.loads(row[1])

    def put(self, key: str, digest: str, value: Any) -> None:
        self.new[key] = (digest, pickle.dumps(value, protocol=5))

    def get_or_make(self, key: str, digest: str, make: Callable[[], T]) -> T:
        """`make()`'s value for input `digest`: stored, or made now and stored."""
        value = self.get(key, digest)
        if value is not _MISSING:
            self.hits += 1
            return value  # type: ignore[no-any-return]
        self.misses += 1
        value = make()
        self.put(key, digest, value)
        return value

    def load(self) -> Namespace:
        """Read the rows now (before forking workers, which must not touch the database)."""
        self._loaded()
        return self

    def fork(self) -> Namespace:
        """The same rows (read now, before a fork), with nothing written yet: a forked worker's
        view of this namespace, whose rows written are sent back and merged (`merge`)."""
        other = Namespace(self.store, self.name)
        other._rows = self._loaded()
        return other

    def merge(self, rows: dict[str, tuple[str, bytes]]) -> None:
        self.new.update(rows)

    def rows_written(self) -> Iterator[tuple[str, str, str, bytes]]:
        for key, (digest, value) in sorted(self.new.items()):  # in key order: B-tree appends, not splits
            yield self.name, key, digest, value


class Store:
    """state.sqlite3: meta, memo and generation files. `reading=False` (a `--full` build): no
    memo is read, every result is made again, and what is made is still stored."""

    def __init__(self, path: Path | None, reading: bool = True, version: str | None = None):
        self.path = path
        self.reading = reading
        self.version = version or code_version()
        self.spaces: dict[str, Namespace] = {}
        self.conn = self._open() if path is not None else None
        self._meta: dict[str, Any] = {}  # written this build
        self._read: dict[str, Any] = {}  # read this build

    # -- opening -------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection | None:
        assert self.path is not None
        try:
            return self._connect()
        except sqlite3.DatabaseError:
            # damaged, or not a database at all: an empty store (the build is a full build)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            # a kill never loses the journal (the system has every write); a power cut may damage
            # the store, and a damaged store is an empty store: a full build, never wrong output
            conn.execute("PRAGMA synchronous=OFF")
            if conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] < 2:
                conn.executescript(SCHEMA)  # (only when missing: an open that writes nothing leaves no trace)
            row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is not None and bytes(row[0]).decode() != self.version:
                # another program's results: no memo of it is used. The generations' facts stay
                # (what files they hold, the open data's change history): they are history, not
                # results of this code, and a new version must not forget yesterday's removals
                conn.execute("DELETE FROM memo")
            if row is None or bytes(row[0]).decode() != self.version:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (self.version.encode(),))
        except sqlite3.DatabaseError:
            conn.close()
            raise
        os.chmod(self.path, 0o600)  # holds content (withheld names too): never published
        return conn

    def _reset(self) -> None:
        """A store found damaged while reading: from now on an empty one (what was read from it
        so far was whole, or the read would have failed)."""
        if self.conn is not None:
            self.conn.close()
        assert self.path is not None
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        self.conn = self._connect()

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        if self.conn is None:
            return []
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError:
            self._reset()
            return []

    # -- memo ----------------------------------------------------------------------
    def ns(self, name: str) -> Namespace:
        space = self.spaces.get(name)
        if space is None:
            space = self.spaces[name] = Namespace(self, name)
        return space

    def rows(self, namespace: str) -> dict[str, tuple[str, bytes]]:
        rows = self._query("SELECT key, digest, value FROM memo WHERE namespace = ?", (namespace,))
        return {key: (digest, value) for key, digest, value in rows}

    # -- meta ----------------------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        """A stored fact (meta is read whatever `reading` says: it is history, not a memo)."""
        if key in self._meta:
            return self._meta[key]
        if key in self._read:  # read once a build: a file list is 160,000 entries at 100,000 records
            return self._read[key]
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        if not rows:
            return default
        value = self._read[key] = pickle.loads(rows[0][0])  # (callers do not change what they read)
        return value

    def set_meta(self, key: str, value: Any) -> None:
        self._meta[key] = value

    # -- generation files ----------------------------------------------------------
    def files(self, generation: str) -> dict[str, str]:
        """path → digest of the files of a kept build (empty: unknown)."""
        return self.meta(gen_key(generation, "files"), {})  # type: ignore[no-any-return]

    def set_files(self, generation: str, files: dict[str, str]) -> None:
        self.set_meta(gen_key(generation, "files"), files)

    # -- the one transaction ---------------------------------------------------------
    def commit(self, keep_generations: Iterable[str] = ()) -> None:
        """Write what this build made, in one transaction; forget generations not in
        `keep_generations` (when given)."""
        if self.conn is None:
            return
        keep = list(keep_generations)
        try:
            self._write(keep)
        except sqlite3.DatabaseError:
            # damaged under us: an empty store takes this build's rows
            self._reset()
            self._write(keep)
        self._meta.clear()
        self._read.clear()

    def _write(self, keep: list[str]) -> None:
        conn = self.conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            for space in self.spaces.values():
                conn.executemany("INSERT OR REPLACE INTO memo VALUES (?, ?, ?, ?)", space.rows_written())
            conn.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                ((k, pickle.dumps(v, protocol=5)) for k, v in self._meta.items()),
            )
            if keep:
                marks = ",".join("?" * len(keep))
                conn.execute(
                    f"DELETE FROM meta WHERE key LIKE 'gen:%' AND substr(key, 5, instr(substr(key, 5), ':') - 1) "
                    f"NOT IN ({marks})",
                    keep,
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        for space in self.spaces.values():
            space.new.clear()

    def forget(self, namespaces: Iterable[str]) -> None:
        """Drop whole namespaces (code that no longer uses them), in their own transaction."""
        if self.conn is None:
            return
        for name in namespaces:
            self.conn.execute("DELETE FROM memo WHERE namespace = ?", (name,))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def gen_key(generation: str, name: str) -> str:
    """The meta key of a fact about one generation (pruned with it)."""
    return f"gen:{generation}:{name}"
