"""What one site build works on: the PublicView and where its files go.

`chenglai build` makes a BuildPlan that points every write at a staging folder, and hands
it to Pelican in the settings (key PLAN_KEY); a plain `pelican content` run gets an in-place
plan from the plugin. Either way the plugin reads the records through `load_view`, the one
path from record files to a PublicView.
"""

from __future__ import annotations

import itertools
import json
import marshal
import operator
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from generator.domain import casenumber
from generator.domain.policy import PublicView, decide
from generator.errors import ContentErrors, UsageError
from generator.read import parsecache, viewcache
from generator.read.checker import _no_gc as no_gc
from generator.read.checker import check_paths
from generator.read.parsecache import ParseCache, code_version
from generator.settings import portal_settings
from generator.state import paths

PLAN_KEY = "CHENGLAI_BUILD_PLAN"
MANIFEST = "manifest.json"  # output path -> [digest, size, mtime_ns] of the live output
# the same, as marshal data: what the next build reads (json + 160,000 objects: 0.4 s; this: 0.05 s)
MANIFEST_FAST = "manifest.marshal"
# beside it, after an incremental build: what differs from MANIFEST_FAST, then an earlier
# build's copy, hard-linked (a one-record build does not marshal 160,000 entries again)
MANIFEST_DELTA = "manifest-delta.marshal"
BUILD_INFO = "build.json"  # as_of and counts of the live build (count-drop guard)
BUILD_STATE = "build"  # <state>/build: the live build's state folder (RenderContext.state)


class ManifestEntry(NamedTuple):
    """A tuple: equal to the plain (digest, size, mtime_ns) tuples read back from MANIFEST_FAST,
    compared at C speed (160,000 of them, several times a build)."""

    digest: str
    size: int
    mtime_ns: int


@dataclass
class BuildPlan:
    """Where one build reads and writes; shared by build_site and the Pelican plugin."""

    output: Path  # where Pelican writes this run (staging, or the live output in place)
    index: Path  # where indexers build the search index
    state: Path  # where this run's state files go (manifest, build.json, renderer state)
    previous_output: Path | None  # the live output the manifest describes (mtime carry)
    previous_state: Path | None  # the live build's state folder, read-only
    view: PublicView | None = None
    as_of: date | None = None
    drafts_ok: bool = False
    in_place: bool = False  # a plain `pelican` run: no staging, the plugin commits at the end
    session: Any = None  # generator.build.incremental.Session of a `chenglai build`
    # filled in by the plugin while Pelican runs
    manifest: dict[str, ManifestEntry] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    writer: Any = None  # the PortalWriter of this run
    news: list[Any] = field(default_factory=list)  # NewsItems, for callers after the run
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds: pages, renderers, index
    _previous_manifest: dict[str, ManifestEntry] | None = field(default=None, repr=False)

    def previous_manifest(self) -> dict[str, ManifestEntry]:
        """The live build's manifest (read once: 100,000 records make 160,000 files)."""
        if self.previous_state is None:
            return {}
        if self._previous_manifest is None:
            self._previous_manifest = read_manifest(self.previous_state / MANIFEST)
        return self._previous_manifest

    def previous_info(self) -> dict[str, Any]:
        if self.previous_state is None:
            return {}
        try:
            return json.loads((self.previous_state / BUILD_INFO).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}


def _delta_of(path: Path) -> tuple[Path, dict[str, Any], list[str], int] | None:
    """The MANIFEST_DELTA beside `path` (the JSON manifest) when it and its base (MANIFEST_FAST,
    the file it names by size and mtime) are the pair written with that JSON: (base, changed
    entries, removed paths, how many entries the manifest has). None: no such pair."""
    delta, base = path.with_name(MANIFEST_DELTA), path.with_name(MANIFEST_FAST)
    try:
        if delta.stat().st_mtime_ns < path.stat().st_mtime_ns:  # written after the JSON
            return None
        with open(delta, "rb") as fh:
            token, changed, removed, count = marshal.loads(fh.read())
        stat = base.stat()
        if token != [stat.st_size, stat.st_mtime_ns] or not isinstance(changed, dict):
            return None
        return base, changed, list(removed), int(count)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """The manifest written by write_manifest; entries are (digest, size, mtime_ns) tuples (read
    back from MANIFEST_FAST they are plain tuples: index them, or compare them whole)."""
    fast = path.with_name(MANIFEST_FAST)
    try:
        delta = _delta_of(path)
        # written after the json file: present only when the pair is complete; beside a delta,
        # only the base that delta names
        whole = delta is None and not path.with_name(MANIFEST_DELTA).exists()
        if delta is not None or (whole and fast.stat().st_mtime_ns >= path.stat().st_mtime_ns):
            with open(fast, "rb") as fh:
                data = marshal.loads(fh.read())  # load(fh) reads in small pieces: 5x slower
            if isinstance(data, dict) and delta is not None:
                _base, changed, removed, count = delta
                for rel in removed:
                    data.pop(rel, None)
                data.update(changed)
                if len(data) != count:
                    data = None
            if isinstance(data, dict):
                return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: ManifestEntry(*v) for k, v in raw.get("files", {}).items()}


_HEAD, _TAIL = '{"files":{', "}}"  # the manifest's JSON text: head, entries joined by ",", tail
_SEP = '],"'  # between two entries: an entry never holds it (a quote in a path is escaped)
# Past this many changed entries the manifest is written whole, not patched.
PATCH_MAX = 5000


class ManifestDiff(NamedTuple):
    """What differs between a build's manifest and the live build's, each sorted by path."""

    changed: list[str]  # new or different entries
    removed: list[str]  # in the live build's only


def manifest_diff(new: dict[str, Any], old: dict[str, Any]) -> ManifestDiff:
    """The paths whose entries differ: 160,000 entries looked up and compared in C (entries
    kept from the live build are the same objects), no set of 160,000 tuples built."""
    olds = list(map(old.get, new))
    changed = list(itertools.compress(new, map(operator.ne, new.values(), olds)))
    kept = len(new) - olds.count(None)  # entries are tuples, never None: the paths old has too
    removed = [] if kept == len(old) else list(itertools.compress(old, map(operator.not_, map(new.__contains__, old))))
    changed.sort()
    removed.sort()
    return ManifestDiff(changed, removed)


def _entry_text(key: Any, rel: str, e: Any) -> str:
    return f'{key(rel)}:["{e[0]}",{e[1]},{e[2]}]'


def write_manifest(
    path: Path,
    manifest: dict[str, ManifestEntry],
    previous_path: Path | None = None,
    previous: dict[str, ManifestEntry] | None = None,
    diff: ManifestDiff | None = None,
) -> None:
    """manifest.json, and manifest.marshal for the next build. Given the live build's manifest
    (`previous`, as read from `previous_path`), the JSON text is that file's with the changed
    entries replaced (an incremental build changes a few of 160,000); `diff`: manifest_diff of
    the two, when the caller has it."""
    # the same text as json.dumps({"files": {path: [digest, size, mtime_ns]}}) with compact
    # separators, written by hand: a third of the time for 160,000 files
    key = json.JSONEncoder(ensure_ascii=False).encode
    data = None
    if previous_path is not None and previous is not None:
        diff = diff if diff is not None else manifest_diff(manifest, previous)
        data = _patched(key, previous_path, previous, manifest, diff)
    patched = data is not None
    if data is None:
        text = _HEAD + ",".join(_entry_text(key, k, e) for k, e in sorted(manifest.items())) + _TAIL
        data = text.encode("utf-8")
    fast, delta = path.with_name(MANIFEST_FAST), path.with_name(MANIFEST_DELTA)
    fast.unlink(missing_ok=True)  # (a file linked from the live build is never written into)
    delta.unlink(missing_ok=True)
    path.write_bytes(data)
    if patched and previous_path is not None and diff is not None and _write_delta(path, manifest, previous_path, diff):
        return
    copy_fast = path.with_name(MANIFEST_FAST + ".tmp")
    with open(copy_fast, "wb") as fh:
        # marshal takes plain tuples only: entries read back from the live build's copy are
        fh.write(marshal.dumps({k: e if type(e) is tuple else tuple(e) for k, e in manifest.items()}))
    os.replace(copy_fast, fast)


def _write_delta(path: Path, manifest: dict[str, ManifestEntry], previous_path: Path, diff: ManifestDiff) -> bool:
    """The fast copy as the live build's base (hard-linked) and what differs from it: what
    the live build's delta held, with this build's changes (`diff`) on top. False: the live
    build has no such base, or the delta would grow past PATCH_MAX (write the copy whole)."""
    live = _delta_of(previous_path)
    if live is not None:
        base, changed, removed, _count = live
    else:  # the live build's copy is whole: when it is the one written with its JSON, the base
        base, changed, removed = previous_path.with_name(MANIFEST_FAST), {}, []
        try:
            if base.stat().st_mtime_ns < previous_path.stat().st_mtime_ns:
                return False
        except OSError:
            return False
    for rel in diff.removed:
        changed.pop(rel, None)
    changed.update((rel, tuple(manifest[rel])) for rel in diff.changed)
    removed = sorted({*removed, *diff.removed})
    if len(changed) + len(removed) > PATCH_MAX:
        return False
    fast = path.with_name(MANIFEST_FAST)
    share_file(base, fast)
    stat = fast.stat()
    with open(path.with_name(MANIFEST_DELTA), "wb") as fh:  # after the JSON: newer
        fh.write(marshal.dumps(([stat.st_size, stat.st_mtime_ns], changed, removed, len(manifest))))
    return True


def _key_at(text: bytes, start: int) -> tuple[str, int]:
    """The path of the entry that starts at `start`, and where its key ends (at its ':')."""
    if text[start] != 0x22:  # '"'
        raise ValueError(start)
    quote = start
    while True:  # the closing quote: one not escaped (an even number of backslashes before it)
        quote = text.index(b'"', quote + 1)
        escapes = quote
        while text[escapes - 1] == 0x5C:  # '\\'
            escapes -= 1
        if (quote - escapes) % 2 == 0:
            break
    rel = json.loads(text[start : quote + 1])
    if not isinstance(rel, str) or text[quote + 1] != 0x3A:  # ':'
        raise ValueError(start)
    return rel, quote + 1


def _next_start(text: bytes, pos: int, first: int, stop: int) -> int:
    """The start of the first entry that starts at or after `pos` (`stop`: none does)."""
    if pos <= first:
        return first
    sep = text.find(_SEP_B, pos - 2, stop)
    return stop if sep == -1 else sep + 2


def _find(text: bytes, rel: str, first: int, stop: int) -> tuple[int, str | None]:
    """Binary search of the sorted entries from `first` (the first entry's start) to `stop`
    (the end of the last): the start of the last entry whose path is ≤ `rel`, and its path
    (`first` and None when every path is greater). Each step reads one key: some 25 steps for
    160,000 entries instead of splitting the whole text."""
    k, _end = _key_at(text, first)
    if k > rel:
        return first, None
    # lo: an entry whose path is ≤ rel; no entry starting at hi or after has a path ≤ rel
    lo, lo_rel, hi = first, k, stop
    while True:
        mid = max((lo + hi) // 2, lo + 1)
        if mid >= hi:
            return lo, lo_rel
        start = _next_start(text, mid, first, stop)
        if start >= hi:
            hi = mid  # no entry starts in [mid, hi)
            continue
        k, _end = _key_at(text, start)
        if k <= rel:
            lo, lo_rel = start, k
        else:
            hi = start


_HEAD_B, _TAIL_B, _SEP_B = _HEAD.encode(), _TAIL.encode(), _SEP.encode()


def _patched(
    key: Any, previous_path: Path, old: dict[str, ManifestEntry], new: dict[str, ManifestEntry],
    diff: ManifestDiff | None = None,
) -> bytes | None:  # fmt: skip
    """The JSON text (UTF-8) of `new` made from the text of `old` (None: write it whole): the
    entries that differ are found by binary search in the bytes and spliced, the bytes between
    them copied as they are (17 MB at 160,000 entries: not decoded, split or joined entry by
    entry). Every entry replaced or removed is checked to be `old`'s."""
    if diff is None:
        diff = manifest_diff(new, old)
    if len(diff.changed) + len(diff.removed) > PATCH_MAX:
        return None
    try:
        text = previous_path.read_bytes()
    except OSError:
        return None
    if not (text.startswith(_HEAD_B) and text.endswith(_TAIL_B)):
        return None
    first, stop = len(_HEAD_B), len(text) - len(_TAIL_B)
    if (first == stop) != (not old):
        return None
    # (position, 0: insert before the entry there / 1: replace or remove the entry there, path)
    edits: list[tuple[int, int, str]] = []
    try:
        for rel in [*diff.changed, *diff.removed]:
            if rel in old:
                at, found = _find(text, rel, first, stop)
                if found != rel:
                    return None  # a path of `old` not in the text: not the text of `old`
                edits.append((at, 1, rel))
            elif old:  # a new path: before the first entry whose path is greater
                at, found = _find(text, rel, first, stop)
                edits.append((first if found is None else _next_start(text, at + 1, first, stop), 0, rel))
            else:
                edits.append((first, 0, rel))
        edits.sort()
        chunks: list[bytes] = []
        cursor = first
        for at, op, rel in edits:
            if at < cursor:
                return None  # two edits of one entry: not the text of `old`
            run = text[cursor:at]
            chunks.append(run[:-1] if run.endswith(b",") else run)  # the comma before the entry at `at`
            cursor = at
            if op == 1:
                colon = _key_at(text, at)[1]
                end = text.index(b"]", colon) + 1
                if json.loads(text[colon + 1 : end]) != list(old[rel]):
                    return None  # not the text of `old`
                cursor = end + 1 if text.startswith(b",", end) else end
            if rel in new:
                chunks.append(_entry_text(key, rel, new[rel]).encode("utf-8"))
        chunks.append(text[cursor:stop])
    except (ValueError, IndexError):
        return None
    out = _HEAD_B + b",".join(c for c in chunks if c) + _TAIL_B
    if (out.count(_SEP_B) + 1 if new else 0) != len(new):
        return None
    return out


def share_file(src: Path, dst: Path) -> None:
    """`dst` with the bytes of `src`, for a state file carried over unchanged: a hard link (a
    build writes its state files new, never into an existing one: the live copy cannot change
    through the link), else a copy. The render memo alone is 110 MB at 100,000 records."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def as_of_from(settings: dict[str, Any], as_of: date | None = None) -> date:
    """The build date: --as-of, else PORTAL_AS_OF, else today in Asia/Shanghai."""
    if as_of is not None:
        return as_of
    configured = settings.get("PORTAL_AS_OF")
    if isinstance(configured, date):
        return configured
    if configured:
        try:
            return date.fromisoformat(str(configured))
        except ValueError:
            raise UsageError(f"PORTAL_AS_OF 应为 YYYY-MM-DD：{configured!r}") from None
    from generator.cli import today_shanghai

    return today_shanghai()


def records_dir(settings: dict[str, Any]) -> Path:
    portal = portal_settings(settings)
    return Path(settings["PATH"]) / portal["PORTAL_RECORDS_DIR"]


def load_view(
    settings: dict[str, Any], as_of: date, drafts_ok: bool = False, counts: dict[str, int] | None = None
) -> PublicView:
    """Check every record file and decide what is public on `as_of`; any error stops here.
    `counts`, when given, gets how many files were parsed and how many came from the cache."""
    portal = portal_settings(settings)
    folder = records_dir(settings)
    if not folder.is_dir():
        raise UsageError(f"记录目录不存在：{folder}（PATH/PORTAL_RECORDS_DIR）")
    jobs = portal["PORTAL_JOBS"]
    try:  # staff read error lines relative to where they stand
        folder = folder.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    state = paths.state_dir(Path(settings["OUTPUT_PATH"]), settings.get("PORTAL_STATE_PATH"))
    version = code_version()
    notice_days = portal["PORTAL_REMOVAL_NOTICE_DAYS"]
    wanted = viewcache.key(str(folder), as_of, notice_days, drafts_ok, version)
    with no_gc():  # 100,000 records allocate millions of objects, none in cycles
        readings = viewcache.load_readings(state, version)
        # the last build's files and view, when only a few files changed since (and passed)
        quick = viewcache.rebuild(state, wanted, str(folder), as_of, notice_days, drafts_ok)
        if quick is not None:
            view, parsed, files = quick
            if len(casenumber.READINGS) > readings:
                viewcache.save_readings(state, version)
            if counts is not None:
                counts.update(parsed=parsed, cached=files - parsed)
            return view
        # parsed records are kept in the state folder by content hash: unchanged files are not parsed again
        cache = ParseCache(state / parsecache.FILE, version)
        result = check_paths([folder], drafts_ok=drafts_ok, jobs=jobs, cache=cache)
        if result.errors:  # a content error writes nothing, the cache included
            raise ContentErrors(result.errors)
        cache.save()
        if counts is not None:
            counts.update(parsed=cache.parsed, cached=cache.hits)
        view = decide(result.records, as_of, notice_days)
        viewcache.remember(state, wanted, result.records, cache.seen, view)
        if len(casenumber.READINGS) > readings:
            viewcache.save_readings(state, version)
        return view


def in_place_plan(settings: dict[str, Any]) -> BuildPlan:
    """The plan of a plain `pelican content` run: pages straight into OUTPUT_PATH."""
    output = Path(settings["OUTPUT_PATH"])
    state = paths.state_dir(output, settings.get("PORTAL_STATE_PATH"))
    live_state = state / BUILD_STATE
    return BuildPlan(
        output=output,
        index=state / "index.new",
        state=state / (BUILD_STATE + ".new"),
        previous_output=output if output.is_dir() else None,
        previous_state=live_state if live_state.is_dir() else None,
        in_place=True,
    )
