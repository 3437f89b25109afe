"""`chenglai check`: parse every record file, apply every rule, report every problem."""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.domain import rules
from generator.domain.records import SourceRecord, parse_file, record_files
from generator.errors import RecordError
from generator.read import parsecache
from generator.read.parsecache import ParseCache

# Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 2000


@dataclass
class CheckResult:
    records: list[SourceRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_file(path: str, data: bytes, drafts_ok: bool = False) -> tuple[SourceRecord | None, list[RecordError]]:
    """Parse one file and apply the single-record rules."""
    src, errors = parse_file(path, data)
    if src is not None:
        errors.extend(rules.check_record(src, drafts_ok))
        if errors:
            src = None
    return src, errors


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while records pile up.

    Each record allocates hundreds of objects and none of them form cycles, so reference
    counting frees everything; the collector would only rescan the growing heap again and
    again (measured: 100,000 records, 70 s with it, 21 s without)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_files(
    paths: list[str], drafts_ok: bool, compact: bool = False
) -> list[tuple[SourceRecord | None, list[RecordError]]]:
    """Parse and check files; the parsed record is returned even when a rule failed, so the
    rules across files (duplicates) still see it and all problems come out in one run.
    `compact`: each record as a parsecache.CachedSource at once (its models are dropped)."""
    out: list[tuple[SourceRecord | None, list[RecordError]]] = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as exc:
            out.append((None, [RecordError(p, 1, "E008", "-", f"无法读取文件：{exc.strerror}")]))
            continue
        src, errors = parse_file(p, data)
        if src is not None:
            errors.extend(rules.check_record(src, drafts_ok))
            if compact:
                src = parsecache.compact(src)
        out.append((src, errors))
    return out


# What a worker sends back per file: the record as plain values (parsecache.portable) or None,
# and the errors. Plain data, because unpickling 100,000 pydantic models costs the parent ~110 µs
# each; the parent rebuilds a record only when something asks for it (parsecache.CachedSource).
_Portable = tuple[tuple[Any, ...] | None, list[RecordError]]


def _check_chunk(args: tuple[list[str], bool]) -> list[_Portable]:
    paths, drafts_ok = args
    with _no_gc():
        out: list[_Portable] = []
        for src, errors in _check_files(paths, drafts_ok):
            if src is None:
                out.append((None, errors))
                continue
            # the loader shares one tuple per key path, so pickle writes each key once per chunk
            out.append((parsecache.portable(src), errors))
        return out


def _restore(item: tuple[Any, ...]) -> SourceRecord:
    return parsecache.restore(item)


def _check_shared(
    files: list[str], drafts_ok: bool, jobs: int, compact: bool = False
) -> list[tuple[SourceRecord | None, list[RecordError]]]:
    """Check with jobs - 1 worker processes and this one: the workers take chunks from the
    front, this process takes them from the back until they meet.

    This process works instead of waiting, and its share needs no pickling back: on 2 cores,
    one worker + this process took 100,000 records in less wall time and CPU than two
    workers (whose results this process must unpickle while they run)."""
    size = max(200, len(files) // (jobs * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    here: dict[int, list[tuple[SourceRecord | None, list[RecordError]]]] = {}
    with ProcessPoolExecutor(jobs - 1) as pool:
        futures = [pool.submit(_check_chunk, (chunk, drafts_ok)) for chunk in chunks]
        for i in reversed(range(len(chunks))):
            if not futures[i].cancel():
                break  # a worker has it already, and every chunk before it
            here[i] = _check_files(chunks[i], drafts_ok, compact)
        checked: list[tuple[SourceRecord | None, list[RecordError]]] = []
        for i, future in enumerate(futures):
            if i in here:
                checked.extend(here[i])
            else:
                checked.extend((None if item is None else _restore(item), errors) for item, errors in future.result())
    return checked


def check_paths(
    paths: Iterable[str | Path],
    drafts_ok: bool = False,
    jobs: int | None = None,
    cache: ParseCache | None = None,
    apart: bool | None = None,
) -> CheckResult:
    """Check record files (folders are searched for *.yaml); all problems of all files.

    With a `cache` (generator.read.parsecache), a file it knows to have passed the single-record
    rules is not parsed again; the rules across files still see every record.

    `apart`: parse in a forked process that writes the cache when every file passed, then read
    the records back from the cache here (None: when the cache had nothing and there are at
    least APART_MIN_FILES files). Parsing 100,000 records leaves this process's heap full of
    holes that the rest of a build can never give back (800 MB where the records need 200);
    reading them from the cache makes them in one piece. The result is the same either way."""
    files = record_files(paths)
    jobs = jobs or os.cpu_count() or 1
    if cache is not None and cache.path is not None and hasattr(os, "fork"):
        if apart is None:
            apart = not cache.loaded and len(files) >= APART_MIN_FILES
        if apart:
            result = _check_apart(files, drafts_ok, jobs, cache)
            if result is not None:
                return result
    return _check(files, drafts_ok, jobs, cache)


# A cold build of this many files parses them in a forked process (check_paths).
APART_MIN_FILES = 10_000


def _check_apart(files: list[str], drafts_ok: bool, jobs: int, cache: ParseCache) -> CheckResult | None:
    """check_paths in a forked process; None when that process failed (the caller checks here
    then, and meets the same problem itself)."""
    assert cache.path is not None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_end)
            result = _check(files, drafts_ok, jobs, cache)
            if result.errors:  # nothing is saved; the records come back as they are
                reply: tuple[Any, ...] = (result.errors, [parsecache.portable(s) for s in result.records])
            else:
                cache.save()
                reply = ([], None)
            with os.fdopen(write_end, "wb") as fh:
                pickle.dump((*reply, cache.parsed, cache.hits), fh, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    _pid, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    errors, records, parsed, hits = pickle.loads(data)
    if errors:
        cache.parsed += parsed
        return CheckResult([parsecache.restore(item) for item in records], errors)
    fresh = ParseCache(cache.path, cache.version)  # what the child wrote, read in one piece
    # every file passed there, in the rules across files too: its records, in the order of
    # the files (what the child saw, as a check here would have seen it a moment earlier)
    records = fresh.records(files, drafts_ok) if fresh.loaded else None
    if records is None:
        result = _check(files, drafts_ok, jobs, fresh)  # the file is gone or damaged: check here
    else:
        result = CheckResult(records)
    cache.__dict__.update(fresh.__dict__)
    cache.parsed += parsed
    cache.hits = hits
    return result


def _check(files: list[str], drafts_ok: bool, jobs: int, cache: ParseCache | None) -> CheckResult:
    with _no_gc():
        known = cache.lookup(files, drafts_ok) if cache is not None else {}
        todo = [f for f in files if f not in known] if known else files
        # with a cache (a build), records are kept compact: a few hundred bytes each, not the
        # models and line tables of 100,000 records (hundreds of MB, and holes in the heap)
        compact = cache is not None
        if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES:
            checked = _check_shared(todo, drafts_ok, jobs, compact)
        else:
            checked = _check_files(todo, drafts_ok, compact)
        if cache is not None:
            cache.parsed += len(todo)
            for src, errors in checked:
                if src is not None and not errors:
                    cache.remember(src, drafts_ok)
        if known:  # back in the order of the files
            fresh = iter(checked)
            checked = [(known[f], []) if f in known else next(fresh) for f in files]
        result = CheckResult()
        parsed: list[SourceRecord] = []
        for src, errors in checked:
            result.errors.extend(errors)
            if src is not None:
                parsed.append(src)
        if cache is not None and not todo and cache.across_ok and cache.unchanged(files):
            pass  # the same files with the same contents as a build whose rules across files passed
        else:
            across = rules.check_across(parsed)
            result.errors.extend(across)
            if cache is not None:
                cache.across_ok = not across
        # records: the valid ones only (a duplicate's second file is not valid)
        failed = {e.path for e in result.errors}
        result.records = [src for src in parsed if src.path not in failed]
        result.errors.sort()
    return result
