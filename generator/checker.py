"""`chenglai check`: parse every record file, apply every rule, report every problem."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import rules
from .errors import RecordError
from .parsecache import ParseCache
from .records import SourceRecord, iter_record_files, parse_file

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


def _check_chunk(args: tuple[list[str], bool]) -> list[tuple[SourceRecord | None, list[RecordError]]]:
    paths, drafts_ok = args
    out = []
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError as exc:
            out.append((None, [RecordError(p, 1, "E002", "-", f"无法读取文件：{exc.strerror}")]))
            continue
        out.append(check_file(p, data, drafts_ok))
    return out


def check_paths(
    paths: Iterable[str | Path], drafts_ok: bool = False, jobs: int | None = None, cache: ParseCache | None = None
) -> CheckResult:
    """Check record files (folders are searched for *.yaml); all problems of all files.

    With a `cache` (generator.parsecache), files it knows are not parsed again."""
    files = [str(p) for p in iter_record_files(paths)]
    known = cache.lookup(files, drafts_ok) if cache is not None else {}
    everything, files = files, [f for f in files if f not in known]
    jobs = jobs or os.cpu_count() or 1
    chunks: list[list[str]]
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        size = max(200, len(files) // (jobs * 8))
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_check_chunk, [(c, drafts_ok) for c in chunks]))
    else:
        parts = [_check_chunk((files, drafts_ok))]
    result = CheckResult()
    parsed = {}
    for part in parts:
        for src, errors in part:
            result.errors.extend(errors)
            if src is not None:
                parsed[src.path] = src
                if cache is not None:
                    cache.remember(src, drafts_ok)
    result.records = [r for f in everything if (r := known.get(f) or parsed.get(f)) is not None]
    result.errors.extend(rules.check_across(result.records))
    result.errors.sort()
    return result
