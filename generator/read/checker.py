"""Parsing and checking record files: every rule, every problem of every file in one run.

Two callers: `chenglai check` and the staff tools (`check_paths`: the records as models), and a
build's read of the files its store does not know yet (`check_files`: plain values only, see
generator.read.view). Both check many files in worker processes (`_shared`).
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from generator import progress
from generator.domain import policy, rules
from generator.domain.records import Basis, Debtor, Record, SourceRecord, Vetting, parse_file, record_files
from generator.domain.yamlload import Lines
from generator.errors import RecordError

T = TypeVar("T")
# Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 2000


class Checked(NamedTuple):
    """One file parsed and checked, as plain values: what a worker process sends back (pydantic
    models would cost the parent ~70 µs each to unpickle, a third of parsing them itself)."""

    path: str
    sha256: str | None  # of the bytes that were checked; None: the file could not be read
    facts: policy.Facts | None  # None: it did not parse, or broke a single-record rule
    entry: rules.AcrossEntry | None  # None: it did not parse (nothing to compare across files)
    errors: list[RecordError]
    # W codes (rules.check_warnings): `chenglai check` prints them; they fail nothing, and a
    # build's read (check_files) does not look for them
    warnings: tuple[RecordError, ...] = ()


class _Plain(NamedTuple):
    """A valid record as a worker sends it to check_paths: its validated values, made into
    models again (without a second validation) only when a caller asks for the records."""

    path: str
    values: dict[str, Any]  # Record.model_dump(exclude_unset=True): the same fields set
    lines: Lines


_NESTED: dict[str, type[BaseModel]] = {"basis": Basis, "debtor": Debtor, "vetting": Vetting}


def _plain(src: SourceRecord) -> _Plain:
    return _Plain(src.path, src.record.model_dump(exclude_unset=True), src.lines)


def _source(p: _Plain) -> SourceRecord:
    values = dict(p.values)
    for name, model in _NESTED.items():  # all required: always in the dump
        values[name] = model.model_construct(**values[name])
    return SourceRecord(p.path, Record.model_construct(**values), p.lines)


class CheckResult:
    """Every problem of every file (sorted), the warnings (sorted; they fail nothing), and the
    records that passed every rule, in the order of the files."""

    def __init__(
        self, errors: list[RecordError], passed: list[SourceRecord | _Plain], warnings: list[RecordError] | None = None
    ):
        self.errors = errors
        self._passed = passed
        self.warnings = warnings or []
        self.passed_items: list[Any] = []  # the other kinds' items that passed (CheckResult.add)

    def add(self, errors: list[RecordError], passed: list[Any], warnings: list[RecordError]) -> None:
        """The problems and items of the other kinds (generator.read.kinds), in the same report."""
        self.errors = sorted([*self.errors, *errors])
        self.warnings = sorted([*self.warnings, *warnings])
        self.passed_items = [*self.passed_items, *passed]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def passed(self) -> int:
        """How many records passed (without making models of those a worker checked)."""
        return len(self._passed) + len(self.passed_items)

    @property
    def records(self) -> list[SourceRecord]:
        """The valid records; those a worker process checked are made into models here, once."""
        if not all(isinstance(p, SourceRecord) for p in self._passed):
            self._passed = [p if isinstance(p, SourceRecord) else _source(p) for p in self._passed]
        return self._passed  # type: ignore[return-value]


def check_file(path: str, data: bytes, drafts_ok: bool = False) -> tuple[SourceRecord | None, list[RecordError]]:
    """Parse one file and apply the single-record rules (the staff tools' check of one file)."""
    src, errors = parse_file(path, data)
    if src is not None:
        errors.extend(rules.check_record(src, drafts_ok))
        if errors:
            src = None
    return src, errors


# A file to check: its path, and its bytes when the caller has read them already (None: read here).
Item = tuple[str, bytes | None]


def check_one(
    path: str, drafts_ok: bool, data: bytes | None = None, warn: bool = False
) -> tuple[Checked, SourceRecord | None]:
    """Parse and check one file (read here unless `data` is given): its Checked, and its
    record when it passed the single-record rules. A record that broke one still gives its
    AcrossEntry, so the rules across files see it and every problem comes out in one run.
    `warn`: also the warnings of a record that parsed (Checked.warnings)."""
    if data is None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            unreadable = RecordError(path, 1, "E008", "-", f"无法读取文件：{exc.strerror}")
            return Checked(path, None, None, None, [unreadable]), None
    sha = hashlib.sha256(data).hexdigest()
    src, errors = parse_file(path, data)
    if src is None:
        return Checked(path, sha, None, None, errors), None
    errors.extend(rules.check_record(src, drafts_ok))
    entry = rules.across_entry(src)
    warnings = tuple(rules.check_warnings(src)) if warn else ()
    if errors:
        return Checked(path, sha, None, entry, errors, warnings), None
    return Checked(path, sha, policy.facts(src), entry, errors, warnings), src


@contextmanager
def no_gc() -> Iterator[None]:
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


# -- chunks of files, here and in worker processes ------------------------------------
def _here(items: list[Item], drafts_ok: bool) -> list[tuple[Checked, SourceRecord | _Plain | None]]:
    out: list[tuple[Checked, SourceRecord | _Plain | None]] = []
    for path, data in items:
        out.append(check_one(path, drafts_ok, data, warn=True))
        progress.advance()  # (a no-op in a worker process: its chunk is counted when it comes back)
    return out


def _plain_chunk(items: list[Item], drafts_ok: bool) -> list[tuple[Checked, SourceRecord | _Plain | None]]:
    with no_gc():
        out: list[tuple[Checked, SourceRecord | _Plain | None]] = []
        for path, data in items:
            checked, src = check_one(path, drafts_ok, data, warn=True)
            out.append((checked, None if src is None else _plain(src)))
        return out


def _checked_chunk(items: list[Item], drafts_ok: bool) -> list[Checked]:
    with no_gc():
        out = []
        for path, data in items:
            out.append(check_one(path, drafts_ok, data)[0])
            progress.advance()  # (a no-op in a worker process: its chunk is counted when it comes back)
        return out


def _count_back(n: int, future: Future[Any]) -> None:
    if not future.cancelled():
        progress.advance(n)


def _shared(
    files: list[Item], jobs: int, remote: Callable[..., list[T]], local: Callable[..., list[T]], *args: Any
) -> list[T]:
    """`remote(chunk, *args)` in jobs - 1 worker processes taking chunks from the front, and
    `local(chunk, *args)` here taking them from the back until they meet; the results in the
    order of the files.

    This process works instead of waiting, and its share needs no pickling back: on 2 cores,
    one worker + this process took 100,000 records in less wall time and CPU than two
    workers (whose results this process must unpickle while they run)."""
    size = max(200, len(files) // (jobs * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    here: dict[int, list[T]] = {}
    out: list[T] = []
    with ProcessPoolExecutor(jobs - 1) as pool:
        futures = [pool.submit(remote, chunk, *args) for chunk in chunks]
        for future, chunk in zip(futures, chunks, strict=True):
            # a worker's chunk counts when it is back; a cancelled one is done here, counted there
            future.add_done_callback(partial(_count_back, len(chunk)))
        for i in reversed(range(len(chunks))):
            if not futures[i].cancel():
                break  # a worker has it already, and every chunk before it
            here[i] = local(chunks[i], *args)
        for i, future in enumerate(futures):
            out.extend(here[i] if i in here else future.result())
    return out


def check_files(files: list[Item], drafts_ok: bool, jobs: int) -> list[Checked]:
    """Each file parsed and checked by the single-record rules, in the order given."""
    if files:
        progress.phase("检查记录文件", len(files))
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        return _shared(files, jobs, _checked_chunk, _checked_chunk, drafts_ok)
    return _checked_chunk(files, drafts_ok)


def check_paths(paths: Iterable[str | Path], drafts_ok: bool = False, jobs: int | None = None) -> CheckResult:
    """Check record files (folders are searched for *.yaml): all problems of all files."""
    files: list[Item] = [(path, None) for path in record_files(paths)]
    jobs = jobs or os.cpu_count() or 1
    progress.phase("检查记录文件", len(files))
    with no_gc():
        if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
            checked = _shared(files, jobs, _plain_chunk, _here, drafts_ok)
        else:
            checked = _here(files, drafts_ok)
        errors = [e for c, _src in checked for e in c.errors]
        errors += rules.check_across(c.entry for c, _src in checked if c.entry is not None)
        # the valid records only: a duplicate's second file is not valid
        failed = {e.path for e in errors}
        passed = [src for c, src in checked if src is not None and c.path not in failed]
        errors.sort()
        warnings = [w for c, _src in checked for w in c.warnings]
        warnings += rules.warn_across(c.entry for c, _src in checked if c.entry is not None)
        warnings.sort()
    return CheckResult(errors, passed, warnings)
