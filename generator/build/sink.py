"""Where rendered files go: the new generation's site folder, through the one fast path.

A renderer's `Lazy(path, inputs, make)` is made only when no kept build holds it: the memo
namespace "out" maps a path to (digest of its inputs → digest of the bytes `make` gave), and
the live generation's file list (the store's `files` table) says whether the live site holds
those bytes at that path. Both true: the live file is hard-linked into the new generation
(Whoosh-like: a build never writes into a file it did not create, so the link cannot change the
live site). Otherwise `make()` is called, its bytes written and scanned by the leak gate.

Files linked from the live generation were scanned by its leak gate; they are scanned again
(by the pipeline) when the gate's needles differ from the live build's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from generator.errors import BuildError
from generator.render.outputs import Lazy, Output, OutputFile
from generator.state.store import Namespace

MEMO = "out"


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Sink:
    """Writes one build's files under `root`; `entries` (path → digest of the bytes) becomes the
    generation's file list. `linked` lists the files taken from the live generation."""

    def __init__(
        self,
        root: Path,
        memo: Namespace,
        digest: Callable[..., str],
        live_root: Path | None = None,
        live_files: dict[str, str] | None = None,
        scan: Callable[[bytes, str], list[Any]] | None = None,
    ):
        self.root = str(root)
        self.memo = memo
        self.digest = digest
        self.live_root = str(live_root) if live_root is not None else None
        self.live_files = live_files or {}
        self.scan = scan
        self.entries: dict[str, str] = {}
        self.linked: list[str] = []
        self.leaks: list[Any] = []
        self.made = 0  # Lazy files made (their inputs changed, or no kept build had them)
        self.skipped = 0  # Lazy files taken from the live build without calling make
        self._dirs: set[str] = set()

    # -- the one fast path ---------------------------------------------------------
    def put(self, out: Output) -> None:
        if isinstance(out, OutputFile):
            self._write(out.path, out.data)
            return
        self._lazy(out)

    def put_all(self, outs: Iterable[Output]) -> int:
        n = 0
        for out in outs:
            self.put(out)
            n += 1
        return n

    def _lazy(self, out: Lazy) -> None:
        key = self.digest(out.inputs)
        made = self.memo.get(out.path, key, None)
        if made is not None and self.live_root is not None and self.live_files.get(out.path) == made:
            self._link(out.path, made)
            self.skipped += 1
            return
        data = out.make()
        self.made += 1
        self.memo.put(out.path, key, self._write(out.path, data))

    # -- files ---------------------------------------------------------------------
    def _full(self, rel: str) -> str:
        if not rel or rel.startswith("/") or "\\" in rel or ".." in rel.split("/"):
            raise BuildError(f"输出路径不合法：{rel!r}")
        if rel in self.entries:
            raise BuildError(f"两个输出要写到同一个文件：{rel}")
        full = self.root + "/" + rel
        parent = full.rpartition("/")[0]
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        return full

    def _write(self, rel: str, data: bytes) -> str:
        """Write `data` at `rel`, scanned; the live file itself when it holds the same bytes (its
        mtime kept, for rsync and caches)."""
        dg = file_digest(data)
        if self.live_root is not None and self.live_files.get(rel) == dg:
            self._link(rel, dg)
            return dg
        full = self._full(rel)
        if self.scan is not None:
            self.leaks += self.scan(data, rel)
        try:
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # Pelican wrote it (a news or page slug): never overwritten
            raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{rel}") from None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.entries[rel] = dg
        return dg

    def _link(self, rel: str, dg: str) -> None:
        full = self._full(rel)
        assert self.live_root is not None
        try:
            os.link(self.live_root + "/" + rel, full)
        except FileExistsError:
            raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{rel}") from None
        self.entries[rel] = dg
        self.linked.append(rel)

    def adopt(self, rel: str) -> None:
        """A file written under `root` by someone else (Pelican's news, pages, theme files); the
        live file in its place when it holds the same bytes (its mtime kept)."""
        full = self.root + "/" + rel
        with open(full, "rb") as fh:
            data = fh.read()
        dg = file_digest(data)
        if self.live_root is not None and self.live_files.get(rel) == dg:
            tmp = full + ".chenglai-link"
            os.link(self.live_root + "/" + rel, tmp)
            os.replace(tmp, full)
            self.linked.append(rel)
        elif self.scan is not None:
            self.leaks += self.scan(data, rel)
        self.entries[rel] = dg

    def merge(self, entries: dict[str, str], linked: list[str], leaks: list[Any], made: int, skipped: int) -> None:
        """What a forked worker's sink wrote."""
        clash = self.entries.keys() & entries.keys()
        if clash:
            raise BuildError(f"两个输出要写到同一个文件：{min(clash)}")
        self.entries.update(entries)
        self.linked += linked
        self.leaks += leaks
        self.made += made
        self.skipped += skipped
