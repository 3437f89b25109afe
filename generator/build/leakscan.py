"""Scanning with a leak gate (generator.build.leakcheck): files of a tree or a list, in forked
processes when many; the stored fields of a Whoosh index, segment by segment; the report."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from generator.build.leaktext import Leak
from generator.errors import BuildError

# Scanning a few hundred files costs less than starting processes.
PARALLEL_MIN_FILES = 2000
MAX_REPORTED = 20  # leaks named in the message (the count says how many more)
# `gate` below is a generator.build.leakcheck.LeakGate (typed Any: that module imports this one)


def all_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, names in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out.extend(n if rel == "." else f"{rel}/{n}" for n in names)
    return sorted(out)


_JOB: tuple[Any, Path] | None = None


def _scan_chunk(files: list[str]) -> list[Leak]:
    assert _JOB is not None
    gate, root = _JOB
    return gate.scan_files(root, files)


def scan_tree(gate: Any, root: Path, jobs: int | None = None) -> list[Leak]:
    """Every file under `root`, whatever its type, in `jobs` forked processes when many."""
    return scan_listed(gate, root, all_files(root), jobs)


def scan_listed(gate: Any, root: Path, files: list[str], jobs: int | None = None) -> list[Leak]:
    """The given files under `root`, in `jobs` forked processes when many."""
    global _JOB
    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or len(files) < PARALLEL_MIN_FILES:
        return gate.scan_files(root, files)
    gate.compile()  # once, not in every worker
    size = max(500, len(files) // (jobs * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    _JOB = (gate, root)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_scan_chunk, chunks)
    finally:
        _JOB = None
    return sorted(leak for part in parts for leak in part)


def segment_ids(index: Path) -> set[str]:
    """The segments of a Whoosh index (empty when there is none)."""
    from whoosh import index as whoosh_index

    if not index.is_dir() or not whoosh_index.exists_in(str(index)):
        return set()
    ix = whoosh_index.open_dir(str(index))
    try:
        with ix.reader() as reader:
            segments = (leaf.segment() for leaf, _base in reader.leaf_readers())
            return {s.segment_id() for s in segments if s is not None}
    finally:
        ix.close()


def scan_index(gate: Any, index: Path, skip: set[str] | frozenset[str] = frozenset()) -> list[Leak]:
    """The stored fields of a Whoosh index (its files are binary: read through Whoosh). `skip`:
    segments scanned before with the same needles (an updated index's segments kept from the live
    one: whatever else was written, by whichever code, is scanned)."""
    from whoosh import index as whoosh_index

    if not index.is_dir() or not whoosh_index.exists_in(str(index)):
        return []
    leaks: list[Leak] = []
    ix = whoosh_index.open_dir(str(index))
    try:
        with ix.reader() as reader:
            for leaf, _base in reader.leaf_readers():
                segment = leaf.segment()  # None: an empty index
                if segment is not None and segment.segment_id() in skip:
                    continue
                for n in range(leaf.doc_count_all()):
                    if leaf.is_deleted(n):
                        continue
                    fields = leaf.stored_fields(n)
                    text = "\n".join(str(v) for v in fields.values())
                    leaks += gate.scan(text.encode("utf-8"), f"{index.name}/（索引第 {n} 条）")
    finally:
        ix.close()
    return leaks


def report(leaks: list[Leak]) -> None:
    """Raise BuildError naming each file and text found; nothing found: return."""
    if not leaks:
        return
    leaks = sorted(set(leaks))
    lines = [str(leak) for leak in leaks[:MAX_REPORTED]]
    more = f"\n  ……另有 {len(leaks) - MAX_REPORTED} 处" if len(leaks) > MAX_REPORTED else ""
    raise BuildError(
        f"泄露检查未通过：输出中出现不应公开的信息（{len(leaks)} 处），本次构建已放弃，线上站点未改变：\n  "
        + "\n  ".join(lines)
        + more
    )


def check(gate: Any, root: Path, index: Path | None = None, jobs: int | None = None) -> None:
    """Scan every file under `root` (and the index's stored fields); raise on any leak."""
    leaks = scan_tree(gate, root, jobs)
    if index is not None:
        leaks += scan_index(gate, index)
    report(leaks)
