"""Where rendered files go: the new generation's site folder, through the one fast path.

A renderer's `Lazy(path, inputs, make)` is made only when no kept build holds it: the memo
namespace "out" maps a path to (digest of its inputs → digest of the bytes `make` gave). When
the memo holds the digest of this build's inputs, the bytes are those, and a kept build that has
them at that path gives the file without calling `make`:

- the **spare** generation (the oldest kept one, renamed to be this build's folder: its folders
  and files are already in place) when it holds those bytes: nothing to do at all;
- else the **live** generation: its file hard-linked in.

Otherwise `make()` is called, its bytes written and scanned by the leak gate. A file of the spare
is never written into (it may be a hard link shared with the live build): it is unlinked first,
and what this build does not make is unlinked at the end (`clean`).

Files taken from a kept build were scanned by that build's leak gate; the pipeline scans them
again when its needles differ from that build's.
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
    generation's file list. `kept` lists the spare's files left in place, `linked` the files
    taken from the live generation."""

    def __init__(
        self,
        root: Path,
        memo: Namespace,
        digest: Callable[..., str],
        live_root: Path | None = None,
        live_files: dict[str, str] | None = None,
        scan: Callable[[bytes, str], list[Any]] | None = None,
        spare_files: dict[str, str] | None = None,
    ):
        self.root = str(root)
        self.memo = memo
        self.digest = digest
        self.live_root = str(live_root) if live_root is not None else None
        self.live_files = live_files or {}
        self.spare_files = spare_files or {}  # what `root` holds from the recycled generation
        self.scan = scan
        self.entries: dict[str, str] = {}
        self.kept: list[str] = []
        self.linked: list[str] = []
        self.leaks: list[Any] = []
        self.made = 0  # Lazy files made (their inputs changed, or no kept build had them)
        self.skipped = 0  # Lazy files taken from a kept build without calling make
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
        if made is not None and self._take(out.path, made):
            self.skipped += 1
            return
        data = out.make()
        self.made += 1
        self.memo.put(out.path, key, self._write(out.path, data))

    def _take(self, rel: str, dg: str) -> bool:
        """The file with bytes `dg` from a kept build, if one has it at `rel`."""
        if self.spare_files.get(rel) == dg:
            self._claim(rel)
            self.entries[rel] = dg
            self.kept.append(rel)
            return True
        if self.live_root is not None and self.live_files.get(rel) == dg:
            full = self._fresh(rel)
            try:
                os.link(self.live_root + "/" + rel, full)
            except FileExistsError:
                raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{rel}") from None
            self.entries[rel] = dg
            self.linked.append(rel)
            return True
        return False

    # -- files ---------------------------------------------------------------------
    def _claim(self, rel: str) -> None:
        if not rel or rel.startswith("/") or "\\" in rel or ".." in rel.split("/"):
            raise BuildError(f"输出路径不合法：{rel!r}")
        if rel in self.entries:
            raise BuildError(f"两个输出要写到同一个文件：{rel}")

    def _fresh(self, rel: str) -> str:
        """The full path of `rel`, its folder made, and no file of the spare there."""
        self._claim(rel)
        full = self.root + "/" + rel
        if rel in self.spare_files:
            os.unlink(full)  # never written into: it may be the live build's file too
        else:
            parent = full.rpartition("/")[0]
            if parent not in self._dirs:
                os.makedirs(parent, exist_ok=True)
                self._dirs.add(parent)
        return full

    def _write(self, rel: str, data: bytes) -> str:
        """Write `data` at `rel`, scanned; a kept build's file when it holds the same bytes (its
        mtime kept, for rsync and caches)."""
        dg = file_digest(data)
        if self._take(rel, dg):
            return dg
        full = self._fresh(rel)
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

    def adopt(self, rel: str, source: str) -> None:
        """A file someone else wrote at `source` (Pelican's news, pages, theme files), moved in at
        `rel`; a kept build's file in its place when it holds the same bytes."""
        if rel in self.entries:
            raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{rel}")
        with open(source, "rb") as fh:
            data = fh.read()
        dg = file_digest(data)
        if self._take(rel, dg):
            os.unlink(source)
            return
        full = self._fresh(rel)
        if self.scan is not None:
            self.leaks += self.scan(data, rel)
        os.rename(source, full)
        self.entries[rel] = dg

    def merge(self, entries: dict[str, str], kept: list[str], linked: list[str], leaks: list[Any], made: int,
              skipped: int) -> None:  # fmt: skip
        """What a forked worker's sink wrote."""
        clash = self.entries.keys() & entries.keys()
        if clash:
            raise BuildError(f"两个输出要写到同一个文件：{min(clash)}")
        self.entries.update(entries)
        self.kept += kept
        self.linked += linked
        self.leaks += leaks
        self.made += made
        self.skipped += skipped

    def clean(self) -> None:
        """Unlink what the spare held and this build did not make, and the folders left empty."""
        folders: set[str] = set()
        for rel in self.spare_files.keys() - self.entries.keys():
            try:
                os.unlink(self.root + "/" + rel)
            except FileNotFoundError:
                pass
            folders.add(rel.rpartition("/")[0])
        # deepest first: debtors/<id>/notice/ before debtors/<id>/
        every = {"/".join(f.split("/")[: i + 1]) for f in folders if f for i in range(f.count("/") + 1)}
        for folder in sorted(every, key=lambda f: f.count("/"), reverse=True):
            try:
                os.rmdir(self.root + "/" + folder)
            except OSError:
                pass  # not empty: this build has files there
