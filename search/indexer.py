"""The search index of one build generation, from the PublicView and the news: nothing else.

    build(ctx, index_dir, live_index, live_docs) -> IndexResult(docs, written, full, …)

Every document has an id (`uid`) and the digest of what it is made from (the record or news item:
RenderContext.digest, the store's one digest helper, with the code and settings); `IndexResult.
docs` maps one to the other, and the build keeps it with the generation. The next build passes it
back as `live_docs` with the live index folder:

- the live index is copied into `index_dir` by hard links (Whoosh never rewrites a segment file:
  a commit writes new segments and a new table of contents, and removes old files only in its
  own folder, here the copy);
- Whoosh's own writer deletes the documents whose id is gone or whose inputs changed and adds
  the new and changed ones, as one new segment: one document per changed record or news item
  (an unchanged one is not made at all: the same inputs make the same document);
- `site.json` (facets, site info for the service) is written anew every time.

With no live index, or one that cannot be used (missing, another schema, not the documents
`live_docs` lists, too many segments or deleted documents), a full index is written: one
segment in one pass (generator.speedups.whoosh_segment: Whoosh's bytes, less CPU).

The updated index answers every query as a full index of the same documents does
(tests/test_search_update.py): each segment holds its documents in the order of `order` (a
stored sort key: a full index's document order), the query side breaks score ties by it
(search.query.run), and the scoring statistics count live documents only (search.query.
IndexStats, from the stored `lengths` of deleted documents).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, STORED, Schema

from generator.domain.policy import PublicRecord, RemovalNotice
from generator.domain.records import GROUNDS, KINDS
from generator.errors import BuildError
from generator.render.outputs import NewsItem, RenderContext
from generator.render.pages import Pager
from generator.settings import portal_settings
from generator.speedups import whoosh_segment as segment

from . import analysis

log = logging.getLogger(__name__)

SITE_FILE = "site.json"
WRITER_LIMIT_MB = 512  # Whoosh's pool: no runs spilled to disk
NEWS_BODY_CHARS = 4000  # stored for snippets around the match; the page has the rest
# An update that would leave more segments or deleted documents than this writes a full index
# instead: every query walks every segment, and deleted documents still sit in the postings.
MAX_SEGMENTS = 16
MAX_DELETED_SHARE = 0.2


def _keys() -> KEYWORD:
    # Every indexed field is scorable, even exact identifiers: Whoosh looks a field's length
    # column up for every posting at commit, and for a non-scorable field that lookup is a
    # stat() of a missing file each time (a third of the indexing time).
    return KEYWORD(scorable=True)


SCHEMA = Schema(
    uid=ID(unique=True),  # the document's id, indexed: an update deletes documents by it
    # stored: what a result shows (never a full ID: only PublicRecord's masked fields exist here)
    id=STORED,
    url=STORED,
    title=STORED,
    kind=STORED,
    court=STORED,
    court_slug=STORED,
    region_code=STORED,
    grounds=STORED,
    snippet=STORED,
    body=STORED,  # news only: plain text for a snippet around the match
    order=STORED,  # sort key: a full index's document order, the tie-break of equal scores
    lengths=STORED,  # the document's length in each SCORED field (scoring statistics of updates)
    # filters, one field: K<kind> C<court slug> R<region code> G<ground> (fewer fields, faster writes)
    facet=_keys(),
    # searched: pre-computed keys (search.analysis), handed to Whoosh as lists (no tokenizer)
    name=_keys(),  # Han n-grams of the debtor's name (shorter names rank first)
    py=_keys(),  # toneless pinyin: full spellings, surname and given name alone, initials
    ident=_keys(),  # identifiers: case-number parts (y c n k s), masked-ID parts (h t), USCC;
    #                 a removal notice's whole case number (r<slug>), which no other query makes
    rep=_keys(),  # legal representative's name n-grams
    text=_keys(),  # jieba words: organization names, news
)
# Court and region names are not indexed per record: the query side maps them to the
# court_slug / region_code terms through site.json (a few names, thousands of records).
STORED_FIELDS = tuple(name for name, f in SCHEMA.items() if f.stored)
SCORED = tuple(name for name, f in SCHEMA.items() if f.scorable)


def codec() -> W3Codec:
    # no zlib for posting blocks: most terms are one or a few postings (case numbers, IDs),
    # where compressing costs more time than it saves space, at build and at query time
    return W3Codec(compression=0)


def _keys_of(*groups: Any) -> list[str]:
    # keys never hold whitespace (search.analysis builds them from Han, digits and a-z); an
    # empty key would be a term nobody can type
    return [k for k in dict.fromkeys(k for group in groups for k in group) if k]


def record_order(r: PublicRecord) -> tuple[int, int, str]:
    """A record document's place in the index: newest listing first, then by id (policy's
    order of PublicView.public); every record before the news."""
    return 0, -r.listed_on.toordinal(), r.id


def news_order(item: NewsItem) -> tuple[int, int, str]:
    return 1, -item.date.toordinal(), item.slug


def _finished(doc: dict[str, Any]) -> dict[str, Any]:
    """Empty values dropped; the length Whoosh counts in each scored field (one per key: keys
    are unique within a field) stored, so that an update can take a deleted document's
    lengths out of the field totals (search.query.IndexStats)."""
    doc = {k: v for k, v in doc.items() if v}
    doc["lengths"] = tuple(len(doc.get(name, ())) for name in SCORED)
    return doc


def record_snippet(r: PublicRecord) -> str:
    """The line under a result's title: case number, court, the visible identifier, obligation."""
    parts = [r.case_number, r.court]
    if r.id_masked:
        parts.append(f"身份证号码 {r.id_masked}")
    if r.uscc:
        parts.append(f"统一社会信用代码 {r.uscc}")
    if r.legal_representative:
        parts.append(f"法定代表人 {r.legal_representative}")
    parts.append(r.obligation)
    return " · ".join(parts)


@lru_cache(maxsize=65536)
def _name_keys(name: str, person: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(n-grams, pinyin keys for a person / jieba words for an organization) of a debtor's name.
    Cached: names recur (one debtor in several cases, common given names)."""
    folded = analysis.fold(name)
    ngrams = tuple(_keys_of(analysis.han_ngrams(folded, unigrams=person)))
    if person:
        full, initials = analysis.pinyin_keys(folded)
        return ngrams, tuple(_keys_of(full, initials))
    return ngrams, tuple(_keys_of(analysis.words(folded)))


@lru_cache(maxsize=65536)
def _rep_keys(name: str) -> tuple[str, ...]:
    return tuple(_keys_of(analysis.han_ngrams(name)))


def record_document(r: PublicRecord) -> dict[str, Any]:
    """A record's document: what it shows (stored), what finds it (keys), its place."""
    person = r.kind == "person"
    ngrams, more = _name_keys(r.name, person)
    doc: dict[str, Any] = {
        "uid": r.id,
        "id": r.id,
        "url": r.url,
        "title": r.name,
        "kind": r.kind,
        "court": r.court,
        "court_slug": r.court_slug,
        "region_code": r.region_code,
        "grounds": " ".join(r.grounds),
        "snippet": record_snippet(r),
        "facet": [f"K{r.kind}", f"C{r.court_slug}", f"R{r.region_code}", *(f"G{g}" for g in r.grounds)],
        "name": list(ngrams),
        "order": record_order(r),
    }
    if person:
        doc["py"] = list(more)
        doc["ident"] = _keys_of(analysis.case_keys(r.case_number), analysis.id_keys(r.id_masked))
    else:
        doc["text"] = list(more)
        doc["ident"] = _keys_of(analysis.case_keys(r.case_number), [r.uscc.upper()] if r.uscc else [])
        if r.legal_representative:
            doc["rep"] = list(_rep_keys(r.legal_representative))
    return _finished(doc)


def notice_order(n: RemovalNotice) -> tuple[int, int, str]:
    return 2, -n.removed_on.toordinal(), n.id


def notice_url(ctx: RenderContext, position: int) -> str:
    """The /removals/ page that lists the notice at `position` of PublicView.notices, at its row."""
    per_page = portal_settings(ctx.settings)["PORTAL_PER_PAGE"]
    n = position // per_page + 1
    return f"{Pager('removals/', n, n, 0).url(n)}#{ctx.view.notices[position].id}"


def notice_document(n: RemovalNotice, url: str) -> dict[str, Any]:
    """A public removal notice, found only by its whole case number (search.query answers with a
    pointer to it): the case number and the date, nothing else of the record."""
    key = analysis.removal_key(n.case_number)
    return _finished({
        "uid": f"removal-{n.id}",
        "id": f"removal-{n.id}",
        "url": url,
        "title": n.case_number,
        "kind": "removal",
        "snippet": n.removed_on.isoformat(),
        "facet": ["Kremoval"],
        "ident": [key] if key else [],
        "order": notice_order(n),
    })  # fmt: skip


def news_document(item: NewsItem) -> dict[str, Any]:
    return _finished({
        "uid": f"news-{item.slug}",
        "id": f"news-{item.slug}",
        "url": item.url,
        "title": item.title,
        "kind": "news",
        "court": "",
        "snippet": item.summary,
        "facet": ["Knews"],
        "body": item.text[:NEWS_BODY_CHARS],
        "order": news_order(item),
        "text": _keys_of(analysis.words(item.title), analysis.words(item.text)),
    })  # fmt: skip


def _kind_document(uid: str, item: Any, kind: str, order: tuple[int, int, str], snippet: list[str],
                   reps: tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    """A document of the other kinds (SPEC §7): found as a debtor record is (name, pinyin or
    words, case number, masked ID or USCC; the persons named beside the debtor by their names),
    filtered by its own kind, never as a 失信 record (no ground, not kind person/organization)."""
    person = item.kind == "person"
    ngrams, more = _name_keys(item.name, person)
    doc: dict[str, Any] = {
        "uid": uid, "id": uid, "url": item.url, "title": item.name, "kind": kind, "court": item.court,
        "court_slug": item.court_slug, "region_code": item.region_code, "snippet": " · ".join(p for p in snippet if p),
        "facet": [f"K{kind}", f"C{item.court_slug}", f"R{item.region_code}"], "name": list(ngrams), "order": order,
        "py" if person else "text": list(more),
        "ident": _keys_of(analysis.case_keys(item.case_number),
                          analysis.id_keys(item.id_masked) if person else [item.uscc.upper()] if item.uscc else []),
        "rep": _keys_of(*(_rep_keys(n) for n in reps)),
    }  # fmt: skip
    return _finished(doc)


def restriction_document(r: Any) -> dict[str, Any]:
    reps = tuple(n for n in (r.legal_representative, *r.restricted_persons) if n)
    snippet = ["限制消费令（不是失信被执行人名单）", r.case_number, r.court, r.order_no,
               f"身份证号码 {r.id_masked}" if r.id_masked else f"统一社会信用代码 {r.uscc}"]  # fmt: skip
    return _kind_document(f"restriction-{r.id}", r, "restriction", (2, -r.issued_on.toordinal(), r.id), snippet, reps)


def reward_document(w: Any) -> dict[str, Any]:
    snippet = ["悬赏执行公告", w.case_number, w.court, w.reward, f"有效期至 {w.valid_until.isoformat()}"]
    reps = (w.legal_representative,) if w.legal_representative else ()
    return _kind_document(f"reward-{w.id}", w, "reward", (3, -w.published_on.toordinal(), w.id), snippet, reps)


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's stored fields: what the index can show, what the leak gate reads."""
    return {name: doc[name] for name in STORED_FIELDS if name in doc}


Source = tuple[str, Any, Callable[[], dict[str, Any]]]


def sources(ctx: RenderContext) -> Iterator[Source]:
    """(uid, what its document is made from, the maker) of every document, in index order:
    the public records, the news, then the public removal notices. Nothing else."""
    for r in sorted(ctx.view.public, key=record_order):
        yield r.id, r, partial(record_document, r)
    for item in sorted(ctx.news, key=news_order):
        yield f"news-{item.slug}", item, partial(news_document, item)
    # PublicView.notices is in notice_order already: its position is the notice's list page
    for i, n in enumerate(ctx.view.notices):
        url = notice_url(ctx, i)
        yield f"removal-{n.id}", (n, url), partial(notice_document, n, url)
    for r in ctx.view.restrictions:  # SPEC §7: after the news (their sort keys say so too)
        yield f"restriction-{r.id}", r, partial(restriction_document, r)
    for w in ctx.view.rewards:
        yield f"reward-{w.id}", w, partial(reward_document, w)


def documents(ctx: RenderContext) -> Iterator[dict[str, Any]]:
    """Every document of the index, in index order."""
    for _uid, _inputs, make in sources(ctx):
        yield make()


def facets(ctx: RenderContext) -> dict[str, list[dict[str, Any]]]:
    """Filter choices with counts, for the results page's selects."""
    view = ctx.view
    courts = {slug: (recs[0].court, len(recs)) for slug, recs in view.by_court().items()}
    regions = {code: (recs[0].region_name, len(recs)) for code, recs in view.by_region().items()}
    grounds = {g: (GROUNDS[g], len(recs)) for g, recs in view.by_ground().items()}
    kinds = Counter(r.kind for r in view.public)
    out = {
        "court": [{"value": k, "label": n, "count": c} for k, (n, c) in courts.items()],
        "region": [{"value": k, "label": n, "count": c} for k, (n, c) in regions.items()],
        "ground": [{"value": k, "label": n, "count": c} for k, (n, c) in grounds.items()],
        "kind": [{"value": k, "label": KINDS[k], "count": kinds[k]} for k in KINDS if kinds[k]],
    }
    if ctx.news:
        out["kind"].append({"value": "news", "label": "执行新闻", "count": len(ctx.news)})
    for kind, label, items in (("restriction", "限制消费令", view.restrictions), ("reward", "悬赏执行公告", view.rewards)):
        if items:
            out["kind"].append({"value": kind, "label": label, "count": len(items)})
    return out


def templates_dir(ctx: RenderContext) -> Path:
    """The theme's templates folder: from the build's jinja2 loader, else THEME/templates."""
    loader = getattr(ctx.env, "loader", None)
    for path in getattr(loader, "searchpath", None) or []:
        if (Path(path) / "base.html").is_file():
            return Path(path).resolve()
    theme = ctx.settings.get("THEME")
    if theme and (Path(theme) / "templates" / "base.html").is_file():
        return (Path(theme) / "templates").resolve()
    return (Path(__file__).resolve().parent.parent / "theme" / "templates").resolve()


def _plain(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def template_context(settings: dict[str, Any], env: Any = None) -> dict[str, Any]:
    """The plain UPPERCASE settings and the theme's plain globals (site_pages…), so that
    base.html renders in the service as it does in the build."""
    out = {k: v for k, v in sorted(settings.items()) if k.isupper() and _plain(v)}
    for k, v in sorted(getattr(env, "globals", {}).items()):
        if not k.startswith("_") and _plain(v) and not isinstance(v, (str, int, float, bool)) and v is not None:
            out.setdefault(k, v)
    return json.loads(json.dumps(out, ensure_ascii=False))  # tuples → lists, as site.json holds them


def site_info(ctx: RenderContext) -> dict[str, Any]:
    s = ctx.settings
    return {
        "context": template_context(s, ctx.env),
        "SITENAME": s.get("SITENAME", ""),
        "SITEURL": s.get("SITEURL", ""),
        "PORTAL_DEMO": bool(s.get("PORTAL_DEMO", False)),
        "PORTAL_SEARCH_URL": s.get("PORTAL_SEARCH_URL", "/search/"),
        "templates": str(templates_dir(ctx)),
        "as_of": ctx.view.as_of.isoformat(),
        "records": len(ctx.view.public),
        "news": len(ctx.news),
        "facets": facets(ctx),
    }


# ---------------------------------------------------------------- writing an index


@dataclass
class IndexResult:
    docs: dict[str, str]  # uid → digest of its inputs: the next build's `live_docs`
    written: list[dict[str, Any]]  # stored fields of the documents an update added (a full index: [])
    full: bool  # a whole new index (else the live one with `written` added, `deleted` deleted)
    deleted: int = 0
    count: int = 0  # documents written


class _Unusable(Exception):
    """The live index cannot be updated: write a full one."""


def build(ctx: RenderContext, index_dir: Path, live_index: Path | None = None,
          live_docs: dict[str, str] | None = None) -> IndexResult:  # fmt: skip
    """Write the index of `ctx.view.public` and `ctx.news` into `index_dir` (empty or absent):
    the live index (folder `live_index`, documents `live_docs`) updated, else a full one."""
    index_dir = Path(index_dir)
    if live_index is not None and live_docs is not None:
        try:
            result = _update(ctx, index_dir, Path(live_index), live_docs)
        except _Unusable as exc:
            log.info("search index written whole: the live one cannot be updated (%s)", exc)
            result = None
    else:
        result = None
    if result is None:
        result = _full(ctx, index_dir)
    _write_site(ctx, index_dir)
    return result


def _full(ctx: RenderContext, index_dir: Path) -> IndexResult:
    _fresh(index_dir)
    docs: dict[str, str] = {}

    def each() -> Iterator[dict[str, Any]]:
        for uid, inputs, make in sources(ctx):
            docs[uid] = ctx.digest(inputs)
            yield make()

    ix = index.create_in(str(index_dir), SCHEMA)
    try:
        # one segment, documents in index order; the site build runs this in a process of its
        # own while the pages render (generator.build.pipeline)
        segment.write_segment(ix, each(), codec(), WRITER_LIMIT_MB)
    finally:
        ix.close()
    return IndexResult(docs, [], full=True, count=len(docs))


def _update(ctx: RenderContext, index_dir: Path, live: Path, live_docs: dict[str, str]) -> IndexResult:
    """The live index with the changed documents replaced; _Unusable when it cannot be."""
    deleted_before, total_before = _check_live(live, live_docs)
    docs: dict[str, str] = {}
    changed: list[dict[str, Any]] = []  # in index order: the new segment keeps the order
    for uid, inputs, make in sources(ctx):
        docs[uid] = ctx.digest(inputs)
        if live_docs.get(uid) != docs[uid]:  # the same inputs made the live document: not made again
            changed.append(make())
    delete = sorted(uid for uid, d in live_docs.items() if docs.get(uid) != d)
    if deleted_before + len(delete) > MAX_DELETED_SHARE * (total_before + len(changed)):
        raise _Unusable(f"{deleted_before + len(delete)} deleted documents of {total_before + len(changed)}")
    _fresh(index_dir)
    _link_copy(live, index_dir)
    if delete or changed:
        ix = index.open_dir(str(index_dir))
        try:
            writer = ix.writer(limitmb=WRITER_LIMIT_MB, codec=codec())
            try:
                for uid in delete:
                    writer.delete_by_term("uid", uid)
                for doc in changed:
                    writer.add_document(**doc)
            except BaseException:
                writer.cancel()
                raise
            # no merge: Whoosh would merge segments in segment order, and each segment must
            # keep its documents in index order (MAX_SEGMENTS bounds their number instead)
            writer.commit(merge=False)
        finally:
            ix.close()
    return IndexResult(docs, [stored(doc) for doc in changed], full=False, deleted=len(delete), count=len(changed))


def _check_live(live: Path, live_docs: dict[str, str]) -> tuple[int, int]:
    """(deleted, all) documents of the live index; _Unusable when it is not the index
    `live_docs` describes, written with this schema, or has too many segments."""
    try:
        ix = index.open_dir(str(live))
    except Exception as exc:  # missing, damaged, or not an index: any reason means a full index
        raise _Unusable(f"{type(exc).__name__}") from None
    try:
        if ix.schema != SCHEMA:
            raise _Unusable("another schema")
        with ix.reader() as reader:
            if reader.doc_count() != len(live_docs):
                raise _Unusable(f"{reader.doc_count()} documents, {len(live_docs)} listed")
            if len(list(reader.leaf_readers())) >= MAX_SEGMENTS:
                raise _Unusable("too many segments")
            return reader.doc_count_all() - reader.doc_count(), reader.doc_count_all()
    finally:
        ix.close()


def _whoosh_file(name: str) -> bool:
    # Whoosh names its files _MAIN_<gen>.toc, MAIN_<segment>.*, MAIN_WRITELOCK
    return name.startswith(("_MAIN", "MAIN"))


def _link_copy(live: Path, target: Path) -> None:
    """The live index's files, hard-linked into `target`: not its lock, nor the side files
    (written anew: never write through a name the live index shares)."""
    try:
        names = os.listdir(live)
        if not all(_whoosh_file(n) or n == SITE_FILE for n in names):
            raise _Unusable("files that are not Whoosh's")
        for name in names:
            if _whoosh_file(name) and not name.endswith("WRITELOCK"):
                os.link(live / name, target / name)
    except OSError as exc:  # another file system, or the live generation removed meanwhile
        for name in os.listdir(target):
            os.unlink(target / name)
        raise _Unusable(f"{type(exc).__name__}: {exc.strerror}") from None


def _fresh(index_dir: Path) -> None:
    """An empty folder for the index; refuse to clear anything that is not an old index."""
    if index_dir.exists():
        names = os.listdir(index_dir)
        if names and not all(n == SITE_FILE or _whoosh_file(n) for n in names):
            raise BuildError(f"搜索索引目录中有非索引文件，拒绝清空：{index_dir}")
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)


def _write_site(ctx: RenderContext, index_dir: Path) -> None:
    data = json.dumps(site_info(ctx), ensure_ascii=False, indent=1, sort_keys=True)
    (index_dir / SITE_FILE).write_text(data + "\n", encoding="utf-8")
