"""The Pelican plugin: records in, site pages and every other output out.

Registered from pelicanconf.py (PLUGINS = ["generator.build.plugin"]). It touches Pelican
only at its extension points:

- `initialized`: check the records and decide the PublicView *before* Pelican cleans or
  writes anything (a content error stops the run with nothing written);
- `generator_init`: autoescape on, the theme's filters and globals, in every generator;
- `get_generators`: RecordsGenerator, a dedicated generator (not the article pipeline);
- `get_writer`: PortalWriter (fast path for our pages, manifest, unchanged files keep mtime);
- `finalized`: record Pelican's own files in the manifest; in a plain `pelican` run, run the
  leak gate and commit the search index and state (`chenglai build` does both itself,
  around an atomic swap).

News and static pages stay on Pelican's Markdown path; their HTML is sanitised with nh3
by the `sanitize` filter the templates use.
"""

from __future__ import annotations

import gc
import html as htmllib
import multiprocessing
import os
import resource
import shutil
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import nh3
from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from generator.build import incremental, leakcheck
from generator.build.forked import Forked
from generator.build.writer import PortalWriter
from generator.read.plan import PLAN_KEY, BuildPlan, as_of_from, in_place_plan, load_view
from generator.render import outputs, pages, sitemap
from generator.render.outputs import NewsItem, OutputFile, RenderContext

PLUGIN = "generator.build.plugin"
PLUGIN_NAMES = (PLUGIN, "generator.pelican_plugin")  # the second: its former name
# Below this many record pages a process pool costs more than it saves.
PARALLEL_MIN_RECORDS = 4000
# From this many public records a full build writes the search index in a forked process of its
# own while the pages render (fewer: done at the end, in this process, as the fork would not pay).
INDEX_PROCESS_MIN_RECORDS = PARALLEL_MIN_RECORDS


def sanitize(value: Any) -> Markup:
    """Markdown HTML → HTML safe to embed: nh3's allow-list (no script, style, on*…)."""
    return Markup(nh3.clean(str(value or "")))


def plain(value: Any) -> str:
    """HTML → its text, for summaries and the search index."""
    return " ".join(htmllib.unescape(nh3.clean(str(value or ""), tags=set())).split())


def theme_texts(theme: str | os.PathLike[str]) -> list[str]:
    """The theme's own words (templates): a withheld name inside them is not a leak."""
    return [p.read_text(encoding="utf-8") for p in sorted(Path(theme, "templates").rglob("*.html"))]


def make_gate(settings: dict[str, Any], view: Any) -> leakcheck.LeakGate:
    # news text is not exempt: a news article naming a removed debtor is a leak
    return leakcheck.LeakGate(view, [*theme_texts(settings["THEME"]), settings.get("SITENAME", "")])


def _ours(settings: dict[str, Any]) -> bool:
    # Pelican's signals are process-wide: stay out of runs that did not load this plugin
    return any(name in PLUGIN_NAMES for name in (settings.get("PLUGINS") or []))


def _plan(settings: dict[str, Any]) -> BuildPlan:
    return settings[PLAN_KEY]  # type: ignore[no-any-return]


# -- signal receivers ---------------------------------------------------------------
def _initialized(pelican: Any) -> None:
    settings = pelican.settings
    if not _ours(settings):
        return
    plan = settings.get(PLAN_KEY)
    if plan is None:
        plan = settings[PLAN_KEY] = in_place_plan(settings)
        for folder in (plan.index, plan.state):  # a crashed run's leftovers
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
    if plan.view is None:
        plan.as_of = as_of_from(settings, plan.as_of)
        plan.view = load_view(settings, plan.as_of, plan.drafts_ok)


def _generator_init(generator: Any) -> None:
    if not _ours(generator.settings):
        return
    env = generator.env
    env.autoescape = True  # whatever JINJA_ENVIRONMENT says: no unescaped value reaches a page
    env.filters.update({"sanitize": sanitize, "plain": plain})
    pages.install(env, generator.settings)


def _get_generators(pelican: Any) -> Any:
    return RecordsGenerator if _ours(pelican.settings) else None


def _get_writer(pelican: Any) -> Any:
    return PortalWriter if _ours(pelican.settings) else None


def _finalized(pelican: Any) -> None:
    if not _ours(pelican.settings):
        return
    plan = _plan(pelican.settings)
    if plan.writer is not None:
        plan.manifest = plan.writer.finish()
    if plan.in_place:
        from generator.build.pipeline import commit_in_place

        commit_in_place(plan, pelican.settings)


def register() -> None:
    signals.initialized.connect(_initialized)
    signals.generator_init.connect(_generator_init)
    signals.get_generators.connect(_get_generators)
    signals.get_writer.connect(_get_writer)
    signals.finalized.connect(_finalized)


# -- the records generator ------------------------------------------------------------
def news_items(articles: list[Any]) -> list[NewsItem]:
    """Pelican's published articles as NewsItems (sanitised HTML, plain text), newest first."""
    items = []
    for a in articles:
        body = str(sanitize(a.content))
        when = a.date.date() if isinstance(a.date, datetime) else a.date
        assert isinstance(when, date)
        items.append(
            NewsItem(
                slug=a.slug,
                title=plain(a.title),
                url=a.url,
                date=when,
                summary=plain(getattr(a, "summary", "")),
                text=plain(body),
                html=body,
            )  # fmt: skip
        )
    items.sort(key=lambda n: (-n.date.toordinal(), n.slug))
    return items


class RecordsGenerator(Generator):
    """Writes the record pages, lists and other site pages, then every renderer's files."""

    def generate_context(self) -> None:
        site_pages = [
            {"title": plain(p.title), "url": p.url}
            for p in sorted(self.context.get("pages", []), key=lambda p: (getattr(p, "menu_order", 0), p.slug))
        ]
        # shared with Pelican's own templates (news, static pages) through the context
        self.context["site_pages"] = site_pages
        self.env.globals["site_pages"] = site_pages

    def generate_output(self, writer: Any) -> None:
        plan = _plan(self.settings)
        assert plan.view is not None
        news = news_items(self.context.get("articles", []))
        plan.news = news
        previous_state = plan.previous_state if plan.previous_state and plan.previous_state.is_dir() else None
        ctx = RenderContext(view=plan.view, settings=self.settings, news=news, env=self.env, state=previous_state)
        session = plan.session  # incremental.Session: a `chenglai build`
        if session is not None:
            session.begin(ctx, self.context["site_pages"])
        partial = session is not None and session.incremental and isinstance(writer, PortalWriter)
        if isinstance(writer, PortalWriter):
            view = plan.view
            writer.gate_factory = lambda: make_gate(self.settings, view)  # made when a file needs it
            writer.keep_same = partial
        if partial and session.unchanged:  # nothing to render: every file of ours stays
            session.keep_everything(writer, plan, ctx)
            plan.counts = {"public": len(plan.view.public), "notices": len(plan.view.notices), "site_pages": 0,
                           "other_files": 0}  # fmt: skip
            return
        # a full build writes the search index in a process of its own, alongside the pages
        indexing = None if partial else IndexJob.start(ctx, plan.index, self.settings)
        running: list[Pending] = []  # forked page workers at work while this process goes on
        try:
            site = pages.SitePages(ctx)
            started = time.perf_counter()
            if partial:  # only the pages whose inputs changed (generator.build.incremental)
                jobs, run = session.site_jobs(site, writer.previous)
                site_jobs = self._start_jobs(writer, jobs, run, session.rendered)
            else:  # the pages render on every core while this process renders the rest
                site_jobs = self._start_jobs(writer, site.jobs(), site.run, len(site.view.public))
            running.append(site_jobs)
            extra = [p["url"] for p in self.context["site_pages"]]
            n_pages = _write_all(writer, plan, sitemap.render(ctx, extra=extra))
            if partial:
                n_pages += site_jobs.finish()
                plan.timings["pages"] = time.perf_counter() - started
            renderers_started = time.perf_counter()
            n_site: int | None = None  # site pages written by the workers (full build)
            n_other = 0
            splits: list[tuple[Any, Any, RenderContext, Pending, float]] = []
            for render in outputs.renderers():
                rctx = session.renderer_context(render, ctx, writer.previous) if partial else ctx
                module = sys.modules.get(render.__module__)
                mark = time.perf_counter()
                if isinstance(writer, PortalWriter) and all(hasattr(module, a) for a in outputs.SPLIT_RENDERER):
                    # its pages on the workers (once the site pages' workers are done: two at a
                    # time on two cores), its finish() once they are written
                    assert module is not None
                    prep = module.prepare(rctx)
                    if not partial and n_site is None:
                        n_site = site_jobs.finish()
                        plan.timings["pages"] = site_jobs.done_at - started
                    records = list(prep.wanted)
                    chunks: list[Any] = [
                        records[a : a + pages.RECORDS_PER_JOB] for a in range(0, len(records), pages.RECORDS_PER_JOB)
                    ]
                    job = self._start_jobs(writer, chunks, _split_run(module, rctx, prep), len(records))
                    running.append(job)
                    splits.append((module, prep, rctx, job, mark))
                    if partial:
                        n_other += self._finish_split(writer, plan, splits.pop())
                else:
                    n_other += _write_all(writer, plan, render(rctx))
                    plan.timings[f"renderers.{render.__module__}"] = time.perf_counter() - mark
            if not partial and n_site is None:
                n_site = site_jobs.finish()
                plan.timings["pages"] = site_jobs.done_at - started  # the renderers ran alongside
            n_pages += n_site or 0
            while splits:
                n_other += self._finish_split(writer, plan, splits.pop(0))
            started = renderers_started
            if partial:
                writer.claim(session.claimed)
            plan.timings["renderers"] = time.perf_counter() - started
            started = time.perf_counter()
            if indexing is not None:
                indexing.join()  # the index is complete (or its error raised) before the leak gate
                plan.timings["index.own"] = indexing.seconds  # its wall time, and CPU time
                plan.timings["index.cpu"] = indexing.cpu
            else:
                os.makedirs(plan.index, exist_ok=True)
                for name, build in zip(outputs.INDEXERS, outputs.indexers(), strict=True):
                    if partial and name == incremental.INDEXER:
                        session.update_index(ctx, plan.index, lambda: writer.gate)
                    else:
                        build(ctx, plan.index)
            plan.timings["index"] = time.perf_counter() - started  # with a process of its own: the wait
        finally:
            for job in running:
                job.stop()
            if indexing is not None:
                indexing.stop()
        if session is not None:
            session.finish(ctx, site, writer.entries.keys() if isinstance(writer, PortalWriter) else ())
        plan.counts = {
            "public": len(plan.view.public),
            "notices": len(plan.view.notices),
            "site_pages": n_pages,
            "other_files": n_other,
        }

    def _finish_split(
        self, writer: PortalWriter, plan: BuildPlan, split: tuple[Any, Any, RenderContext, Pending, float]
    ) -> int:
        module, prep, ctx, job, mark = split
        n = job.finish()
        n += _write_all(writer, plan, module.finish(ctx, prep))
        plan.timings[f"renderers.{module.__name__}"] = time.perf_counter() - mark  # from its start
        return n

    def _start_jobs(self, writer: Any, jobs: list[pages.Job], run: Any, size: int) -> Pending:
        """Render `run(job)` for every job: in forked workers (PORTAL_JOBS) from
        PARALLEL_MIN_RECORDS up, working while this process goes on; else here, now."""
        procs = self.settings.get("PORTAL_JOBS") or os.cpu_count() or 1
        if procs < 2 or size < PARALLEL_MIN_RECORDS or not isinstance(writer, PortalWriter):
            return Pending(_write_all(writer, None, (f for job in jobs for f in run(job))))
        return Pending.start(writer, run, jobs, procs)


def _split_run(module: Any, ctx: RenderContext, prep: Any) -> Any:
    return lambda chunk: module.pages(ctx, prep, chunk)


class IndexJob:
    """The indexers (outputs.INDEXERS) of a full build, in a forked process started before the
    pages: the index (one core's work, 10 s at 100,000 records) is written while the pages,
    notices, open data and feeds render, instead of after them. `join()` waits for it and
    raises what it raised; the leak gate scans the index after that, as before."""

    def __init__(self, child: Forked) -> None:
        self.child = child
        self.seconds = 0.0  # the process's own wall time
        self.cpu = 0.0
        self.maxrss_mb = 0.0

    @classmethod
    def start(cls, ctx: RenderContext, index_dir: Path, settings: dict[str, Any]) -> IndexJob | None:
        procs = settings.get("PORTAL_JOBS") or os.cpu_count() or 1
        if procs < 2 or len(ctx.view.public) < INDEX_PROCESS_MIN_RECORDS or not outputs.INDEXERS:
            return None
        os.makedirs(index_dir, exist_ok=True)
        work = lambda: _index_process(ctx, Path(index_dir))  # noqa: E731
        return cls(Forked(work, "chenglai-index", died="搜索索引进程意外退出", failed="搜索索引构建失败"))

    def join(self) -> None:
        ok, payload = self.child.result()
        if not ok:
            raise payload
        self.seconds, self.cpu, self.maxrss_mb = payload

    def stop(self) -> None:
        """After an error elsewhere: no index process outlives the build."""
        self.child.stop()


def _index_process(ctx: RenderContext, index_dir: Path) -> tuple[float, float, float]:
    """In the child: every indexer; its wall time, CPU seconds and peak RSS (MB)."""
    started = time.perf_counter()
    for build in outputs.indexers():
        build(ctx, index_dir)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - started, own.ru_utime + own.ru_stime, own.ru_maxrss / 1024


def _write_all(writer: Any, plan: BuildPlan | None, files: Any) -> int:
    n = 0
    for f in files:
        if f.state:
            assert plan is not None
            path = plan.state / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.data)
        elif isinstance(writer, PortalWriter):
            writer.write_output(f)
        else:  # another plugin's writer: write the bytes ourselves, inside its output
            _write_plain(writer.output_path, f)
        n += 1
    return n


def _write_plain(root: str, f: OutputFile) -> None:
    from pelican.utils import sanitised_join

    path = Path(sanitised_join(root, f.path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f.data)


# The forked workers find their work here (inherited at fork, never pickled).
_WORK: tuple[PortalWriter, Any, list[pages.Job]] | None = None


def _run_job(index: int) -> tuple[int, dict[str, Any], list[Any], list[str]]:
    assert _WORK is not None
    writer, run, jobs = _WORK
    writer.entries, writer.leaks, writer.kept = {}, [], []
    n = writer.write_outputs(run(jobs[index]))
    return n, writer.entries, writer.leaks, writer.kept


class Pending:
    """Pages being written by a pool of forked workers (or already written: `done`)."""

    def __init__(self, done: int = 0) -> None:
        self.count = done
        self.writer: PortalWriter | None = None
        self.pool: Any = None
        self.results: Any = None
        self.done_at = time.perf_counter()  # when the last page was written (perf_counter)

    @classmethod
    def start(cls, writer: PortalWriter, run: Any, jobs: list[pages.Job], procs: int) -> Pending:
        """`procs` forked workers; each writes its jobs' files (`run(job)`) and returns their
        manifest entries, merged by `finish()`."""
        global _WORK
        if writer.gate is not None:
            writer.gate.compile()  # its automaton made once here, not once per worker
        job = cls()
        job.writer = writer
        _WORK = (writer, run, jobs)  # what the workers find, inherited when they are forked (now)
        try:
            # gc.freeze in each worker: the inherited objects stay out of its collections (fewer
            # pages copied); here they stay where they are
            job.pool = multiprocessing.get_context("fork").Pool(procs, initializer=gc.freeze)
        finally:
            _WORK = None
        job.results = job.pool.map_async(_run_job, range(len(jobs)), chunksize=1, callback=job._done)
        return job

    def _done(self, _results: Any) -> None:  # in the pool's result thread, when every job is done
        self.done_at = time.perf_counter()

    def finish(self) -> int:
        """Wait for the workers; their files are in the writer's manifest. Returns the count."""
        if self.pool is not None:
            assert self.writer is not None
            try:
                for count, entries, leaks, kept in self.results.get():
                    self.writer.merge(entries, leaks, kept)
                    self.count += count
                self.pool.close()
                self.pool.join()
            finally:
                self.stop()
        return self.count

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None


def _write_parallel(writer: PortalWriter, run: Any, jobs: list[pages.Job], procs: int) -> int:
    """Pages in `procs` forked processes (Pending), waited for."""
    return Pending.start(writer, run, jobs, procs).finish()
