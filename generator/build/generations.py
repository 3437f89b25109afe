"""Generations: each build in a folder of its own, made live by one atomic switch.

    <state>/generations/<gen>/site/     the site of one build
    <state>/generations/<gen>/index/    its search index
    <output>  →  <state>/generations/<gen>/site      (a symbolic link)

The output path is a link to the live generation's site; the search service finds the index
beside it (generator.state.paths.index_dir). Replacing the link (a new link renamed over the
old one: one rename(2)) is the build's single commit point: site and search index switch
together, and the store's rows about a generation are only ever used once it is live. A crash
at any moment leaves either the previous build or the new one whole; the next build only
removes what no link points at. The previous generation is kept for `chenglai rollback`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.errors import BuildError
from generator.state import paths

_NAME = re.compile(r"g(\d{6,})")
_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class Generation:
    name: str  # g000042
    path: Path

    @property
    def site(self) -> Path:
        return self.path / "site"

    @property
    def index(self) -> Path:
        return self.path / "index"

    @property
    def pelican(self) -> Path:
        """Where Pelican writes during the build (moved into `site` after it)."""
        return self.path / "pelican"

    @property
    def number(self) -> int:
        m = _NAME.fullmatch(self.name)
        return int(m.group(1)) if m else 0


class Generations:
    """The generations of one output path."""

    def __init__(self, output: Path, state: Path):
        self.output = Path(os.path.abspath(output))
        self.state = state
        self.root = paths.generations_dir(state)

    # -- what is there -------------------------------------------------------------
    def all(self) -> list[Generation]:
        if not self.root.is_dir():
            return []
        found = [Generation(p.name, p) for p in self.root.iterdir() if _NAME.fullmatch(p.name) and p.is_dir()]
        return sorted(found, key=lambda g: g.number)

    def live(self) -> Generation | None:
        """The generation the output link points at (None: none yet, or an old-style folder)."""
        if not self.output.is_symlink():
            return None
        target = Path(os.path.realpath(self.output))
        if target.name != "site" or target.parent.parent != Path(os.path.realpath(self.root)):
            return None
        gen = Generation(target.parent.name, self.root / target.parent.name)
        return gen if gen.site.is_dir() else None

    def older(self, than: Generation | None) -> list[Generation]:
        """The generations older than `than` (all when None), newest first."""
        return [g for g in reversed(self.all()) if than is None or g.number < than.number]

    def previous(self) -> Generation | None:
        """The newest kept generation older than the live one (what rollback restores)."""
        older = self.older(self.live())
        return older[0] if older else None

    def spare(self, live: Generation | None, complete: list[str]) -> Generation | None:
        """The generation a new build may recycle: the oldest complete one (`complete`: the names
        whose file lists the store holds) that is neither live nor the previous one (rollback)."""
        keep = {g.name for g in [live, *self.older(live)[:1]] if g is not None}
        candidates = [g for g in self.all() if g.name in complete and g.name not in keep]
        return candidates[0] if candidates else None

    # -- a new build ---------------------------------------------------------------
    def new(self, recycle: Generation | None = None) -> Generation:
        """A generation folder numbered after every existing one: empty, or `recycle` renamed
        (its site's folders and files left in place for the build to keep or replace)."""
        self.root.mkdir(parents=True, exist_ok=True)
        number = max((g.number for g in self.all()), default=0) + 1
        gen = Generation(f"g{number:06d}", self.root / f"g{number:06d}")
        if recycle is not None:
            os.rename(recycle.path, gen.path)
            shutil.rmtree(gen.pelican, ignore_errors=True)  # a build killed while Pelican wrote
        else:
            gen.path.mkdir()
        gen.site.mkdir(exist_ok=True)
        gen.index.mkdir(exist_ok=True)
        gen.pelican.mkdir()
        return gen

    def switch(self, gen: Generation) -> None:
        """Make `gen` live: the commit point. A new link renamed over the output link (atomic);
        an old-style output folder is exchanged with the link once (renameat2), then removed."""
        target = os.path.relpath(gen.site, self.output.parent)
        tmp = self.output.with_name(f".{self.output.name}.link-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        try:
            if self.output.is_dir() and not self.output.is_symlink():
                _exchange(tmp, self.output)  # tmp now names the old folder
                self.discard(tmp)
            else:
                os.replace(tmp, self.output)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.output.parent)

    def prune(self, keep: list[Generation]) -> None:
        """Remove every generation but `keep` (a crashed build's, and older ones)."""
        names = {g.name for g in keep}
        for gen in self.all():
            if gen.name not in names:
                self.discard(gen.path)

    def discard(self, path: Path) -> None:
        """Remove a folder without waiting: renamed into <state>/trash/ at once, deleted there by a
        background `rm -rf` (a generation is 160,000 files at 100,000 records)."""
        if not os.path.lexists(path):
            return
        trash = self.state / "trash"
        trash.mkdir(parents=True, exist_ok=True)
        target = trash / f"{path.name}.{os.getpid()}.{time.monotonic_ns()}"
        os.rename(path, target)
        try:  # the shell returns at once; rm carries on, adopted by init
            subprocess.run(
                ["sh", "-c", 'rm -rf -- "$1" &', "sh", str(target)], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, check=False,
            )  # fmt: skip
        except OSError:
            shutil.rmtree(target, ignore_errors=True)

    def remove_now(self, gen: Generation) -> None:
        shutil.rmtree(gen.path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> None:
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is not None and renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return
    err = ctypes.get_errno() if renameat2 is not None else errno.ENOSYS
    if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        raise OSError(err, os.strerror(err), str(b))
    # no atomic exchange here: the output is missing between the two renames (once, ever)
    old = b.with_name(b.name + ".old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(state: Path) -> Iterator[None]:
    """One build (or rollback) at a time per output."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "a") as fh:  # (appending changes nothing: a failed build leaves no trace)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"另一个构建正在进行（{state / 'lock'}）；请等待其结束") from None
        yield
