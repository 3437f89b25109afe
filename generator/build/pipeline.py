"""`build_site`: check, render into a new generation, leak gate, count-drop guard, one switch.

    records ─► read.view.load_view (check; parse memoised by content) ─► policy.decide ─► view
    view ─► renderers (through the Sink: a file is made only when its inputs changed) + index
    new generation ─► leak gate (needles from this build's decide) ─► drop guard
    store: one transaction ─► switch of the output link (the commit point) ─► prune

A content error stops before anything is written. Nothing is written into the live generation:
a crash or kill at any moment leaves the previous build whole and live (generator.build.
generations). `full=True` reads no memo and links nothing: the reference build.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import resource
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from generator import progress
from generator.build import leakcheck
from generator.build.forked import Forked
from generator.build.generations import Generation, Generations, locked
from generator.build.sink import MEMO, Sink
from generator.build.workers import run_jobs
from generator.domain.certificates import key_id
from generator.domain.policy import PublicView
from generator.errors import BuildError, PortalError, UsageError, machine_error
from generator.read.checker import no_gc
from generator.read.view import as_of_from, content_digest, library_versions, load_view
from generator.render.outputs import RenderContext, indexer, renderers
from generator.settings import certificate_secret, portal_settings
from generator.state import paths
from generator.state.store import FILE, Store, digest_of, forget_digests, gen_key

log = logging.getLogger(__name__)
# From this many public records the index is written in a forked process while pages render.
INDEX_PROCESS_MIN_RECORDS = 4000
BUILD_ATTR = "chenglai_build"  # the Build, on the Pelican object (never inside the settings dict)
# The Build a `chenglai build` is about to hand to Pelican: Pelican sends `initialized` from its
# constructor, before the Build can be set on the new Pelican object (generator.build.plugin).
PENDING: contextvars.ContextVar[Build | None] = contextvars.ContextVar("chenglai_pending_build", default=None)
_PLAIN = (str, int, float, bool, type(None))


@dataclass
class BuildResult:
    output: Path
    index: Path
    view: PublicView
    as_of: date
    public: int
    notices: int
    files_written: int  # files made this build
    files_unchanged: int  # files taken from the live build (hard links)
    files_removed: int  # in the live build, not in this one
    seconds: float
    state: Path
    phases: dict[str, float]  # wall seconds per step: check, render, leak_gate, commit (+ render.*)
    cpu: dict[str, float]
    incremental: bool = False  # a file's inputs were found unchanged: taken from the live build
    rendered: int = 0  # files our renderers made (the others were taken from the live build)
    parsed: int = 0  # record files parsed (the others came from the store)
    generation: str = ""
    unchanged: bool = False  # made from the same inputs as the live build: nothing was done


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


def fingerprint(settings: dict[str, Any], site_pages: list[dict[str, str]], version: str) -> str:
    """What every output depends on besides its own inputs: code, theme files, plain settings
    and the static pages' menu."""
    h = hashlib.blake2b(version.encode(), digest_size=16)
    theme = Path(settings["THEME"])
    for path in sorted(p for p in theme.rglob("*") if p.is_file()):
        h.update(path.relative_to(theme).as_posix().encode() + b"\0" + path.read_bytes())
    plain = {k: v for k, v in settings.items() if k != "OUTPUT_PATH" and _is_plain(v)}
    return digest_of(h.hexdigest(), sorted(plain.items()), site_pages)


def _is_plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return isinstance(value, date)


def build_inputs(
    settings: dict[str, Any], as_of: date, drafts_ok: bool, store: Store, shas: dict[str, str] | None = None,
    cert_key: str = "",
) -> str:
    """A digest of everything a build is made from: every content file, the date, the settings,
    the theme, the code and the certificate key's id (`cert_key`, certificates.key_id; "" when
    unset): the build is deterministic: the same inputs give the same bytes."""
    from generator.render import outputs  # (its lists name the code that renders: part of the code)

    content = Path(settings["PATH"])
    return digest_of(content_digest(content, store, shas), as_of, drafts_ok, fingerprint(settings, [], store.version),
                     library_versions(), outputs.RENDERERS, outputs.INDEXER, cert_key)  # fmt: skip


def needles_digest(view: PublicView) -> str:
    """What the leak gate searches for (policy.decide's withheld names and case numbers)."""
    return digest_of(sorted(view.withheld_names), sorted(view.withheld_case_numbers))


def _cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_gate(settings: dict[str, Any], view: PublicView) -> leakcheck.LeakGate:
    """The leak gate of a view: its needles are decide's withheld strings; the theme's own words
    are not a leak (news text is: a news article naming a removed debtor is one)."""
    theme = [p.read_text(encoding="utf-8") for p in sorted(Path(settings["THEME"], "templates").rglob("*.html"))]
    return leakcheck.LeakGate(view, [*theme, settings.get("SITENAME", "")])


# -- one build ----------------------------------------------------------------------
@dataclass
class Build:
    settings: dict[str, Any]
    output: Path  # the output link
    state: Path
    as_of: date
    view: PublicView
    store: Store
    gens: Generations
    gen: Generation
    live: Generation | None  # the live generation files may be taken from (None: a full build)
    live_any: Generation | None  # the live generation, even on a full build (drop guard, history)
    spare_files: dict[str, str]  # what the recycled generation left in this one's site (path → digest)
    spare_needles: str  # the leak gate's needles when those files were scanned
    full: bool
    allow_drop: bool
    started: float
    parsed: int
    stack: contextlib.ExitStack
    phases: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    sink: Sink | None = None
    gate: leakcheck.LeakGate | None = None
    index_docs: dict[str, str] = field(default_factory=dict)
    index_leaks: list[Any] = field(default_factory=list)
    recorded: dict[str, Any] = field(default_factory=dict)
    finish_in_finalized: bool = False
    inputs: str = ""  # digest of everything the build is made from (`build_inputs`)
    # CHENGLAI_CERT_SECRET, read once: the /verify/ pages (None: none); kept in memory only
    cert_secret: bytes | None = field(default=None, repr=False)
    unchanged: bool = False  # the live build was made from the same inputs: nothing to do
    _mark: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def start(
        cls, settings: dict[str, Any], as_of: date | None = None, drafts_ok: bool = False, full: bool = False,
        allow_drop: bool = False, may_skip: bool = False,
    ) -> Build:  # fmt: skip
        """Take the lock; when `may_skip` and the live build was made from the same inputs, a
        Build with `unchanged` set and nothing else done. Else check the records and decide the
        view (ContentErrors: nothing written), then make the new generation folder."""
        started = time.perf_counter()
        mark = (started, _cpu_seconds())
        output = Path(os.path.abspath(settings["OUTPUT_PATH"]))
        state = paths.state_dir(output, settings.get("PORTAL_STATE_PATH"))
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(locked(state))
            store = Store(state / FILE, reading=not full)
            stack.callback(store.close)
            day = as_of_from(settings, as_of)
            gens = Generations(output, state)
            live = gens.live()
            shas: dict[str, str] = {}  # content files' sha256, taken once for both steps
            secret = certificate_secret()
            cert_key = key_id(secret) if secret is not None else ""
            inputs = "" if full else build_inputs(settings, day, drafts_ok, store, shas, cert_key)
            if may_skip and live is not None and inputs and store.meta(gen_key(live.name, "inputs")) == inputs:
                build = cls(
                    settings=settings, output=output, state=state, as_of=day, view=PublicView(day, (), ()),
                    store=store, gens=gens, gen=live, live=live, live_any=live, spare_files={}, spare_needles="",
                    full=full, allow_drop=allow_drop,
                    started=started, parsed=0, stack=stack, inputs=inputs, unchanged=True, _mark=mark,
                )  # fmt: skip
                build.lap("check")
                return build
            with no_gc():
                view, stats = load_view(settings, day, drafts_ok, store, shas, certificates=secret is not None)
            # the oldest kept generation is recycled: its folders and unchanged files stay in place
            spare = None if full else gens.spare(live, [g.name for g in gens.all() if store.files(g.name)])
            spare_files = store.files(spare.name) if spare is not None else {}
            spare_needles = store.meta(gen_key(spare.name, "needles"), "") if spare is not None else ""
            gen = gens.new(recycle=spare)
        except BaseException:
            stack.close()
            raise
        build = cls(
            settings=settings, output=output, state=state, as_of=day, view=view, store=store, gens=gens, gen=gen,
            live=None if full else live, live_any=live, spare_files=spare_files, spare_needles=spare_needles,
            full=full, allow_drop=allow_drop, started=started, parsed=stats.parsed, stack=stack, inputs=inputs,
            cert_secret=secret, _mark=mark,
        )  # fmt: skip
        build.lap("check")
        return build

    def result_unchanged(self) -> BuildResult:
        """The live build is this build's result (the same inputs give the same bytes)."""
        info = self._meta(self.live, "info", {})
        files = len(self.store.files(self.gen.name))
        self.gens.prune([self.gen, *self.gens.older(self.gen)[:2]])  # a killed build's folder
        self.stack.close()
        return BuildResult(
            output=self.output, index=self.gen.index, view=self.view, as_of=self.as_of,
            public=int(info.get("public", 0)), notices=int(info.get("notices", 0)), files_written=0,
            files_unchanged=files, files_removed=0, seconds=time.perf_counter() - self.started, state=self.state,
            phases=self.phases, cpu=self.cpu, incremental=True, rendered=0, parsed=0, generation=self.gen.name,
            unchanged=True,
        )  # fmt: skip

    def lap(self, name: str) -> None:
        now, cpu_now = time.perf_counter(), _cpu_seconds()
        self.phases[name], self.cpu[name] = now - self._mark[0], cpu_now - self._mark[1]
        self._mark = (now, cpu_now)

    def attach(self, pelican: Any) -> None:
        """Point a Pelican run at this build: Pelican writes into a folder of its own in the new
        generation (moved into the site afterwards: Pelican's writer would write into a file the
        recycled site holds, which may be the live build's too)."""
        pelican.output_path = str(self.gen.pelican)
        setattr(pelican, BUILD_ATTR, self)

    def _meta(self, gen: Generation | None, name: str, default: Any = None) -> Any:
        return default if gen is None else self.store.meta(gen_key(gen.name, name), default)

    # -- render --------------------------------------------------------------------
    def render(self, env: Any, news: list[Any], site_pages: list[dict[str, str]],
               pages: dict[str, Any] | None = None) -> None:  # fmt: skip
        """Every renderer's files into the new generation, the index beside them. `pages`: the
        static pages a renderer of ours writes (the plugin's OWN_PAGES), by slug."""
        live_any = self.live_any
        ctx = RenderContext(
            view=self.view, settings=self.settings, news=news, env=env, store=self.store,
            fingerprint=fingerprint(self.settings, site_pages, self.store.version),
            previous=self._meta(live_any, "recorded", {}), cert_secret=self.cert_secret,
            pages=dict(pages or {}),
        )  # fmt: skip
        self.gate = make_gate(self.settings, self.view)
        if self.live is None:  # a full build scans everything: the automaton made once here, not per worker
            self.gate.compile()  # (an incremental build scans little: the gate's prefilter first)
        live_files = self.store.files(self.live.name) if self.live is not None else {}
        memo = self.store.ns(MEMO).load()

        def make_sink() -> Sink:
            live_root = self.live.site if self.live is not None else None
            assert self.gate is not None
            return Sink(self.gen.site, memo, ctx.digest, live_root, live_files, self.gate.scan, self.spare_files)

        sink = self.sink = make_sink()
        procs = portal_settings(self.settings)["PORTAL_JOBS"]
        index = self._start_index(ctx, procs)
        started = time.perf_counter()
        all_renderers = renderers()
        parallel = [(r, job) for r in all_renderers if r.parallel for job in r.jobs(ctx)]
        serial = [(r, list(r.jobs(ctx))) for r in all_renderers if not r.parallel]
        # the steps: each render job (a parallel one counts when a worker hands it back)
        progress.phase("生成网页", len(parallel) + sum(len(jobs) for _r, jobs in serial))
        pool = run_jobs(ctx, parallel, sink, lambda: _fresh(make_sink()), len(self.view.public), procs)
        try:
            for r, jobs in serial:
                mark = time.perf_counter()
                for job in jobs:
                    sink.put_all(r.run(ctx, job))
                    progress.advance()
                self.phases[f"render.{r.name}"] = time.perf_counter() - mark
            if pool is not None:
                pool.finish(sink)
            self.phases["render.pages"] = time.perf_counter() - started
            mark = time.perf_counter()
            progress.phase("写入搜索索引")
            self._finish_index(index)
            self.phases["render.index"] = time.perf_counter() - mark
        finally:
            if pool is not None:
                pool.stop()
            if isinstance(index, Forked):
                index.stop()
        self.recorded = ctx.recorded

    def _index_job(
        self, ctx: RenderContext, live_docs: dict[str, str] | None, rescan: bool
    ) -> tuple[dict[str, str], list[Any]]:
        """Write the index (a copy of the live one with the changed documents replaced, or whole)
        and scan what is new in it with the leak gate (all of it when `rescan`). Runs in a forked
        process on big sites: it reads nothing from the store (`live_docs` was read before)."""
        live_index = self.live.index if self.live is not None and live_docs is not None else None
        result = indexer()(ctx, self.gen.index, live_index, live_docs)
        assert self.gate is not None
        # the segments kept from the live index were scanned for the same needles, unless they changed
        skip = leakcheck.segment_ids(live_index) if live_index is not None and not rescan else set()
        return result.docs, leakcheck.scan_index(self.gate, self.gen.index, skip)

    def _start_index(self, ctx: RenderContext, procs: int | None) -> Forked | tuple[Any, ...]:
        live_docs = self._meta(self.live, "search.docs") if self.live is not None else None
        args = (ctx, live_docs, self._needles_changed())
        procs = procs or os.cpu_count() or 1
        if procs < 2 or len(self.view.public) < INDEX_PROCESS_MIN_RECORDS:
            return args  # written at the end, in this process
        return Forked(lambda: _timed(self._index_job, *args), "chenglai-index", died="搜索索引进程意外退出",
                      failed="搜索索引构建失败")  # fmt: skip

    def _finish_index(self, index: Forked | tuple[Any, ...]) -> None:
        if not isinstance(index, Forked):
            self.index_docs, self.index_leaks = self._index_job(*index)
            return
        ok, payload = index.result()
        if not ok:
            raise payload
        (self.index_docs, self.index_leaks), self.phases["render.index.own"] = payload

    def _needles_changed(self) -> bool:
        return self.live is None or self._meta(self.live, "needles") != needles_digest(self.view)

    # -- finish ----------------------------------------------------------------------
    def finish(self) -> BuildResult:
        """Leak gate, drop guard, one transaction, the switch; on any error the new generation
        is removed and the live one stays."""
        try:
            return self._finish()
        except BaseException:
            self.abort()
            raise

    def _finish(self) -> BuildResult:
        sink = self.sink
        if sink is None:
            raise BuildError("构建未生成任何文件（记录生成器未运行：请检查 pelicanconf.py 的 PLUGINS）")
        self.lap("render")
        progress.phase("泄漏检查")
        self._adopt_pelican_files(sink)
        sink.clean()
        leaks = list(sink.leaks) + list(self.index_leaks)
        assert self.gate is not None
        # what became withheld since a kept build may sit in a file taken from it
        again = sink.linked if self._needles_changed() else []
        if self.spare_needles != needles_digest(self.view):
            again = again + sink.kept
        if again:
            leaks += leakcheck.scan_listed(self.gate, self.gen.site, again)
        leakcheck.report(leaks)
        self.lap("leak_gate")
        progress.phase("保存并切换上线")
        live_any = self.live_any
        self._drop_guard(self._meta(live_any, "info", {}))
        _retain(self.settings, self.output, self.gen.site)
        live_files = self.store.files(live_any.name) if live_any is not None else {}
        info = {"as_of": self.as_of.isoformat(), "public": len(self.view.public), "notices": len(self.view.notices)}
        self.store.set_files(self.gen.name, sink.entries)
        self.store.set_meta(gen_key(self.gen.name, "info"), info)
        self.store.set_meta(gen_key(self.gen.name, "needles"), needles_digest(self.view))
        self.store.set_meta(gen_key(self.gen.name, "recorded"), self.recorded)
        self.store.set_meta(gen_key(self.gen.name, "search.docs"), self.index_docs)
        if self.inputs:
            self.store.set_meta(gen_key(self.gen.name, "inputs"), self.inputs)
        # kept: this build, the live one (rollback) and the one before it (the next build's spare)
        previous = self.gens.previous()
        keep = [self.gen] + [g for g in (live_any, previous) if g is not None and g != self.gen]
        try:
            self.store.commit(g.name for g in keep)
        except sqlite3.Error as exc:  # e.g. the disk filled up under the journal: nothing switched
            raise BuildError(f"构建状态库（{self.store.path}）写入失败：{exc}。线上站点、搜索索引与构建状态均未改变。") from None
        self.gens.switch(self.gen)  # the commit point
        self.gens.prune(keep)
        self.lap("commit")
        self.stack.close()
        forget_digests()
        removed = len(live_files.keys() - sink.entries.keys())
        return BuildResult(
            output=self.output, index=self.gen.index, view=self.view, as_of=self.as_of, public=len(self.view.public),
            notices=len(self.view.notices), files_written=len(sink.entries) - len(sink.linked) - len(sink.kept),
            files_unchanged=len(sink.linked) + len(sink.kept), files_removed=removed, seconds=time.perf_counter() - self.started,
            state=self.state, phases=self.phases, cpu=self.cpu, incremental=sink.skipped > 0, parsed=self.parsed,
            rendered=sink.made,
            generation=self.gen.name,
        )  # fmt: skip

    def _adopt_pelican_files(self, sink: Sink) -> None:
        """Pelican's own files (news, pages, theme), from its folder into the site: listed,
        digested and scanned, or a kept build's same file in their place."""
        root = str(self.gen.pelican)
        cut = len(root) + 1
        for dirpath, _dirs, names in os.walk(root):
            for name in sorted(names):
                source = f"{dirpath}/{name}"
                sink.adopt(source[cut:], source)
        shutil.rmtree(root, ignore_errors=True)

    def _drop_guard(self, before_info: dict[str, Any]) -> None:
        before = before_info.get("public")
        now = len(self.view.public)
        max_drop = float(portal_settings(self.settings)["PORTAL_MAX_DROP"])
        if self.allow_drop or not isinstance(before, int) or before <= 0:
            return
        if now < before * (1 - max_drop):
            raise BuildError(
                f"公开记录数从上次的 {before} 条降至 {now} 条（下降 {100 * (before - now) / before:.1f}%），"
                f"超过 PORTAL_MAX_DROP={max_drop:g}；线上站点未改变。"
                "若确属正常（如批量删除），请用 chenglai build --allow-drop 重新构建"
            )

    def abort(self) -> None:
        """The new generation is removed; the live one, the index and the store are untouched."""
        try:
            if self.gen != self.gens.live():  # (never the live one: a build that found nothing to do)
                self.gens.remove_now(self.gen)
        finally:
            self.stack.close()
            forget_digests()


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


def _fresh(sink: Sink) -> Sink:
    """A worker's sink: its memo rows are its own (the parent's are merged back)."""
    sink.memo = sink.memo.fork()
    return sink


def _retain(settings: dict[str, Any], live: Path, staging: Path) -> None:
    """OUTPUT_RETENTION entries (e.g. .git of a deploy checkout) follow the live site (a copy:
    a recycled generation's older copy is replaced)."""
    for name in settings.get("OUTPUT_RETENTION") or []:
        src = live / name
        if src.exists() and os.path.lexists(staging / name):
            if (staging / name).is_dir() and not (staging / name).is_symlink():
                shutil.rmtree(staging / name)
            else:
                (staging / name).unlink()
        if src.exists():
            if src.is_dir():
                shutil.copytree(src, staging / name, symlinks=True, copy_function=shutil.copy2)
            else:
                shutil.copy2(src, staging / name)


def run_pelican(pelican: Any) -> None:
    import io

    from pelican.writers import FileOverwriteFailedError

    handler = _Errors()
    logger = logging.getLogger("pelican")
    logger.addHandler(handler)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Pelican's "Done: Processed …" line
            pelican.run()
    except FileOverwriteFailedError as exc:  # e.g. a static page with the slug "debtors"
        raise BuildError(f"两个页面要写到同一个文件（请修改新闻或页面的 Slug）：{exc}") from None
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise BuildError("Pelican 处理新闻或页面时出错：\n  " + "\n  ".join(handler.messages))


class _Errors(logging.Handler):
    """Pelican logs (and skips) a news or page file it cannot read: for us that fails the build."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(
    settings_path: str | os.PathLike[str] = "pelicanconf.py",
    output: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    allow_drop: bool = False,
    overrides: dict[str, Any] | None = None,
    drafts_ok: bool = False,
    full: bool = False,
    incremental: bool | None = None,
) -> BuildResult:
    """Build the site and search index; the live output changes only if every check passes.
    `full` (or `incremental=False`): the reference build, no memo read, nothing linked."""
    from pelican import Pelican

    if incremental is not None:
        full = not incremental
    over = dict(overrides or {})
    if output is not None:
        over["OUTPUT_PATH"] = str(Path(output).absolute())
    settings = read_settings(settings_path, over)
    try:
        build = Build.start(settings, as_of, drafts_ok, full, allow_drop, may_skip=True)
    except OSError as exc:
        raise machine_error(exc) from None
    if build.unchanged:
        return build.result_unchanged()
    token = PENDING.set(build)
    progress.phase("读取新闻与页面")  # Pelican's own reading, before the plugin renders
    try:
        pelican = Pelican(settings)  # its `initialized` signal attaches the build (plugin)
        if getattr(pelican, BUILD_ATTR, None) is not build:
            raise BuildError("设置文件未启用 chenglai 插件（PLUGINS 中应有 generator.build.plugin）")
        run_pelican(pelican)
    except BaseException as exc:
        build.abort()
        if isinstance(exc, OSError):  # full disk, permissions…: one line, no traceback
            raise machine_error(exc) from None
        raise
    finally:
        PENDING.reset(token)
    try:
        return build.finish()
    except OSError as exc:  # (finish has aborted the build)
        raise machine_error(exc) from None


def rollback(settings_path: str | os.PathLike[str] = "pelicanconf.py", output: str | os.PathLike[str] | None = None,
             overrides: dict[str, Any] | None = None) -> tuple[Generation, dict[str, Any]]:  # fmt: skip
    """Make the previous build live again (site and index together); returns it and its info."""
    over = dict(overrides or {})
    if output is not None:
        over["OUTPUT_PATH"] = str(Path(output).absolute())
    settings = read_settings(settings_path, over)
    out = Path(os.path.abspath(settings["OUTPUT_PATH"]))
    state = paths.state_dir(out, settings.get("PORTAL_STATE_PATH"))
    with locked(state):
        gens = Generations(out, state)
        previous = gens.previous()
        if previous is None:
            raise PortalError(f"没有可恢复的上一次构建（{gens.root}）")
        store = Store(state / FILE)
        try:
            info = store.meta(gen_key(previous.name, "info"), {})
        finally:
            store.close()
        gens.switch(previous)
        return previous, info
