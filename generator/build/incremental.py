"""Incremental builds (issue 7): render only what changed since the live build, apply it in place.

A full build renders everything into the staging folder and swaps it in (generator.build.pipeline). It
is what happens the first time, after a crash in the middle of an apply, and whenever the code,
the theme, the settings or the static pages' menu differ from the live build's (`version`).
Otherwise the build is incremental:

1. The parse cache (generator.read.parsecache) gives every unchanged record without parsing it.
2. What each page was made from is compared with what the live build recorded (its state
   folder, STATE_FILE): a record page, and every renderer page per record (RECORD_PAGES, e.g.
   the printable notice), by the record's content hash; a list page by the ids and content
   hashes of its rows and its place in the list; home, browse indexes, removals and 404 by what
   they are made from (pages.SitePages.single_inputs). Only pages whose inputs differ are
   rendered. When the records were only edited in place (none added or removed, none's list
   placement changed: `_placed`), every list holds the same rows in the same order: the keys of
   the live build's list pages are kept but for the pages that show an edited record
   (`touched_list_keys`), and the other records' pages are claimed without a pass over them.
   Sitemaps and every other renderer's files (feeds, open data, statistics, the search page)
   are rendered each time, from what they kept (RenderContext.memo, RenderContext.delta).
3. Pelican's news and pages and what was rendered go to the staging folder, where the leak gate
   scans them as they are written. The unchanged live files are scanned again only for the
   names and case numbers that became withheld since the live build (they were scanned for all
   the others when they were written).
4. The search index is a copy of the live one (hard links: Whoosh never rewrites a file) in
   which the documents of added, changed and removed records and news are replaced; it is
   swapped in like a full build's.
5. Apply (`apply`): each new or changed file replaces the live one by rename, the replaced one
   and every file the build no longer makes are moved to previous/delta/ (rollback), and the
   build state is swapped in. A journal file marks the apply: a build that finds one (a crash
   mid-apply) makes a full build. Unchanged files are not touched: they keep their mtime. The
   baseline of the next build is written as what changed since the live one's STATE_FILE
   (STATE_DELTA), which is hard-linked, as the render memo is (MEMO_DELTA).

The result equals a full build's byte for byte (tests/test_incremental.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, KeysView
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, filterfalse, islice, repeat
from math import ceil
from operator import attrgetter, ne
from pathlib import Path
from typing import Any

from generator.build import leakcheck
from generator.build.forked import Forked
from generator.domain.policy import PublicRecord, PublicView, newest_first
from generator.read import parsecache
from generator.read.plan import (
    MANIFEST,
    MANIFEST_FAST,
    PLAN_KEY,
    ManifestDiff,
    ManifestEntry,
    manifest_diff,
    read_manifest,
    share_file,
)
from generator.render import outputs
from generator.render.outputs import Delta, OutputFile, RenderContext
from generator.render.pages import SINGLES, ListSpec, Pager, SitePages, lists_of, placement, public_ids, records_of

STATE_FILE = "incremental.pickle"  # in the build state folder: what the next build compares with
# beside it: what changed in the baseline since STATE_FILE was written (then STATE_FILE is the one
# an earlier build wrote, hard-linked: a one-record build does not pickle 15 MB again)
STATE_DELTA = "incremental-delta.pickle"
# Past this many records changed since STATE_FILE was written, the baseline is written whole again.
STATE_DELTA_MAX = 5000
MEMO_FILE = "render-memo.pickle"  # in the build state folder: RenderContext.memo
# beside it: what changed in the memo since MEMO_FILE was written (then MEMO_FILE is the one an
# earlier build wrote, hard-linked: a one-record build does not pickle 110 MB again)
MEMO_DELTA = "render-memo-delta.pickle"
# Past this many changed or removed memo entries, the memo is written whole again.
MEMO_DELTA_MAX = 5000
JOURNAL = "apply-journal"  # in the state folder while an apply runs
# 2: Baseline.documents hold update.news_keys; 3: Baseline.parts (RenderContext.delta); 4: inputs
# without the records, Baseline.theirs, placed, singles, STATE_DELTA
FORMAT = 4
RECORD_PAGE = "{url}index.html"
INDEXER = "search.indexer:build"  # the indexer an incremental build updates instead of rebuilding
CHILD_INDEX = "index-update"  # <state>/index-update.<pid>: the forked index update's folder
# settings that differ between builds without changing any page
VOLATILE = {"OUTPUT_PATH", "PORTAL_AS_OF", "CHENGLAI_BUILD_PLAN"}
# Below this many pages to render, forked workers cost more than they save.
PARALLEL_MIN_PAGES = 3000


# -- what a build depends on besides the records ------------------------------------------
def _stable(value: Any) -> Any:
    """A setting as JSON-able data that is the same from one run to the next."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_stable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (date, Path)):
        return str(value)
    # functions, classes, objects: their name (their code is part of the version when ours)
    return f"<{type(value).__module__}.{getattr(value, '__qualname__', type(value).__qualname__)}>"


def _tree_digest(h: Any, root: Path) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())


def version(settings: dict[str, Any], site_pages: Any) -> str:
    """Everything a page depends on other than the records and the date: our code (generator,
    search), the parsing libraries, the theme's files, the settings, the static pages' menu.
    Two builds with the same version render the same page from the same inputs."""
    h = hashlib.sha256(f"{FORMAT} {parsecache.code_version()}".encode())
    _tree_digest(h, Path(__file__).resolve().parent.parent / "search")
    theme = settings.get("THEME")
    if theme and Path(theme).is_dir():
        _tree_digest(h, Path(theme))
    plain = {k: _stable(v) for k, v in settings.items() if k.isupper() and k not in VOLATILE}
    h.update(json.dumps([plain, _stable(site_pages), outputs.RENDERERS, outputs.INDEXERS], ensure_ascii=False,
                        sort_keys=True).encode())  # fmt: skip
    return h.hexdigest()


# -- what the live build left ----------------------------------------------------------------
@dataclass
class Baseline:
    """What a build recorded for the next one to compare with."""

    version: str
    records: dict[str, str]  # public record id → content hash (its pages and index document)
    lists: dict[str, str]  # list page path → hash of what it was rendered from
    withheld: frozenset[bytes]  # hashes of the withheld names and case numbers (the leak gate's)
    documents: dict[str, str]  # search document id (news) → hash of its news item (search.update.news_keys)
    inputs: str = ""  # hash of what the renderers read besides the records: date, news… (`inputs`)
    ours: frozenset[str] = frozenset()  # the files this generator made (not Pelican's own), or:
    theirs: frozenset[str] | None = None  # the manifest's files not ours (Pelican's): ours are the rest
    uscc: frozenset[bytes] | None = None  # hashes of the public USCCs (the leak gate lets them pass)
    parts: dict[str, str] = field(default_factory=dict)  # `input_parts`: as_of, news, notices
    placed: dict[str, bytes] = field(default_factory=dict)  # public record id → `_placed`
    singles: dict[str, str] = field(default_factory=dict)  # pages.SINGLES name → hash of its inputs

    def ours_in(self, manifest: dict[str, ManifestEntry]) -> Iterable[str]:
        """The files of ours among those of `manifest` (this build's)."""
        return self.ours if self.theirs is None else manifest.keys() - self.theirs

    @property
    def knows_ours(self) -> bool:
        return bool(self.ours) or self.theirs is not None


def input_parts(ctx: RenderContext) -> dict[str, str]:
    """The inputs other than the records and what is withheld, each by itself (Delta)."""
    return {"as_of": str(ctx.view.as_of), "notices": _digest(repr(ctx.view.notices)), "news": _digest(repr(ctx.news))}


def inputs(ctx: RenderContext, withheld: dict[bytes, str] | None = None, parts: dict[str, str] | None = None) -> str:
    """What every renderer reads besides the settings, the previous build's state and the public
    records (Baseline.records): the date, the notices, what is withheld (`_withheld`), the news."""
    view = ctx.view
    parts = input_parts(ctx) if parts is None else parts
    h = hashlib.blake2b(f"{parts['as_of']}\n".encode(), digest_size=16)
    h.update(parts["notices"].encode())
    h.update(b"".join(sorted(_withheld(view) if withheld is None else withheld)))
    h.update(parts["news"].encode())
    return h.hexdigest()


@dataclass
class Stored:
    """What STATE_DELTA holds besides the small fields (for the next build's delta): the records
    changed since STATE_FILE was written (id → digest, None: no longer public) and their
    `_placed`, and the sets STATE_FILE holds (a delta names them only when they differ)."""

    records: dict[str, str | None]
    placed: dict[str, bytes | None]
    withheld: frozenset[bytes]
    uscc: frozenset[bytes] | None


_SETS = ("withheld", "uscc")  # in STATE_DELTA only when they differ from STATE_FILE's


def _apply_changes(values: dict[str, Any], changes: dict[str, Any]) -> None:
    """`values` with a STATE_DELTA's changes: a new value, or None for a key no longer there."""
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value


def read_baseline(state: Path | None) -> Baseline | None:
    found = read_state(state)
    return None if found is None else found[0]


def read_state(state: Path | None) -> tuple[Baseline, Stored] | None:
    """The live build's baseline (STATE_FILE with STATE_DELTA applied), and what STATE_DELTA held."""
    if state is None:
        return None
    try:
        with open(state / STATE_FILE, "rb") as fh:
            fmt, data = pickle.load(fh)
        if fmt != FORMAT:
            return None
        stored = Stored({}, {}, data["withheld"], data.get("uscc"))
        if (state / STATE_DELTA).exists():
            with open(state / STATE_DELTA, "rb") as fh:
                fmt, fields, stored.records, stored.placed = pickle.load(fh)
            if fmt != FORMAT:
                return None
            data.update(fields)
            _apply_changes(data["records"], stored.records)
            _apply_changes(data["placed"], stored.placed)
        base = Baseline(**data)
        if not isinstance(base.records, dict) or not isinstance(base.lists, dict):
            return None
        return base, stored
    except Exception:  # noqa: BLE001 - missing or damaged: a full build
        return None


Memo = dict[str, dict[str, tuple[str, Any]]]


def _read_memo(state: Path) -> tuple[Memo, Memo | None]:
    """The render memo the live build left, and the memo of its MEMO_FILE alone (None: the memo
    could not be read; the next one is written whole)."""
    try:
        with open(state / MEMO_FILE, "rb") as fh:
            base = pickle.load(fh)
        if not isinstance(base, dict):
            return {}, None
        if not (state / MEMO_DELTA).exists():
            return dict(base), base
        with open(state / MEMO_DELTA, "rb") as fh:
            names, changed, removed = pickle.load(fh)
        memo: Memo = {}
        for name in names:
            part = memo[name] = dict(base.get(name, {}))
            for key in removed.get(name, ()):
                del part[key]
            part.update(changed.get(name, {}))
        return memo, base
    except Exception:  # noqa: BLE001 - missing or damaged: renderers compute everything
        return {}, None


_MISSING = object()


def memo_delta(base: Memo, memo: Memo) -> tuple[list[str], Memo, dict[str, list[str]]] | None:
    """`memo` as what differs from `base`: (its renderers' names, changed entries, removed keys);
    None when more than MEMO_DELTA_MAX entries differ."""
    changed: Memo = {}
    removed: dict[str, list[str]] = {}
    count = 0
    for name, part in memo.items():
        old = base.get(name, {})
        # entries compared in C (one kept from the previous build is the same object, or holds them)
        new = {k: part[k] for k in compress(part, map(ne, part.values(), map(old.get, part, repeat(_MISSING))))}
        # part holds old's keys less the removed ones, plus the added ones: count, then look
        added = sum(1 for k in new if k not in old)
        gone = [k for k in old if k not in part] if len(old) + added != len(part) else []
        count += len(new) + len(gone)
        if count > MEMO_DELTA_MAX:
            return None
        if new:
            changed[name] = new
        if gone:
            removed[name] = gone
    return list(memo), changed, removed


def _list_head(spec: ListSpec, per_page: int) -> tuple[bytes, int]:
    """What every page of a list is rendered from besides its rows, and its page count."""
    count = len(spec.rows)
    pages = max(1, ceil(count / per_page))
    head = repr((spec.base, spec.heading, spec.nav, spec.name, spec.note, spec.feed, spec.crumb, spec.ground,
                 pages, count)).encode()  # fmt: skip
    return head, pages


def _page_key(head: bytes, n: int, keys: Iterable[bytes]) -> str:
    h = hashlib.blake2b(head, digest_size=16)
    h.update(b"%d\n" % n)
    h.update(b"".join(keys))
    return h.hexdigest()


def list_keys(site: SitePages) -> dict[str, tuple[str, int, int]]:
    """Every list page: path → (hash of what it is rendered from, spec index, page number)."""
    per_page = site.per_page
    # every row's key once (a record is in four lists or more), by the record object itself
    row_keys: dict[int, bytes] = {id(r): f"{r.id}\t{r.digest}\n".encode() for r in site.view.public}
    out: dict[str, tuple[str, int, int]] = {}
    for i, spec in enumerate(site.specs):
        head, pages = _list_head(spec, per_page)
        try:
            keys = [row_keys[id(r)] for r in spec.rows]
        except KeyError:  # a row not in view.public (not made by policy.decide)
            keys = [f"{r.id}\t{r.digest}\n".encode() for r in spec.rows]
        for n in range(1, pages + 1):
            key = _page_key(head, n, keys[(n - 1) * per_page : n * per_page])
            out[Pager(spec.base, n, pages, len(spec.rows)).save_as] = (key, i, n)
    return out


def touched_list_keys(
    site: SitePages, records: Iterable[Any], before: dict[str, str]
) -> dict[str, tuple[str, int, int]] | None:
    """`list_keys` of the list pages that hold `records`, when every list holds the rows it held
    when `before` (the live build's list keys) was made, in the same order (the records were
    edited in place, their `pages.placement` unchanged): the other pages' keys are `before`'s.
    None when that cannot be shown (then every key is computed)."""
    per_page = site.per_page
    specs = site.specs
    if sum(max(1, ceil(len(s.rows) / per_page)) for s in specs) != len(before):
        return None  # other pages than the live build's
    where = {s.base: i for i, s in enumerate(specs)}
    out: dict[str, tuple[str, int, int]] = {}
    for r in records:
        bases = lists_of(r)
        if len(set(bases)) != len(bases):
            return None  # twice in a list
        for base in bases:
            i = where.get(base)
            if i is None:
                return None
            spec = specs[i]
            rows = spec.rows
            at = bisect_left(rows, newest_first(r), key=newest_first)
            if at >= len(rows) or rows[at] is not r:
                return None
            head, pages = _list_head(spec, per_page)
            n = at // per_page + 1
            path = Pager(spec.base, n, pages, len(rows)).save_as
            if path not in before:
                return None
            page = rows[(n - 1) * per_page : n * per_page]
            out[path] = (_page_key(head, n, (f"{x.id}\t{x.digest}\n".encode() for x in page)), i, n)
    return out


def _placed(r: Any) -> bytes:
    """A record's `pages.placement` and USCC, by hash: the same value means the same list pages
    (generator.render.pages) and the same public USCC (the leak gate's exemption) as before."""
    return hashlib.blake2b(repr((placement(r), r.uscc)).encode(), digest_size=8).digest()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def single_keys(site: SitePages, notices: str | None = None) -> dict[str, str]:
    """pages.SINGLES name → hash of what its page(s) are rendered from (`notices`: the removal
    notices' digest, input_parts's)."""
    return {name: _digest(site.single_inputs(name, notices)) for name in SINGLES}


def _url_format(view: PublicView) -> str | None:
    """PublicRecord.url as a format of the id ("debtors/{}/"), when it is one (tried on the
    first and last record): 100,000 urls are then made in C."""
    if not view.public:
        return None
    first = view.public[0]
    form = first.url.replace("{", "{{").replace("}", "}}").replace(first.id, "{}")
    if form.count("{}") != 1 or any(form.format(r.id) != r.url for r in (first, view.public[-1])):
        return None
    return form


def _uscc(view: PublicView) -> frozenset[bytes]:
    """The public USCCs, by hash (an 18-digit one is let through by the leak gate's ID check)."""
    return frozenset(hashlib.blake2b(r.uscc.encode(), digest_size=16).digest() for r in view.public if r.uscc)


def _withheld(view: PublicView) -> dict[bytes, str]:
    """What the leak gate looks for, by hash: the state folder holds no withheld name."""
    return {
        hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest(): text
        for text in (*view.withheld_names, *view.withheld_case_numbers)
    }


# -- one build ---------------------------------------------------------------------------
@dataclass
class Session:
    """An incremental build's decisions and bookkeeping, carried by the BuildPlan."""

    base: Baseline | None  # the live build's baseline (None: a full build)
    live: Path | None  # the live output
    live_index: Path | None  # the live search index
    memo_in: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    memo_base: Memo | None = None  # the live build's MEMO_FILE, as read (memo_in: with its delta)
    incremental: bool = False  # decided in `begin`
    unchanged: bool = False  # nothing the renderers read changed (decided in `begin`)
    inputs: str = ""
    parts: dict[str, str] = field(default_factory=dict)  # input_parts
    version: str = ""
    changed: frozenset[str] = frozenset()  # public record ids whose own pages are rendered
    claimed: list[str] = field(default_factory=list)  # live files kept as they are
    new_withheld: frozenset[str] = frozenset()  # withheld now, not in the live build
    # the writer may scan a rewritten big file only in its new lines (writer.PortalWriter._scan):
    # nothing became withheld, no public USCC stopped being public, no withheld string has a line break
    diff_scan: bool = False
    index_docs: tuple[int, int] = (0, 0)  # search documents (replaced or added, deleted)
    index_scanned: bool = False  # every document added to the index this build was scanned
    rendered: int = 0  # pages rendered (incremental) — for the build result
    leaks: list[leakcheck.Leak] = field(default_factory=list)  # found in new search documents
    next: Baseline | None = None
    memo_out: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)  # public record id → digest (begin)
    removed: frozenset[str] = frozenset()  # public in the live build, not now
    # the public records are the live build's, edited in place: none added or removed, none's
    # `_placed` changed — every list holds the same rows in the same order (begin)
    in_place: bool = False
    lists_from_live: bool = False  # the list keys are the live build's but for the edited records' pages
    stored: Stored | None = None  # what the live build's STATE_DELTA held (read_state)
    _changed_records: list[PublicRecord] | None = None  # the records of `changed`, in view order
    _lists: dict[str, str] | None = None  # list page path → key (site_jobs)
    _singles: dict[str, str] | None = None  # single page name → key (site_jobs)
    _ids: list[str] | None = None  # the ids of the public records not changed (in_place)
    _ours: tuple[KeysView[str], int] | None = None  # the writer's files, and how many were ours (finish)
    _uscc: frozenset[bytes] | None = None
    _withheld: dict[bytes, str] | None = None  # `_withheld` of the view (begin)
    _index_child: tuple[Forked, Path] | None = None  # the forked index update and its folder
    kept_from: Path | None = None  # the live build state, when this build keeps everything
    live_state: Path | None = None  # where memo_in is read from (when something changed: 110 MB)

    @classmethod
    def open(cls, state: Path, live: Path, live_state: Path | None, live_index: Path) -> Session:
        """A session for a build into `live`: incremental when the live build left a baseline,
        the live output and index exist, and no apply was interrupted."""
        found = read_state(live_state)
        if found is None or (state / JOURNAL).exists() or not live.is_dir() or not live_index.is_dir():
            return cls(None, None, None)
        assert live_state is not None
        return cls(found[0], live, live_index, live_state=live_state, stored=found[1])

    # -- during the Pelican run (RecordsGenerator.generate_output) -------------------------
    def begin(self, ctx: RenderContext, site_pages: Any) -> None:
        self.version = version(ctx.settings, site_pages)
        self.incremental = self.base is not None and self.base.version == self.version
        withheld = self._withheld = _withheld(ctx.view)
        self.parts = input_parts(ctx)
        self.inputs = inputs(ctx, withheld, self.parts)
        public = ctx.view.public
        self.records = dict(zip(public_ids(public), map(attrgetter("digest"), public), strict=True))
        if self.incremental:
            assert self.base is not None
            before = self.base.records
            # digests compared in C: the ids new or with another digest
            self.changed = frozenset(
                compress(self.records, map(ne, self.records.values(), map(before.get, self.records)))
            )
            added = frozenset(rid for rid in self.changed if rid not in before)
            # records holds before's ids, less the removed ones, plus the added ones: count, then look
            if len(self.records) - len(added) != len(before):
                self.removed = frozenset(before.keys() - self.records.keys())
            # nothing a renderer reads changed: every file of ours is the live one (renderers are
            # deterministic: a second build of the same inputs writes no file — tested). The
            # inputs hold what is withheld: nothing became withheld either
            self.unchanged = (
                self.base.inputs == self.inputs and not self.changed and not self.removed and self.base.knows_ours
            )
            if self.unchanged:
                return
            if self.live_state is not None:
                self.memo_in, self.memo_base = _read_memo(self.live_state)
            ctx.memo = self.memo_in
            self.new_withheld = frozenset(t for h, t in withheld.items() if h not in self.base.withheld)
            self._changed_records = records_of(public, self.changed)
            placed = self.base.placed
            self.in_place = (
                not added
                and not self.removed
                and len(placed) == len(before)  # (saved with the records, updated with them)
                and all(placed.get(r.id) == _placed(r) for r in self._changed_records)
            )
            assert self.live is not None
            parts = self.base.parts
            ctx.delta = Delta(
                added=added,
                removed=self.removed,
                changed=self.changed - added,
                same_as_of=parts.get("as_of") == self.parts["as_of"],
                same_news=parts.get("news") == self.parts["news"],
                same_withheld=self.base.withheld == frozenset(withheld),
                same_notices=parts.get("notices") == self.parts["notices"],
                live=self.live,
            )
            # in place: the same public USCCs (`_placed` holds them)
            self._uscc = self.base.uscc if self.in_place and self.base.uscc is not None else _uscc(ctx.view)
            self.diff_scan = (
                not self.new_withheld
                and self.base.uscc is not None
                and self.base.uscc <= self._uscc
                and not any("\n" in t or "\r" in t for t in (*ctx.view.withheld_names, *ctx.view.withheld_case_numbers))
            )

    def keep_everything(self, writer: Any, plan: Any, ctx: RenderContext) -> None:
        """The build of unchanged inputs: the live files of ours, renderers' state, index kept."""
        assert self.base is not None and self.live_index is not None and plan.previous_state is not None
        writer.claim(self.base.ours_in(writer.previous))
        skip = {MANIFEST, MANIFEST_FAST, "build.json", STATE_FILE, STATE_DELTA, MEMO_FILE, MEMO_DELTA}
        for path in sorted(plan.previous_state.rglob("*")):
            rel = path.relative_to(plan.previous_state)
            if path.is_file() and str(rel) not in skip:
                (plan.state / rel).parent.mkdir(parents=True, exist_ok=True)
                share_file(path, plan.state / rel)
        link_index(self.live_index, plan.index)
        self.index_scanned = True
        self.next = self.base
        self.memo_out = self.memo_in
        self.kept_from = plan.previous_state  # save() copies the files it would write again

    def record_pages(self, previous: dict[str, ManifestEntry], view: PublicView, pattern: str) -> frozenset[str]:
        """The ids whose page `pattern` must be rendered: changed records, and any whose page the
        live build lacks; claims the others' pages."""
        changed = self.changed
        pre, _, post = pattern.partition("{url}")
        form = _url_format(view) if self.in_place and not {"{", "}"} & set(pre + post) else None
        if form is not None:
            # the live build's records, each of which had its page then: those not changed keep it
            if self._ids is None:
                self._ids = list(filterfalse(changed.__contains__, self.records))
            kept = list(map(f"{pre}{form}{post}".format, self._ids))
            if all(map(previous.__contains__, kept)):
                self.claimed += kept
                return changed
        if "{" in pre + post:  # more than the url in the pattern
            paths = [(r.id, pattern.format(url=r.url)) for r in view.public if r.id not in changed]
        else:
            paths = [(r.id, f"{pre}{r.url}{post}") for r in view.public if r.id not in changed]
        self.claimed += [path for _id, path in paths if path in previous]
        return changed | {rid for rid, path in paths if path not in previous}

    def site_jobs(
        self, site: SitePages, previous: dict[str, ManifestEntry]
    ) -> tuple[list[Any], Callable[[Any], Iterator[OutputFile]]]:
        """The jobs of the site's own pages that must be rendered, and how to run one."""
        self.start_index(site.ctx)  # beside what follows
        view = site.view
        wanted = self.record_pages(previous, view, RECORD_PAGE)
        if wanted == self.changed and self._changed_records is not None:
            records = self._changed_records
        else:
            records = [r for r in view.public if r.id in wanted]
        by_id = {r.id: r for r in records}
        jobs: list[Any] = [("some", tuple(r.id for r in records[a : a + 500])) for a in range(0, len(records), 500)]
        assert self.base is not None
        before = self.base.lists
        todo: dict[int, list[int]] = {}
        touched = None
        if self.in_place and previous.keys() >= before.keys():
            touched = touched_list_keys(site, self._changed_records or (), before)
        self.lists_from_live = touched is not None
        if touched is not None:  # the other pages are the live ones
            self._lists = {**before, **{path: key for path, (key, _s, _n) in touched.items()}}
            for path, (key, spec, n) in touched.items():
                if before.get(path) != key:
                    todo.setdefault(spec, []).append(n)
            self.claimed += [path for path in before if path not in touched or before[path] == touched[path][0]]
        else:
            keys = list_keys(site)
            self._lists = {path: key for path, (key, _s, _n) in keys.items()}
            for path, (key, spec, n) in keys.items():
                if before.get(path) == key and path in previous:
                    self.claimed.append(path)
                else:
                    todo.setdefault(spec, []).append(n)
        for spec, numbers in todo.items():
            numbers.sort()
            start = prev = numbers[0]
            following: list[int | None] = [*numbers[1:], None]
            for page in following:  # contiguous pages of a list, up to 100, make one job
                if page is not None and page == prev + 1 and page - start < 100:
                    prev = page
                    continue
                jobs.append(("list", spec, start, prev))
                if page is not None:
                    start = prev = page
        # home, browse indexes, removals, 404: kept when made from what the live ones were
        self._singles = singles = single_keys(site, self.parts.get("notices"))
        n_singles = 0
        for name in SINGLES:
            paths = site.single_paths(name)
            if self.base.singles.get(name) == singles[name] and all(p in previous for p in paths):
                self.claimed += paths
            else:
                jobs.append(("single", name))
                n_singles += 1
        self.rendered = len(records) + sum(len(v) for v in todo.values()) + n_singles

        def run(job: Any) -> Iterator[OutputFile]:
            if job[0] == "some":
                return site.records([by_id[i] for i in job[1]])
            return site.run(job)

        return jobs, run

    def renderer_context(
        self, render: Callable[..., Any], ctx: RenderContext, previous: dict[str, ManifestEntry]
    ) -> RenderContext:
        """The context a renderer gets: with `changed` when it renders one page per record."""
        pattern = getattr(sys.modules.get(render.__module__), "RECORD_PAGES", None)
        if not self.incremental or pattern is None:
            return ctx
        return dataclasses.replace(ctx, changed=self.record_pages(previous, ctx.view, pattern))

    def start_index(self, ctx: RenderContext) -> None:
        """Start the index update (`update_index`) in a forked process, to run beside the page
        rendering on another core: jieba's dictionary alone takes half a second to load. Its
        documents are scanned by the leak gate here, when it is collected (`update_index`),
        before the index can go live."""
        plan = ctx.settings.get(PLAN_KEY)
        jobs = ctx.settings.get("PORTAL_JOBS") or os.cpu_count() or 1
        if plan is None or jobs < 2 or outputs.INDEXERS != [INDEXER] or self._index_child is not None:
            return
        # imported here, not in the child: the search page's renderer imports the indexer (whoosh)
        # in this process anyway; the child inherits it
        from search import update

        assert self.base is not None and self.live_index is not None
        target: Path = plan.index
        # the child works outside the staging folder (moved into place when collected): a build
        # that fails before collecting it removes staging without racing it; what such a child
        # leaves is removed here, by the next build (one build at a time: the state lock)
        state = target.parent.parent
        for leftover in state.glob(f"{CHILD_INDEX}.*"):
            shutil.rmtree(leftover, ignore_errors=True)
        work = state / f"{CHILD_INDEX}.{os.getpid()}"
        live, base = self.live_index, self.base

        def child() -> tuple[str, str, int, int, list[tuple[str, bytes]]]:
            texts: list[tuple[str, bytes]] = []
            link_index(live, work)
            written, deleted, _ = update.update(ctx, work, base.records, base.documents, lambda: None, texts)
            texts = [(name.replace(work.name, target.name, 1), text) for name, text in texts]
            return str(target), str(work), written, deleted, texts

        # a failure there is not raised: the parent redoes the update itself (update_index)
        forked = Forked(child, "chenglai-index-update", died="搜索索引更新进程意外退出", failed="搜索索引更新失败")
        self._index_child = (forked, work)

    def _collect_index(self, target: Path, gate: Callable[[], leakcheck.LeakGate | None]) -> bool:
        """The forked update's result, moved to `target` (False: none, or it failed)."""
        if self._index_child is None:
            return False
        forked, work = self._index_child
        self._index_child = None
        ok, result = forked.result()
        if not ok or result[0] != str(target) or result[1] != str(work):
            shutil.rmtree(work, ignore_errors=True)
            return False
        _target, _work, written, deleted, texts = result
        if target.exists():
            target.rmdir()  # made empty by the plugin, for the indexers
        os.rename(work, target)
        self.index_docs = (written, deleted)
        scanner = gate()
        if scanner is not None:
            for name, text in texts:
                self.leaks += scanner.scan(text, name)
        return True

    def update_index(self, ctx: RenderContext, target: Path, gate: Callable[[], leakcheck.LeakGate | None]) -> None:
        """The live search index, with the changed documents replaced, into `target`."""
        from search import update

        assert self.base is not None and self.live_index is not None
        # another indexer may have written into the folder too: then the leak gate reads it all
        self.index_scanned = outputs.INDEXERS == [INDEXER]
        if self._collect_index(target, gate):
            return
        link_index(self.live_index, target)
        written, deleted, leaks = update.update(ctx, target, self.base.records, self.base.documents, gate)
        self.index_docs = (written, deleted)
        self.leaks += leaks

    def finish(self, ctx: RenderContext, site: SitePages, ours: Iterable[str]) -> None:
        """What this build leaves for the next one (written with the build state); `ours`: the
        files of this generator."""
        documents: dict[str, str] = {}
        if INDEXER in outputs.INDEXERS:
            from search import update

            documents = update.news_keys(ctx)
        base = self.base if self.incremental else None
        withheld = frozenset(self._withheld if self._withheld is not None else _withheld(ctx.view))
        if base is not None and base.withheld == withheld:
            withheld = base.withheld  # the same object: STATE_DELTA leaves it out
        if base is not None and len(base.placed) == len(base.records):
            placed = base.placed  # updated in place: the live build's is not read again
            for rid in self.removed:
                placed.pop(rid, None)
            placed.update((r.id, _placed(r)) for r in self._changed_records or ())
        else:
            placed = {r.id: _placed(r) for r in ctx.view.public}
        theirs: frozenset[str] | None = None
        if isinstance(ours, KeysView):
            # the writer's manifest (a dict) so far: this generator's files; Pelican's come after
            self._ours = (ours, len(ours))
            theirs = frozenset()
        self.next = Baseline(
            version=self.version,
            records=self.records,
            lists=self._lists if self._lists is not None else {p: k for p, (k, _s, _n) in list_keys(site).items()},
            withheld=withheld,
            documents=documents,
            inputs=self.inputs,
            ours=frozenset() if theirs is not None else frozenset(ours),
            theirs=theirs,
            uscc=self._uscc if self._uscc is not None else _uscc(ctx.view),
            parts=self.parts,
            placed=placed,
            singles=self._singles if self._singles is not None else single_keys(site, self.parts.get("notices")),
        )
        self.memo_out = ctx.memo  # each renderer left what the next build may reuse

    def save(self, state: Path) -> None:
        """Into the new build state folder (swapped in with the site)."""
        if self.next is None:
            return
        if self.kept_from is not None:  # nothing changed: the live build's files, as they are
            for name in (STATE_FILE, STATE_DELTA, MEMO_FILE, MEMO_DELTA):
                if name not in (STATE_DELTA, MEMO_DELTA) or (self.kept_from / name).exists():
                    share_file(self.kept_from / name, state / name)
            return
        if self._ours is not None:  # what the writer's manifest got after this generator's files
            view, count = self._ours
            self.next.theirs = frozenset(islice(view, count, None))
        self._save_baseline(state, self.next)
        if self.memo_base is not None and self.live_state is not None:
            delta = memo_delta(self.memo_base, self.memo_out)
            if delta is not None:  # the live MEMO_FILE stays the base; what changed since goes beside it
                share_file(self.live_state / MEMO_FILE, state / MEMO_FILE)
                with open(state / MEMO_DELTA, "wb") as fh:
                    pickle.dump(delta, fh, protocol=pickle.HIGHEST_PROTOCOL)
                return
        with open(state / MEMO_FILE, "wb") as fh:
            pickle.dump(self.memo_out, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def _save_baseline(self, state: Path, next: Baseline) -> None:
        """STATE_FILE, or (an incremental build) the live one hard-linked and what changed since
        it was written in STATE_DELTA."""
        stored, live = self.stored, self.live_state
        if self.incremental and stored is not None and live is not None and (live / STATE_FILE).exists():
            records = dict(stored.records)
            placed = dict(stored.placed)
            for rid in self.removed:
                records[rid] = None
                placed[rid] = None
            for rid in self.changed:
                records[rid] = next.records[rid]
                placed[rid] = next.placed[rid]
            if len(records) <= STATE_DELTA_MAX:
                big = ("records", "placed", *_SETS)
                fields = {k: v for k, v in vars(next).items() if k not in big}
                fields.update({k: getattr(next, k) for k in _SETS if getattr(next, k) != getattr(stored, k)})
                share_file(live / STATE_FILE, state / STATE_FILE)
                with open(state / STATE_DELTA, "wb") as fh:
                    pickle.dump((FORMAT, fields, records, placed), fh, protocol=pickle.HIGHEST_PROTOCOL)
                return
        with open(state / STATE_FILE, "wb") as fh:
            pickle.dump((FORMAT, vars(next)), fh, protocol=pickle.HIGHEST_PROTOCOL)

    # -- the leak gate's part ----------------------------------------------------------------
    def delta_gate(self, settings: dict[str, Any], view: PublicView) -> leakcheck.LeakGate | None:
        """A gate for what became withheld since the live build (None: nothing did)."""
        if not self.new_withheld:
            return None
        from generator.build.plugin import make_gate

        names = view.withheld_names & self.new_withheld
        cases = view.withheld_case_numbers & self.new_withheld
        return make_gate(settings, dataclasses.replace(view, withheld_names=names, withheld_case_numbers=cases))

    def scan_claimed(self, gate: leakcheck.LeakGate, kept: list[str], jobs: int | None) -> list[leakcheck.Leak]:
        """The live files this build keeps (not rendered, or rendered to the same bytes), for
        the needles of `gate`."""
        assert self.live is not None
        return leakcheck.scan_listed(gate, self.live, sorted({*self.claimed, *kept}), jobs)


# -- applying an incremental build to the live output ------------------------------------
def _move(src: str, dst: str) -> None:
    try:
        os.rename(src, dst)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(src, dst)


def _prune(root: str, rel: str) -> None:
    """Remove the folders a removed file leaves empty (a full build would not have them)."""
    parts = rel.split("/")[:-1]
    while parts:
        try:
            os.rmdir(os.path.join(root, *parts))
        except OSError:
            return
        parts.pop()


def apply(staging: Path, live: Path, new: dict[str, ManifestEntry], old: dict[str, ManifestEntry],
          previous: Path, journal: Path, diff: ManifestDiff | None = None) -> tuple[int, int]:  # fmt: skip
    """Make `live` hold what `new` lists: files that differ from `old` come from `staging` by
    rename; replaced and removed files go to `previous` (rollback). Returns (written, removed).
    `diff`: plan.manifest_diff(new, old), when the caller has it."""
    changed, removed = diff if diff is not None else manifest_diff(new, old)
    journal.write_text(json.dumps({"changed": len(changed), "removed": len(removed)}) + "\n", encoding="utf-8")
    previous.mkdir(parents=True, exist_ok=True)
    root, stage, back = str(live), str(staging), str(previous)
    for rel in changed:
        if rel in old:
            _move(f"{root}/{rel}", f"{back}/{rel}")
        _move(f"{stage}/{rel}", f"{root}/{rel}")
    for rel in removed:
        try:
            _move(f"{root}/{rel}", f"{back}/{rel}")
        except FileNotFoundError:
            pass  # already gone from the live output
        _prune(root, rel)
    added = sorted(rel for rel in changed if rel not in old)
    (previous / "added.txt").write_text("".join(f"{rel}\n" for rel in added), encoding="utf-8")
    return len(changed), len(removed)


def link_index(live: Path, target: Path) -> None:
    """A copy of a Whoosh index to update: segment files hard-linked (Whoosh writes new files
    and never rewrites one), the table of contents, lock and site.json copied."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(live):
        if not entry.is_file():
            continue
        dst = target / entry.name
        if entry.name.startswith("MAIN_") and not entry.name.endswith("WRITELOCK"):
            os.link(entry.path, dst)
        else:
            shutil.copy2(entry.path, dst)


def manifest_of(state: Path | None) -> dict[str, ManifestEntry]:
    return {} if state is None else read_manifest(state / MANIFEST)


def ids(records: Iterable[PublicRecord]) -> list[str]:
    return [r.id for r in records]
