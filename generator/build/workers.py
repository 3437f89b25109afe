"""Render jobs on every core: forked workers, each with its own Sink over the same folder.

A worker inherits the render context, the renderers and the leak gate at fork (nothing is
pickled on the way in) and sends back what its sink wrote: file entries, linked files, leaks
and the memo rows it made (the store is written by the build's process only).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from generator import progress
from generator.build.sink import Sink
from generator.render.outputs import RenderContext, Renderer

# Below this many jobs' worth of work a pool costs more than it saves.
PARALLEL_MIN_RECORDS = 4000

# What the forked workers find (inherited at fork, never pickled).
_WORK: tuple[RenderContext, list[tuple[Renderer, Any]], Callable[[], Sink]] | None = None


def _run(index: int) -> tuple[dict[str, str], list[str], list[str], list[Any], int, int, dict[str, tuple[str, bytes]]]:
    assert _WORK is not None
    ctx, jobs, make_sink = _WORK
    renderer, job = jobs[index]
    sink = make_sink()
    sink.put_all(renderer.run(ctx, job))
    return sink.entries, sink.kept, sink.linked, sink.leaks, sink.made, sink.skipped, sink.memo.new


class Pool:
    """Jobs of parallel renderers, run by `procs` forked workers while the caller goes on."""

    def __init__(self, ctx: RenderContext, jobs: list[tuple[Renderer, Any]], make_sink: Callable[[], Sink], procs: int):
        global _WORK
        self.pool: Any = None
        _WORK = (ctx, jobs, make_sink)
        try:
            # gc.freeze in each worker: the inherited objects stay out of its collections
            self.pool = multiprocessing.get_context("fork").Pool(procs, initializer=gc.freeze)
        finally:
            _WORK = None
        # imap, not map_async: the same order, and each job's result as it is done (progress)
        self.results = self.pool.imap(_run, range(len(jobs)), chunksize=1)

    def finish(self, sink: Sink) -> None:
        """Wait for the workers and merge what they wrote into `sink`."""
        try:
            for entries, kept, linked, leaks, made, skipped, memo_rows in self.results:
                sink.merge(entries, kept, linked, leaks, made, skipped)
                sink.memo.merge(memo_rows)
                progress.advance()
            self.pool.close()
            self.pool.join()
        finally:
            self.stop()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def run_jobs(
    ctx: RenderContext, jobs: list[tuple[Renderer, Any]], sink: Sink, make_sink: Callable[[], Sink], size: int,
    procs: int | None,
) -> Pool | None:  # fmt: skip
    """Start `jobs` in forked workers (returns the Pool to finish) when the work is big enough
    (`size`: records) and there is more than one core; else run them here, now (None)."""
    procs = procs or os.cpu_count() or 1
    if procs < 2 or size < PARALLEL_MIN_RECORDS or not jobs:
        for renderer, job in jobs:
            sink.put_all(renderer.run(ctx, job))
            progress.advance()
        return None
    return Pool(ctx, jobs, make_sink, procs)
