"""What one site build works on: the PublicView and where its files go.

`chenglai build` makes a BuildPlan that points every write at a staging folder, and hands
it to Pelican in the settings (key PLAN_KEY); a plain `pelican content` run gets an in-place
plan from the plugin. Either way the plugin reads the records through `load_view`, the one
path from record files to a PublicView.
"""

from __future__ import annotations

import bisect
import json
import marshal
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from . import casenumber, parsecache, paths, viewcache
from .checker import _no_gc as no_gc
from .checker import check_paths
from .errors import ContentErrors, UsageError
from .parsecache import ParseCache, code_version
from .policy import PublicView, decide
from .settings import portal_settings

PLAN_KEY = "CHENGLAI_BUILD_PLAN"
MANIFEST = "manifest.json"  # output path -> [digest, size, mtime_ns] of the live output
# the same, as marshal data: what the next build reads (json + 160,000 objects: 0.4 s; this: 0.05 s)
MANIFEST_FAST = "manifest.marshal"
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
    session: Any = None  # generator.incremental.Session of a `chenglai build`
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


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """The manifest written by write_manifest; entries are (digest, size, mtime_ns) tuples (read
    back from MANIFEST_FAST they are plain tuples: index them, or compare them whole)."""
    fast = path.with_name(MANIFEST_FAST)
    try:
        # written after the json file: present only when the pair is complete
        if fast.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            with open(fast, "rb") as fh:
                data = marshal.loads(fh.read())  # load(fh) reads in small pieces: 5x slower
            if isinstance(data, dict):
                return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: ManifestEntry(*v) for k, v in raw.get("files", {}).items()}


_HEAD, _TAIL, _SEP = '{"files":{', "}}", '],"'  # the manifest's JSON text: head, entries joined, tail
# Past this many changed entries the manifest is written whole, not patched.
PATCH_MAX = 5000


def _entry_text(key: Any, rel: str, e: Any) -> str:
    return f'{key(rel)}:["{e[0]}",{e[1]},{e[2]}]'


def write_manifest(
    path: Path,
    manifest: dict[str, ManifestEntry],
    previous_path: Path | None = None,
    previous: dict[str, ManifestEntry] | None = None,
) -> None:
    """manifest.json, and manifest.marshal for the next build. Given the live build's manifest
    (`previous`, as read from `previous_path`), the JSON text is that file's with the changed
    entries replaced (an incremental build changes a few of 160,000)."""
    # the same text as json.dumps({"files": {path: [digest, size, mtime_ns]}}) with compact
    # separators, written by hand: a third of the time for 160,000 files
    key = json.JSONEncoder(ensure_ascii=False).encode
    text = None
    if previous_path is not None and previous is not None:
        text = _patched(key, previous_path, previous, manifest)
    if text is None:
        text = _HEAD + ",".join(_entry_text(key, k, e) for k, e in sorted(manifest.items())) + _TAIL
    fast = path.with_name(MANIFEST_FAST)
    fast.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8")
    copy_fast = path.with_name(MANIFEST_FAST + ".tmp")
    with open(copy_fast, "wb") as fh:
        fh.write(marshal.dumps({k: tuple(e) for k, e in manifest.items()}))
    os.replace(copy_fast, fast)


def _patched(key: Any, previous_path: Path, old: dict[str, ManifestEntry], new: dict[str, ManifestEntry]) -> str | None:
    """The JSON text of `new` made from the text of `old` (None: write it whole). The text's
    entries are sorted by path; an entry never holds '],"' (a quote in a path is escaped)."""
    changed = new.items() - old.items()
    removed = old.keys() - new.keys()
    if len(changed) + len(removed) > PATCH_MAX:
        return None
    try:
        text = previous_path.read_text(encoding="utf-8")
    except OSError:
        return None
    if not (text.startswith(_HEAD) and text.endswith(_TAIL)):
        return None
    keys = sorted(old)
    pieces = text[len(_HEAD) : -len(_TAIL)].split(_SEP) if old else []
    if len(pieces) != len(keys):
        return None
    last = len(pieces) - 1
    # split off '],"': each piece back to its whole entry
    entries: list[str | None] = [
        ("" if i == 0 else '"') + piece + ("" if i == last else "]") for i, piece in enumerate(pieces)
    ]
    added = []
    for rel in removed | {rel for rel, _e in changed if rel in old}:
        i = bisect.bisect_left(keys, rel)
        entry = entries[i]
        if i == len(keys) or keys[i] != rel or entry is None or not entry.startswith(key(rel) + ":"):
            return None  # not the text of `old`
        entries[i] = None if rel in removed else _entry_text(key, rel, new[rel])
    for rel, e in changed:
        if rel not in old:
            added.append((bisect.bisect_left(keys, rel), rel, _entry_text(key, rel, e)))
    for i, _rel, entry in sorted(added, reverse=True):  # from the end: earlier positions stay valid
        entries.insert(i, entry)
    out = [e for e in entries if e is not None]
    if len(out) != len(new):
        return None
    return _HEAD + ",".join(out) + _TAIL


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
    from .cli import today_shanghai

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
