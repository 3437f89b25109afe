"""`build_site`: check, render into staging, leak gate, count-drop guard, atomic swap.

Layout beside the output folder (generator.state.paths):

    <parent>/<output>/                       the live site
    <parent>/.chenglai-state/<output>/
        index/                               the live search index
        build/                               the live build's state: manifest.json, build.json,
                                             renderers' state files (RenderContext.state)
        staging/{site,index,build}/          this build, until it is swapped in
        previous/{site,index,build}/         the build before the live one (rollback)
        lock                                 one build at a time

A content error stops before anything is written. Staging is separate from the live site
and swapped in by rename (Linux renameat2 RENAME_EXCHANGE: the live folder is never
missing), so a crash or kill mid-build leaves the previous site as it was; the next build
clears the leftover staging folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import gc
import io
import json
import logging
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from generator.build import leakcheck
from generator.build.incremental import JOURNAL, Session, apply
from generator.domain.policy import PublicView
from generator.errors import BuildError, UsageError
from generator.read.plan import (
    BUILD_INFO,
    BUILD_STATE,
    MANIFEST,
    MANIFEST_DELTA,
    MANIFEST_FAST,
    PLAN_KEY,
    BuildPlan,
    ManifestDiff,
    as_of_from,
    load_view,
    manifest_diff,
    share_file,
    write_manifest,
)
from generator.settings import portal_settings
from generator.state import paths


@dataclass
class BuildResult:
    output: Path
    index: Path
    view: PublicView
    as_of: date
    public: int
    notices: int
    files_written: int  # new or changed files
    files_unchanged: int  # same bytes as the live site: mtime kept
    files_removed: int  # in the live site, not in this build
    seconds: float
    state: Path
    phases: dict[str, float]  # wall seconds per step: check, render, leak_gate, swap
    # (and the parts of render: pages — our site pages and sitemaps —, renderers, index)
    cpu: dict[str, float]  # CPU seconds per step, this process and its (finished) workers
    incremental: bool = False  # only what changed was rendered and applied (generator.build.incremental)
    parsed: int = 0  # record files parsed (the others came from the parse cache)


# -- settings -----------------------------------------------------------------------
def read_settings(settings_path: str | os.PathLike[str], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pelican's read_settings, with a Chinese message for a missing file."""
    from pelican.settings import read_settings as pelican_read_settings

    path = Path(settings_path)
    if not path.is_file():
        raise UsageError(f"找不到设置文件：{path}（在站点目录运行，或用 -s 指定）")
    settings = pelican_read_settings(str(path.resolve()), override=dict(overrides or {}))
    portal_settings(settings)  # unknown or bad PORTAL_* settings: usage error, before any work
    return settings


# -- directory swaps ------------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> None:
    """Atomically swap two existing paths (renameat2 RENAME_EXCHANGE); falls back to two renames."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), str(a))
    # not atomic: b is missing for the time between the two renames
    tmp = a.with_name(a.name + ".swap")
    os.rename(b, tmp)
    os.rename(a, b)
    os.rename(tmp, a)


def install(new: Path, live: Path) -> None:
    """Put `new` at `live`; the old `live` (if any) ends up at `new`'s path."""
    try:
        if live.exists():
            exchange(new, live)
        else:
            live.parent.mkdir(parents=True, exist_ok=True)
            os.rename(new, live)
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            raise BuildError(
                f"状态目录与 {live} 不在同一文件系统，无法原子替换：请把 PORTAL_STATE_PATH 设在输出目录所在的磁盘上"
            ) from None
        raise


@contextlib.contextmanager
def locked(state: Path) -> Iterator[None]:
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"另一个构建正在进行（{state / 'lock'}）；请等待其结束") from None
        yield


# -- Pelican, quietly ---------------------------------------------------------------
class _Errors(logging.Handler):
    """Pelican logs (and skips) a news or page file it cannot read: for us that fails the build."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_pelican(settings: dict[str, Any]) -> None:
    from pelican import Pelican
    from pelican.writers import FileOverwriteFailedError

    handler = _Errors()
    logger = logging.getLogger("pelican")
    logger.addHandler(handler)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Pelican's "Done: Processed …" line
            Pelican(settings).run()
    except FileOverwriteFailedError as exc:  # e.g. a static page with the slug "debtors"
        raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{exc}") from None
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise BuildError("Pelican 处理新闻或页面时出错：\n  " + "\n  ".join(handler.messages))


# -- guards -------------------------------------------------------------------------
def leak_gate(settings: dict[str, Any], plan: BuildPlan, index: Path | None) -> None:
    """What the writer found while writing, plus Pelican's own files and the index."""
    from generator.build.plugin import make_gate

    assert plan.view is not None
    writer = plan.writer
    if writer is None or (writer.gate_factory is None and writer.gate is None):  # not ours: scan the whole tree
        leakcheck.check(make_gate(settings, plan.view), plan.output, index, portal_settings(settings)["PORTAL_JOBS"])
        return
    leaks = list(writer.leaks)
    if writer.unscanned:
        leaks += writer.gate.scan_files(plan.output, writer.unscanned)
    session = plan.session
    if session is not None and session.incremental:
        # the files kept from the live build, only for what became withheld since; new search
        # documents were scanned as they were added (generator.build.incremental)
        leaks += session.leaks
        delta = session.delta_gate(settings, plan.view)
        if delta is not None:
            leaks += session.scan_claimed(delta, writer.kept, portal_settings(settings)["PORTAL_JOBS"])
        if index is not None and not session.index_scanned:
            leaks += leakcheck.scan_index(writer.gate, index)
        elif index is not None and delta is not None:
            leaks += leakcheck.scan_index(delta, index)
    elif index is not None:
        leaks += leakcheck.scan_index(writer.gate, index)
    leakcheck.report(leaks)


def drop_guard(settings: dict[str, Any], plan: BuildPlan, allow_drop: bool) -> None:
    """Refuse a build whose public count fell by more than PORTAL_MAX_DROP, unless allowed."""
    assert plan.view is not None
    before = plan.previous_info().get("public")
    now = len(plan.view.public)
    max_drop = float(portal_settings(settings)["PORTAL_MAX_DROP"])
    if allow_drop or not isinstance(before, int) or before <= 0:
        return
    if now < before * (1 - max_drop):
        raise BuildError(
            f"公开记录数从上次的 {before} 条降至 {now} 条（下降 {100 * (before - now) / before:.1f}%），"
            f"超过 PORTAL_MAX_DROP={max_drop:g}；线上站点未改变。"
            "若确属正常（如批量删除），请用 chenglai build --allow-drop 重新构建"
        )


def write_state(plan: BuildPlan, diff: ManifestDiff | None = None) -> None:
    """The build state: manifest, the session's state, build.json. `diff`: manifest_diff of
    plan.manifest and plan.previous_manifest(), when the caller has it."""
    assert plan.view is not None
    plan.state.mkdir(parents=True, exist_ok=True)
    same = plan.manifest == plan.previous_manifest() if diff is None else not (diff.changed or diff.removed)
    if plan.previous_state is not None and same:
        # 160,000 entries, the same (links keep the files' mtimes: the fast copy stays the newer)
        for name in (MANIFEST, MANIFEST_FAST, MANIFEST_DELTA):
            if (plan.previous_state / name).is_file() and not (plan.state / name).exists():  # (kept: linked)
                share_file(plan.previous_state / name, plan.state / name)
    else:
        previous = plan.previous_state / MANIFEST if plan.previous_state is not None else None
        write_manifest(plan.state / MANIFEST, plan.manifest, previous, plan.previous_manifest(), diff)  # patched
    if plan.session is not None:
        plan.session.save(plan.state)
    info = {"as_of": plan.view.as_of.isoformat(), "public": len(plan.view.public), "notices": len(plan.view.notices)}
    (plan.state / BUILD_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def discard(path: Path, state: Path) -> None:
    """Remove a folder without waiting: renamed into <state>/trash/ at once, deleted there by a
    background `rm -rf` (the rollback copy of a full build is 160,000 files at 100,000 records:
    tens of seconds of disk work that no build needs to wait for)."""
    if not path.exists():
        return
    trash = state / "trash"
    trash.mkdir(exist_ok=True)
    target = trash / f"{path.name}.{os.getpid()}.{time.monotonic_ns()}"
    os.rename(path, target)
    try:  # the shell returns at once; rm carries on, adopted by init (no zombie, nothing to wait for)
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$1" &', "sh", str(target)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, check=False,
        )  # fmt: skip
    except OSError:  # no shell: the folder stays in trash/ (never published, never read)
        pass


def _discard_or_remove(path: Path, state: Path) -> None:
    try:
        discard(path, state)
    except OSError:
        _rmtree(path)


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def commit_in_place(plan: BuildPlan, settings: dict[str, Any]) -> None:
    """End of a plain `pelican content` run: leak gate, then the index and state go live."""
    leak_gate(settings, plan, plan.index)
    write_state(plan)
    state = paths.state_dir(plan.output, settings.get("PORTAL_STATE_PATH"))
    for new, live in ((plan.index, state / "index"), (plan.state, state / BUILD_STATE)):
        install(new, live)
        _rmtree(new)


def release_memory() -> None:
    """The parse cache and the parsed records are gone: give their memory back to the system
    before a full build (its forked workers start smaller, and so does the peak of what follows).
    Not before an incremental one (0.2 s of walking the heap at 100,000 records): it forks
    little, and its peak is the check's."""
    trim = getattr(_libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# -- the build ----------------------------------------------------------------------
def build_site(
    settings_path: str | os.PathLike[str] = "pelicanconf.py",
    output: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    allow_drop: bool = False,
    overrides: dict[str, Any] | None = None,
    drafts_ok: bool = False,
    incremental: bool = True,
) -> BuildResult:
    """Build the site and search index; the live output changes only if every check passes.

    `incremental=False` renders everything even when the live build would allow less."""
    started = time.perf_counter()
    over = dict(overrides or {})
    if output is not None:
        over["OUTPUT_PATH"] = str(Path(output).resolve())
    settings = read_settings(settings_path, over)
    live = Path(settings["OUTPUT_PATH"]).resolve()
    state = paths.state_dir(live, settings.get("PORTAL_STATE_PATH"))
    day = as_of_from(settings, as_of)
    phases: dict[str, float] = {}
    cpu: dict[str, float] = {}
    mark, cpu_mark = started, _cpu_seconds()

    def lap(name: str) -> None:
        nonlocal mark, cpu_mark
        now, cpu_now = time.perf_counter(), _cpu_seconds()
        phases[name], cpu[name] = now - mark, cpu_now - cpu_mark
        mark, cpu_mark = now, cpu_now

    counts: dict[str, int] = {}
    collecting = gc.isenabled()
    gc.disable()  # 100,000 records make millions of objects, none in cycles
    try:
        view = load_view(settings, day, drafts_ok, counts)  # content errors: raised here, nothing written
        # the records and the view live as long as the build: out of the collector's sight (else
        # re-enabling it scans every object made meanwhile: a second at 100,000 records)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    parsed = counts.get("parsed", 0)
    lap("check")
    try:
        return _build(settings, live, state, day, view, parsed, allow_drop, drafts_ok, incremental, started, phases,
                      cpu, lap)  # fmt: skip
    finally:
        gc.unfreeze()


def _build(
    settings: dict[str, Any], live: Path, state: Path, day: date, view: PublicView, parsed: int, allow_drop: bool,
    drafts_ok: bool, incremental: bool, started: float, phases: dict[str, float], cpu: dict[str, float], lap: Any,
) -> BuildResult:  # fmt: skip

    with locked(state):
        staging = state / "staging"
        _rmtree(staging)  # a crashed build's leftovers
        live_state = state / BUILD_STATE
        live_index = paths.index_dir(live, settings.get("PORTAL_STATE_PATH"))
        if incremental:
            session = Session.open(state, live, live_state if live_state.is_dir() else None, live_index)
        else:
            session = Session(None, None, None)
        if session.base is None:
            release_memory()
        plan = BuildPlan(
            output=staging / "site",
            index=staging / "index",
            state=staging / BUILD_STATE,
            previous_output=live if live.is_dir() else None,
            previous_state=live_state if live_state.is_dir() else None,
            view=view,
            as_of=day,
            drafts_ok=drafts_ok,
            session=session,
        )
        for folder in (plan.output, plan.index, plan.state):
            folder.mkdir(parents=True)
        previous_manifest = plan.previous_manifest()
        settings["OUTPUT_PATH"] = str(plan.output)
        settings[PLAN_KEY] = plan
        done = False
        try:
            run_pelican(settings)
            lap("render")
            leak_gate(settings, plan, plan.index)
            lap("leak_gate")
            drop_guard(settings, plan, allow_drop)
            # what differs from the live build, once: for the manifest, the apply and the counts
            diff = manifest_diff(plan.manifest, previous_manifest)
            write_state(plan, diff)
            previous = state / "previous"
            discard(previous, state)
            previous.mkdir()
            journal = state / JOURNAL  # there while an apply runs: a crash then means a full build next
            if session.incremental:
                # the changed files replace the live ones in place; the replaced go to previous/delta
                apply(plan.output, live, plan.manifest, previous_manifest, previous / "delta", journal, diff)
                swaps = [("index", plan.index, live_index), (BUILD_STATE, plan.state, live_state)]
            else:
                _retain(settings, live, plan.output)
                # swap: site first (what the public sees), then index and state
                swaps = [
                    ("site", plan.output, live),
                    ("index", plan.index, live_index),
                    (BUILD_STATE, plan.state, live_state),
                ]
            for name, new, target in swaps:
                existed = target.exists()
                install(new, target)
                if existed:
                    os.rename(new, previous / name)
            journal.unlink(missing_ok=True)  # a full build replaced a half-applied site too
            done = True
        finally:
            if done:  # what is left (an incremental build's emptied folders): removed in the background
                _discard_or_remove(staging, state)
            else:
                _rmtree(staging)
        lap("swap")
    phases.update({f"render.{k}": v for k, v in plan.timings.items()})

    unchanged = len(plan.manifest) - len(diff.changed)
    return BuildResult(
        output=live,
        index=paths.index_dir(live, settings.get("PORTAL_STATE_PATH")),
        view=view,
        as_of=day,
        public=len(view.public),
        notices=len(view.notices),
        files_written=len(plan.manifest) - unchanged,
        files_unchanged=unchanged,
        files_removed=len(diff.removed),
        seconds=time.perf_counter() - started,
        state=state,
        phases=phases,
        cpu=cpu,
        incremental=session.incremental,
        parsed=parsed,
    )


def _retain(settings: dict[str, Any], live: Path, staging: Path) -> None:
    """OUTPUT_RETENTION entries (e.g. .git of a deploy checkout) follow the live site."""
    for name in settings.get("OUTPUT_RETENTION") or []:
        src = live / name
        if src.exists() and not (staging / name).exists():
            if src.is_dir():
                shutil.copytree(src, staging / name, symlinks=True, copy_function=shutil.copy2)
            else:
                shutil.copy2(src, staging / name)
