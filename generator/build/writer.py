"""Pelican's writer with a fast path for bytes we render, and a manifest of every file.

Every file of the output is recorded with its digest, size and mtime. A file whose bytes
equal the live output's (same digest as the previous manifest, and the live file still
has the size and mtime the manifest says) gets the live file's mtime: rsync and object
store syncs then skip it. Pelican's own pages (news, static pages, theme files) are written
by Pelican and recorded afterwards by `finish()`.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections.abc import Iterable
from typing import Any

from pelican.writers import FileOverwriteFailedError, Writer

from generator.read.plan import PLAN_KEY, BuildPlan, ManifestEntry
from generator.render.outputs import OutputFile

# From this size up, a file rewritten in an incremental build is scanned only in its lines the
# live file lacks (`PortalWriter._scan`).
DIFF_SCAN_MIN = 256 * 1024


def digest(data: bytes) -> str:
    # sha256 (SHA-NI on x86 servers) hashes 75 MB a third faster than blake2b here
    return hashlib.sha256(data).hexdigest()[:32]


Data = bytes | mmap.mmap  # a live file: read, or mapped (PortalWriter.live_bytes)

# From this size a file known to differ from the live one is hashed in a thread while it is
# scanned and written (hashlib and os.write let go of the GIL: two cores at work).
THREAD_MIN = 4 << 20


class _Digest(threading.Thread):
    def __init__(self, data: bytes) -> None:
        super().__init__(name="digest", daemon=True)
        self.data: bytes | None = data
        self.value = ""

    def run(self) -> None:
        assert self.data is not None
        self.value = digest(self.data)
        self.data = None


_BLOCK = 1 << 16


def _common_prefix(a: Data, b: Data) -> int:
    """How many leading bytes `a` and `b` share (compared a block at a time, in C)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i += _BLOCK
    if i >= n:
        return n
    lo, hi = i, min(i + _BLOCK, n)  # a[:lo] == b[:lo]; they differ before hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo if a[lo : lo + 1] != b[lo : lo + 1] else hi


def _common_suffix(a: Data, b: Data, limit: int) -> int:
    """How many trailing bytes `a` and `b` share, at most `limit`."""
    la, lb = len(a), len(b)
    i = 0  # a[la - i:] == b[lb - i:]
    while i < limit:
        k = min(i + _BLOCK, limit)
        if a[la - k : la - i] != b[lb - k : lb - i]:
            lo, hi = i, k  # they differ within the last k bytes
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
                    lo = mid
                else:
                    hi = mid
            return lo
        i = k
    return limit


def changed_lines(old: Data, new: bytes) -> tuple[int, int]:
    """`new[start:end]`: whole lines of `new` that hold every line `old` does not have at the
    same place. Outside it, each line of `new` (with the line breaks around it) lies in the part
    both files begin with, or in the part both end with: a line `old` has."""
    p = _common_prefix(old, new)
    limit = min(len(old), len(new)) - p  # the common end may not overlap the common start
    s = _common_suffix(old, new, limit)
    start = new.rfind(b"\n", 0, p) + 1  # the line holding the first differing byte
    end = new.find(b"\n", len(new) - s)  # the first line break of the common end
    return start, len(new) if end < 0 else end


class PortalWriter(Writer):
    """Writer handed out by the plugin through Pelican's `get_writer` signal."""

    def __init__(self, output_path: str, settings: dict[str, Any] | None = None):
        super().__init__(output_path, settings)
        self.plan: BuildPlan | None = (settings or {}).get(PLAN_KEY)
        self.previous = self.plan.previous_manifest() if self.plan else {}
        prev = self.plan.previous_output if self.plan else None
        self._previous_root = str(prev) if prev is not None else None
        self.entries: dict[str, ManifestEntry] = {}
        # the leak gate scans each file's bytes as it is written (set by the plugin, or made on
        # first use by gate_factory); files written by Pelican itself are listed in `unscanned`
        # by finish()
        self._gate: Any = None
        self.gate_factory: Any = None
        self.leaks: list[Any] = []
        self.unscanned: list[str] = []
        # incremental builds: a file with the live file's bytes is not written again (nor
        # scanned: it was when written); `kept` lists them for the scan of new withheld names
        self.keep_same = False
        self.kept: list[str] = []
        self._dirs: set[str] = set()
        # live files a renderer read through `live_bytes` to update them, until they are rewritten
        self._live: dict[str, mmap.mmap] = {}
        self._root = os.path.abspath(output_path)
        if self.plan is not None:
            self.plan.writer = self  # type: ignore[attr-defined]

    @property
    def gate(self) -> Any:
        if self._gate is None and self.gate_factory is not None:
            self._gate = self.gate_factory()
        return self._gate

    @gate.setter
    def gate(self, value: Any) -> None:
        self._gate = value

    # -- the fast path -------------------------------------------------------------
    def write_output(self, item: OutputFile) -> None:
        """Write one rendered file (path relative to the output, '/'-separated)."""
        self.entries[item.path] = self._put(item.path, item.data)

    def write_outputs(self, items: Iterable[OutputFile]) -> int:
        n = 0
        for item in items:
            self.write_output(item)
            n += 1
        return n

    def _put(self, rel: str, data: bytes) -> ManifestEntry:
        if rel.startswith("/") or "\\" in rel or ".." in rel.split("/") or not rel:
            raise RuntimeError(f"refusing output path {rel!r}")
        full = self._root + "/" + rel
        if rel in self.entries or full in self._written_files:
            raise FileOverwriteFailedError(f'"{rel}" written twice')
        self._written_files.add(full)
        # the live file, mapped by the renderer that made these bytes from it (live_bytes)
        live = self._live.pop(rel, None)
        prev = self.previous.get(rel) if self.keep_same else None
        if live is not None and prev is not None and len(live) == len(data) and _common_prefix(live, data) == len(data):
            self.kept.append(rel)  # its bytes: no need to hash them to know
            return prev
        hashing: _Digest | None = None
        if len(data) >= THREAD_MIN and (prev is None or prev[1] != len(data) or live is not None):
            # not the live file's bytes: hashed beside the scan and the write
            hashing = _Digest(data)
            hashing.start()
            dg = ""
        else:
            dg = digest(data)  # once: 75 MB files of open data
        if self.keep_same and hashing is None:
            same = self._same(rel, dg, len(data))
            if same is not None:
                self.kept.append(rel)
                return same
        parent = full.rpartition("/")[0]
        if parent not in self._dirs:
            try:
                os.mkdir(parent)  # debtors/<id>/: one level, the common case
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            except FileExistsError:
                pass
            self._dirs.add(parent)
        if self.gate is not None:
            self.leaks += self._scan(rel, data, live)
        del live
        fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            mtime = os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)
            if hashing is not None:
                hashing.join()
                dg = hashing.value
        return self._carry(rel, full, dg, len(data), mtime)

    def _scan(self, rel: str, data: bytes, live: Data | None = None) -> list[Any]:
        """The leak gate's findings in a file about to be written. A big file of an incremental
        build (the open data: 75 MB, one row changed) is scanned only in the lines the live file
        does not have, each on its own: the live file's lines were scanned when it was written,
        and the session allows it only when nothing became withheld since (no withheld string
        holds a line break: a match never spans two lines). `live`: the live file, when at hand."""
        session = getattr(self.plan, "session", None)
        if not (self.keep_same and len(data) >= DIFF_SCAN_MIN and session is not None and session.diff_scan):
            return self.gate.scan(data, rel)  # type: ignore[no-any-return]
        old = live if live is not None else self._map_live(rel)
        if old is None:
            return self.gate.scan(data, rel)  # type: ignore[no-any-return]
        start, end = changed_lines(old, data)
        leaks: list[Any] = []
        for line in data[start:end].split(b"\n"):
            leaks += self.gate.scan(line, rel)
        return leaks

    def _map_live(self, rel: str, content: tuple[str, int] | None = None) -> mmap.mmap | None:
        """The live file, mapped, when it is the one the live manifest describes (so: scanned;
        size and mtime as the manifest says, as for the files an incremental build keeps) and,
        given `content` (digest, size), the manifest's entry has that content. Mapped, not read:
        a new file is made or compared from its pages (no copy of 75 MB first)."""
        prev = self.previous.get(rel)
        if prev is None or self._previous_root is None:
            return None
        if content is not None and (prev[0], prev[1]) != tuple(content):
            return None
        try:
            with open(self._previous_root + "/" + rel, "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_size != prev[1] or st.st_mtime_ns != prev[2] or not st.st_size:
                    return None
                return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None

    def live_bytes(self, rel: str, content: tuple[str, int]) -> mmap.mmap | None:
        """The live file `rel`, for a renderer that updates it: when the live manifest lists it
        with `content` (digest and size: the file this renderer wrote) and it is as the manifest
        says. Kept for this build's write of the file (`_put`), which needs it too."""
        data = self._map_live(rel, content)
        if data is not None:
            self._live[rel] = data
        return data

    def _same(self, rel: str, dg: str, size: int) -> ManifestEntry | None:
        """The live file's entry when it holds these bytes (and is as the manifest says)."""
        prev = self.previous.get(rel)
        # (digest, size, mtime_ns): a plain tuple when read back from the marshal manifest
        if prev is not None and prev[0] == dg and prev[1] == size and self._previous_root is not None:
            try:
                st = os.stat(self._previous_root + "/" + rel)
            except OSError:
                return None
            if st.st_size == size and st.st_mtime_ns == prev[2]:
                return prev
        return None

    def _carry(self, rel: str, full: str, dg: str, size: int, mtime_ns: int | None = None) -> ManifestEntry:
        """Give an unchanged file the live file's mtime; return its manifest entry."""
        prev = self._same(rel, dg, size)
        if prev is not None:
            st = os.stat(self._previous_root + "/" + rel)  # type: ignore[operator]
            os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns))
            return prev
        return ManifestEntry(dg, size, os.stat(full).st_mtime_ns if mtime_ns is None else mtime_ns)

    def claim(self, paths: Iterable[str]) -> None:
        """Files of the live output this build keeps as they are (incremental builds): their
        live manifest entries are this build's."""
        previous = self.previous
        paths = list(paths)
        claimed = dict(zip(paths, map(previous.__getitem__, paths), strict=True))  # 160,000 when all are kept
        if len(claimed) != len(paths) or not self.entries.keys().isdisjoint(claimed):
            rel = min(self.entries.keys() & claimed.keys(), default=None) or next(
                rel for i, rel in enumerate(paths) if rel in paths[:i]
            )
            raise FileOverwriteFailedError(f'"{rel}" written twice')
        self.entries.update(claimed)
        self._written_files.update(map((self._root + "/").__add__, claimed))

    # -- Pelican's path ------------------------------------------------------------
    def finish(self) -> dict[str, ManifestEntry]:
        """Record the files Pelican wrote itself (news, pages, theme static files)."""
        root = self._root
        cut = len(root) + 1
        for dirpath, dirs, names in os.walk(root):
            # folders we made hold only our files (debtors/<id>/ …): 100k of them, skip
            dirs[:] = [d for d in dirs if f"{dirpath}/{d}" not in self._dirs]
            for name in names:
                full = f"{dirpath}/{name}"
                rel = full[cut:]
                if rel in self.entries:
                    continue
                with open(full, "rb") as fh:
                    data = fh.read()
                entry = self.entries[rel] = self._carry(rel, full, digest(data), len(data))
                if self.keep_same and entry is self.previous.get(rel):
                    self.kept.append(rel)  # the live file's bytes: scanned when it was written
                else:
                    self.unscanned.append(rel)
        return self.entries

    def merge(self, entries: dict[str, ManifestEntry], leaks: list[Any] = (), kept: list[str] = ()) -> None:  # type: ignore[assignment]
        """Entries (and leaks found, files kept) of a forked worker with a copy of this writer."""
        self.leaks += leaks
        self.kept += kept
        for rel in entries:
            if rel in self.entries:
                raise FileOverwriteFailedError(f'"{rel}" written twice')
        self.entries.update(entries)
        for rel in entries:
            full = self._root + "/" + rel
            self._written_files.add(full)
            self._dirs.add(full.rpartition("/")[0])
