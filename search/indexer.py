"""Build the Whoosh index from the PublicView and the news: nothing else is ever indexed.

Registered in generator/outputs.py INDEXERS; the site build calls `build(ctx, staging_dir)` and
swaps the folder in with the site. Besides the index the folder holds `site.json`: what the
service needs to render pages in the site's theme (it reads only this folder, never content).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, STORED, Schema

from generator.domain.policy import PublicRecord
from generator.domain.records import GROUNDS, KINDS
from generator.errors import BuildError
from generator.render.outputs import NewsItem, RenderContext
from generator.speedups import whoosh_segment as segment

from . import analysis

SITE_FILE = "site.json"
WRITER_LIMIT_MB = 512  # Whoosh's pool for incremental updates (search.update): no runs spilled to disk
NEWS_BODY_CHARS = 4000  # stored for snippets around the match; the page has the rest


def _keys() -> KEYWORD:
    # Every indexed field is scorable, even exact identifiers: Whoosh looks a field's length
    # column up for every posting at commit, and for a non-scorable field that lookup is a
    # stat() of a missing file each time (a third of the indexing time).
    return KEYWORD(scorable=True)


SCHEMA = Schema(
    uid=ID(unique=True),  # the document's id, indexed: incremental builds replace documents by it
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
    # filters, one field: K<kind> C<court slug> R<region code> G<ground> (fewer fields, faster writes)
    facet=_keys(),
    # searched: pre-computed keys (search.analysis), handed to Whoosh as lists (no tokenizer)
    name=_keys(),  # Han n-grams of the debtor's name (shorter names rank first)
    py=_keys(),  # toneless pinyin: full spellings, surname and given name alone, initials
    ident=_keys(),  # identifiers: case-number parts (y c n k s), masked-ID parts (h t), USCC
    rep=_keys(),  # legal representative's name n-grams
    text=_keys(),  # jieba words: organization names, news
)
# Court and region names are not indexed per record: the query side maps them to the
# court_slug / region_code terms through site.json (a few names, thousands of records).


def codec() -> W3Codec:
    # no zlib for posting blocks: most terms are one or a few postings (case numbers, IDs),
    # where compressing costs more time than it saves space, at build and at query time
    return W3Codec(compression=0)


def _keys_of(*groups: Any) -> list[str]:
    # keys never hold whitespace (search.analysis builds them from Han, digits and a-z)
    return list(dict.fromkeys(k for group in groups for k in group))


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
    }
    if person:
        doc["py"] = list(more)
        doc["ident"] = _keys_of(analysis.case_keys(r.case_number), analysis.id_keys(r.id_masked))
    else:
        doc["text"] = list(more)
        doc["ident"] = _keys_of(analysis.case_keys(r.case_number), [r.uscc.upper()] if r.uscc else [])
        if r.legal_representative:
            doc["rep"] = list(_rep_keys(r.legal_representative))
    return {k: v for k, v in doc.items() if v}


def news_document(item: NewsItem) -> dict[str, Any]:
    return {
        "uid": f"news-{item.slug}",
        "id": f"news-{item.slug}",
        "url": item.url,
        "title": item.title,
        "kind": "news",
        "court": "",
        "snippet": item.summary,
        "facet": ["Knews"],
        "body": item.text[:NEWS_BODY_CHARS],
        "text": _keys_of(analysis.words(item.title), analysis.words(item.text)),
    }


def documents(ctx: RenderContext) -> Iterator[dict[str, Any]]:
    """Every document of the index: the public records, then the news. Nothing else."""
    for r in ctx.view.public:
        yield record_document(r)
    for item in ctx.news:
        yield news_document(item)


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


def _fresh(index_dir: Path) -> None:
    """An empty folder for the index; refuse to clear anything that is not an old index."""
    if index_dir.exists():
        names = os.listdir(index_dir)
        # Whoosh names its files _MAIN_<gen>.toc, MAIN_<segment>.*, MAIN_WRITELOCK
        ours = all(n == SITE_FILE or n.startswith(("_MAIN", "MAIN")) for n in names)
        if names and not ours:
            raise BuildError(f"搜索索引目录中有非索引文件，拒绝清空：{index_dir}")
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)


def build(ctx: RenderContext, index_dir: Path) -> None:
    """Write a complete new index of `ctx.view.public` and `ctx.news` into `index_dir`."""
    index_dir = Path(index_dir)
    _fresh(index_dir)
    ix = index.create_in(str(index_dir), SCHEMA)
    try:
        # one segment, documents in their order (generator.speedups.whoosh_segment: Whoosh's bytes, less CPU); the
        # site build runs this in a process of its own while the pages render (pelican_plugin)
        segment.write_segment(ix, documents(ctx), codec(), WRITER_LIMIT_MB)
    finally:
        ix.close()
    data = json.dumps(site_info(ctx), ensure_ascii=False, indent=1, sort_keys=True)
    (index_dir / SITE_FILE).write_text(data + "\n", encoding="utf-8")
