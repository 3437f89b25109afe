"""Incremental builds (issue 7): render only what changed since the live build, apply it in place.

A full build renders everything into the staging folder and swaps it in (generator.build). It
is what happens the first time, after a crash in the middle of an apply, and whenever the code,
the theme, the settings or the static pages' menu differ from the live build's (`version`).
Otherwise the build is incremental:

1. The parse cache (generator.parsecache) gives every unchanged record without parsing it.
2. What each page was made from is compared with what the live build recorded (its state
   folder, STATE_FILE): a record page, and every renderer page per record (RECORD_PAGES, e.g.
   the printable notice), by the record's content hash; a list page by the ids and content
   hashes of its rows and its place in the list. Only pages whose inputs differ are rendered;
   home, browse indexes, removals, 404, sitemaps and every other renderer's files (feeds, open
   data, statistics, the search page) are rendered each time — they depend on counts and on the
   date — and the open data reuses the rows of unchanged records (RenderContext.memo).
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
   mid-apply) makes a full build. Unchanged files are not touched: they keep their mtime.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from math import ceil
from pathlib import Path
from typing import Any

from . import leakcheck, outputs, parsecache
from .forked import Forked
from .outputs import Delta, OutputFile, RenderContext
from .pages import Pager, SitePages
from .plan import (
    MANIFEST,
    MANIFEST_FAST,
    PLAN_KEY,
    ManifestDiff,
    ManifestEntry,
    manifest_diff,
    read_manifest,
    share_file,
)
from .policy import PublicRecord, PublicView

STATE_FILE = "incremental.pickle"  # in the build state folder: what the next build compares with
MEMO_FILE = "render-memo.pickle"  # in the build state folder: RenderContext.memo
# beside it: what changed in the memo since MEMO_FILE was written (then MEMO_FILE is the one an
# earlier build wrote, hard-linked: a one-record build does not pickle 110 MB again)
MEMO_DELTA = "render-memo-delta.pickle"
# Past this many changed or removed memo entries, the memo is written whole again.
MEMO_DELTA_MAX = 5000
JOURNAL = "apply-journal"  # in the state folder while an apply runs
FORMAT = 3  # 2: Baseline.documents hold update.news_keys; 3: Baseline.parts (RenderContext.delta)
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
    inputs: str = ""  # hash of everything the renderers read: the view, the news (`inputs`)
    ours: frozenset[str] = frozenset()  # the files this generator made (not Pelican's own)
    uscc: frozenset[bytes] | None = None  # hashes of the public USCCs (the leak gate lets them pass)
    parts: dict[str, str] = field(default_factory=dict)  # `input_parts`: as_of, news, notices


def input_parts(ctx: RenderContext) -> dict[str, str]:
    """The inputs other than the records and what is withheld, each by itself (Delta)."""

    def digest(text: str) -> str:
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    return {"as_of": str(ctx.view.as_of), "notices": digest(repr(ctx.view.notices)), "news": digest(repr(ctx.news))}


def inputs(ctx: RenderContext, withheld: dict[bytes, str] | None = None, parts: dict[str, str] | None = None) -> str:
    """What every renderer reads besides the settings and the previous build's state: the
    date, the public records (by content hash), the notices, what is withheld (`_withheld`), the news."""
    view = ctx.view
    parts = input_parts(ctx) if parts is None else parts
    h = hashlib.blake2b(f"{parts['as_of']}\n".encode(), digest_size=16)
    h.update("".join(f"{r.id}\t{r.digest}\n" for r in view.public).encode())
    h.update(parts["notices"].encode())
    h.update(b"".join(sorted(_withheld(view) if withheld is None else withheld)))
    h.update(parts["news"].encode())
    return h.hexdigest()


def read_baseline(state: Path | None) -> Baseline | None:
    if state is None:
        return None
    try:
        with open(state / STATE_FILE, "rb") as fh:
            fmt, data = pickle.load(fh)
        if fmt != FORMAT:
            return None
        base = Baseline(**data)
        if not isinstance(base.records, dict) or not isinstance(base.lists, dict):
            return None
        return base
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
        # an entry kept from the previous build is the same object: compared by identity first
        new = {k: v for k, v in part.items() if old.get(k, _MISSING) != v}
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


def list_keys(site: SitePages) -> dict[str, tuple[str, int, int]]:
    """Every list page: path → (hash of what it is rendered from, spec index, page number)."""
    per_page = site.per_page
    # every row's key once (a record is in four lists or more), by the record object itself
    row_keys: dict[int, bytes] = {id(r): f"{r.id}\t{r.digest}\n".encode() for r in site.view.public}
    out: dict[str, tuple[str, int, int]] = {}
    for i, spec in enumerate(site.specs):
        count = len(spec.rows)
        pages = max(1, ceil(count / per_page))
        head = repr((spec.base, spec.heading, spec.nav, spec.name, spec.note, spec.feed, spec.crumb, spec.ground,
                     pages, count)).encode()  # fmt: skip
        try:
            keys = [row_keys[id(r)] for r in spec.rows]
        except KeyError:  # a row not in view.public (not made by policy.decide)
            keys = [f"{r.id}\t{r.digest}\n".encode() for r in spec.rows]
        for n in range(1, pages + 1):
            h = hashlib.blake2b(head, digest_size=16)
            h.update(b"%d\n" % n)
            h.update(b"".join(keys[(n - 1) * per_page : n * per_page]))
            out[Pager(spec.base, n, pages, count).save_as] = (h.hexdigest(), i, n)
    return out


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
    _keys: dict[str, tuple[str, int, int]] | None = None
    _uscc: frozenset[bytes] | None = None
    _index_child: tuple[Forked, Path] | None = None  # the forked index update and its folder
    kept_from: Path | None = None  # the live build state, when this build keeps everything
    live_state: Path | None = None  # where memo_in is read from (when something changed: 110 MB)

    @classmethod
    def open(cls, state: Path, live: Path, live_state: Path | None, live_index: Path) -> Session:
        """A session for a build into `live`: incremental when the live build left a baseline,
        the live output and index exist, and no apply was interrupted."""
        base = read_baseline(live_state)
        if base is None or (state / JOURNAL).exists() or not live.is_dir() or not live_index.is_dir():
            return cls(None, None, None)
        assert live_state is not None
        return cls(base, live, live_index, live_state=live_state)

    # -- during the Pelican run (RecordsGenerator.generate_output) -------------------------
    def begin(self, ctx: RenderContext, site_pages: Any) -> None:
        self.version = version(ctx.settings, site_pages)
        self.incremental = self.base is not None and self.base.version == self.version
        withheld = _withheld(ctx.view)
        self.parts = input_parts(ctx)
        self.inputs = inputs(ctx, withheld, self.parts)
        if self.incremental:
            assert self.base is not None
            # nothing a renderer reads changed: every file of ours is the live one (renderers are
            # deterministic: a second build of the same inputs writes no file — tested). The
            # inputs hold what is withheld: nothing became withheld either
            self.unchanged = self.base.inputs == self.inputs and bool(self.base.ours)
            if self.unchanged:
                return
            if self.live_state is not None:
                self.memo_in, self.memo_base = _read_memo(self.live_state)
            ctx.memo = self.memo_in
            self.changed = frozenset(r.id for r in ctx.view.public if self.base.records.get(r.id) != r.digest)
            self.new_withheld = frozenset(t for h, t in withheld.items() if h not in self.base.withheld)
            assert self.live is not None
            public = {r.id for r in ctx.view.public}
            before = self.base.records.keys()
            parts = self.base.parts
            ctx.delta = Delta(
                added=frozenset(public - before),
                removed=frozenset(before - public),
                changed=frozenset(rid for rid in self.changed if rid in before),
                same_as_of=parts.get("as_of") == self.parts["as_of"],
                same_news=parts.get("news") == self.parts["news"],
                same_withheld=self.base.withheld == frozenset(withheld),
                same_notices=parts.get("notices") == self.parts["notices"],
                live=self.live,
            )
            self._uscc = _uscc(ctx.view)
            self.diff_scan = (
                not self.new_withheld
                and self.base.uscc is not None
                and self.base.uscc <= self._uscc
                and not any("\n" in t or "\r" in t for t in (*ctx.view.withheld_names, *ctx.view.withheld_case_numbers))
            )

    def keep_everything(self, writer: Any, plan: Any, ctx: RenderContext) -> None:
        """The build of unchanged inputs: the live files of ours, renderers' state, index kept."""
        assert self.base is not None and self.live_index is not None and plan.previous_state is not None
        writer.claim(self.base.ours)
        skip = {MANIFEST, MANIFEST_FAST, "build.json", STATE_FILE, MEMO_FILE, MEMO_DELTA}
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
        records = [r for r in view.public if r.id in wanted]
        by_id = {r.id: r for r in records}
        jobs: list[Any] = [("some", tuple(r.id for r in records[a : a + 500])) for a in range(0, len(records), 500)]
        assert self.base is not None
        keys = self._keys = list_keys(site)
        todo: dict[int, list[int]] = {}
        for path, (key, spec, n) in keys.items():
            if self.base.lists.get(path) == key and path in previous:
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
        jobs += [("single", name) for name in ("home", "browse", "removals", "404")]
        self.rendered = len(records) + sum(len(v) for v in todo.values()) + 4

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
        from search import update  # imported here, not in the child

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
        self.next = Baseline(
            version=self.version,
            records={r.id: r.digest for r in ctx.view.public},
            lists={path: key for path, (key, _s, _n) in (self._keys or list_keys(site)).items()},
            withheld=frozenset(_withheld(ctx.view)),
            documents=documents,
            inputs=self.inputs,
            ours=frozenset(ours),
            uscc=self._uscc if self._uscc is not None else _uscc(ctx.view),
            parts=self.parts,
        )
        self.memo_out = ctx.memo  # each renderer left what the next build may reuse

    def save(self, state: Path) -> None:
        """Into the new build state folder (swapped in with the site)."""
        if self.next is None:
            return
        if self.kept_from is not None:  # nothing changed: the live build's files, as they are
            for name in (STATE_FILE, MEMO_FILE, MEMO_DELTA):
                if name != MEMO_DELTA or (self.kept_from / name).exists():
                    share_file(self.kept_from / name, state / name)
            return
        with open(state / STATE_FILE, "wb") as fh:
            pickle.dump((FORMAT, vars(self.next)), fh, protocol=pickle.HIGHEST_PROTOCOL)
        if self.memo_base is not None and self.live_state is not None:
            delta = memo_delta(self.memo_base, self.memo_out)
            if delta is not None:  # the live MEMO_FILE stays the base; what changed since goes beside it
                share_file(self.live_state / MEMO_FILE, state / MEMO_FILE)
                with open(state / MEMO_DELTA, "wb") as fh:
                    pickle.dump(delta, fh, protocol=pickle.HIGHEST_PROTOCOL)
                return
        with open(state / MEMO_FILE, "wb") as fh:
            pickle.dump(self.memo_out, fh, protocol=pickle.HIGHEST_PROTOCOL)

    # -- the leak gate's part ----------------------------------------------------------------
    def delta_gate(self, settings: dict[str, Any], view: PublicView) -> leakcheck.LeakGate | None:
        """A gate for what became withheld since the live build (None: nothing did)."""
        if not self.new_withheld:
            return None
        from .pelican_plugin import make_gate

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
