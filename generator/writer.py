"""Pelican's writer with a fast path for bytes we render, and a manifest of every file.

Every file of the output is recorded with its digest, size and mtime. A file whose bytes
equal the live output's (same digest as the previous manifest, and the live file still
has the size and mtime the manifest says) gets the live file's mtime: rsync and object
store syncs then skip it. Pelican's own pages (news, static pages, theme files) are written
by Pelican and recorded afterwards by `finish()`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pelican.writers import FileOverwriteFailedError, Writer

from .outputs import OutputFile
from .plan import PLAN_KEY, BuildPlan, ManifestEntry


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class PortalWriter(Writer):
    """Writer handed out by the plugin through Pelican's `get_writer` signal."""

    def __init__(self, output_path: str, settings: dict[str, Any] | None = None):
        super().__init__(output_path, settings)
        self.plan: BuildPlan | None = (settings or {}).get(PLAN_KEY)
        self.previous = self.plan.previous_manifest() if self.plan else {}
        prev = self.plan.previous_output if self.plan else None
        self._previous_root = str(prev) if prev is not None else None
        self.entries: dict[str, ManifestEntry] = {}
        self._dirs: set[str] = set()
        self._root = os.path.abspath(output_path)
        if self.plan is not None:
            self.plan.writer = self  # type: ignore[attr-defined]

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
        parent = full.rpartition("/")[0]
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        dg = digest(data)
        with open(full, "wb") as fh:
            fh.write(data)
        return self._carry(rel, full, dg, len(data))

    def _carry(self, rel: str, full: str, dg: str, size: int) -> ManifestEntry:
        """Give an unchanged file the live file's mtime; return its manifest entry."""
        prev = self.previous.get(rel)
        if prev is not None and prev.digest == dg and prev.size == size and self._previous_root is not None:
            try:
                st = os.stat(self._previous_root + "/" + rel)
            except OSError:
                st = None
            if st is not None and st.st_size == size and st.st_mtime_ns == prev.mtime_ns:
                os.utime(full, ns=(st.st_atime_ns, st.st_mtime_ns))
                return prev
        return ManifestEntry(dg, size, os.stat(full).st_mtime_ns)

    # -- Pelican's path ------------------------------------------------------------
    def finish(self) -> dict[str, ManifestEntry]:
        """Record the files Pelican wrote itself (news, pages, theme static files)."""
        root = Path(self._root)
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if rel in self.entries:
                continue
            data = path.read_bytes()
            self.entries[rel] = self._carry(rel, str(path), digest(data), len(data))
        return self.entries

    def merge(self, entries: dict[str, ManifestEntry]) -> None:
        """Entries written by a forked worker with a copy of this writer."""
        for rel in entries:
            if rel in self.entries:
                raise FileOverwriteFailedError(f'"{rel}" written twice')
        self.entries.update(entries)
        self._written_files.update(self._root + "/" + rel for rel in entries)
