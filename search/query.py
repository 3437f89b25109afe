"""What a person typed → a Whoosh query plus filter queries; and running it under a time limit,
with the statistics and the order of a full index even when the index was updated.

The user's text is never handed to a Whoosh query parser: it is validated, folded and
classified (ID number, USCC, case number, digits, pinyin, Han text) here, and the query is
built from exact terms of the keys search.analysis also computes at index time. Court, region,
ground and kind are filter queries, not free text (a broad term over a big index is slow).
"""

from __future__ import annotations

import heapq
import html
import re
import time
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import islice
from math import log
from typing import Any

from whoosh import query as wq
from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector, TopCollector, UnlimitedCollector
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer
from whoosh.searching import Searcher

from generator.domain import casenumber, ids
from generator.domain.records import GROUNDS, KINDS
from generator.errors import SearchError

from . import analysis
from .indexer import SCORED
from .places import Place, known_filters, places_from_facets

__all__ = ["Place", "known_filters", "places_from_facets"]  # (the service and tests use them from here)

MAX_CHARS = 100
PER_PAGE = 10
MAX_PAGE = 100
TIME_LIMIT = 2.0  # seconds per query
KIND_VALUES = (*KINDS, "news", "restriction", "reward")  # the last two: SPEC §7

# Field weights: an exact identifier beats a name, a name beats a word in a court name.
BOOST = {"ident": 8.0, "name": 4.0, "py": 4.0, "text": 1.5, "rep": 1.0, "place": 0.5}

# Punctuation a name, a company or a case number may contain; anything else that is not a
# letter, digit or mark is query-syntax junk (Whoosh's * ? ~ ^ { } : " + - … and friends).
_ALLOWED_PUNCT = set("()[]（）〔〕［］【】·・.-_,，、。'’*")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
_BRACKETS = str.maketrans({c: " " for c in "()[]（）〔〕［］【】,，、。"})
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_DIGITS = re.compile(r"^\d+$")
_ID_TAIL = re.compile(r"^\d{3}[\dX]$")
_COURT = re.compile(r"^[a-z]{1,8}\d{0,6}$")
_REGION = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Filters:
    court: str | None = None
    region: str | None = None
    ground: str | None = None
    kind: str | None = None

    def query(self) -> wq.Query | None:
        terms = [wq.Term("facet", f"{p}{v}") for p, v in (("C", self.court), ("R", self.region),
                 ("G", self.ground), ("K", self.kind)) if v]  # fmt: skip
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else wq.And(terms)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("court", self.court), ("region", self.region),
                ("ground", self.ground), ("kind", self.kind)) if v}  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    """A validated query: what to echo back, the Whoosh query, and what to highlight."""

    echo: str  # the text as typed, with any full ID number masked
    query: wq.Query
    needles: tuple[str, ...]
    removal_key: str | None = None  # a whole case number typed: its removal notice's key


def masked_echo(text: str) -> str:
    """The typed text safe to show or log: a full 18-digit ID number keeps only its visible parts,
    also when typed in groups with spaces (370502 19850101 1234)."""
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    if analysis.is_full_id_shape(compact):
        return ids.mask(compact)
    return ids.FULL_ID_RE.sub(lambda m: ids.mask(m.group(0)), text)


def parse_filters(court: str | None = None, region: str | None = None, ground: str | None = None,
                  kind: str | None = None, known: dict[str, frozenset[str]] | None = None) -> Filters:  # fmt: skip
    """Validate filter values (empty means no filter); 400 with a Chinese message on anything
    else, also on a court or region code of no public record when `known` (known_filters) is
    given: a filter that would silently match nothing is a mistake to be told about."""
    court, region, ground, kind = (v.strip() if v else None for v in (court, region, ground, kind))
    if court and not _COURT.match(court):
        raise SearchError("法院筛选条件不正确（应为法院代码，如 lu0502）")
    if region and not _REGION.match(region):
        raise SearchError("地区筛选条件不正确（应为 6 位地区代码）")
    if ground and ground not in GROUNDS:
        raise SearchError(f"失信情形筛选条件不正确（可选：{'、'.join(GROUNDS)}）")
    if kind and kind not in KIND_VALUES:
        raise SearchError("类型筛选条件不正确（person、organization 或 news）")
    if known is not None:
        # the values passed the shapes above: ASCII letters and digits, safe to echo
        if court and court not in known.get("court", ()):
            raise SearchError(f"法院筛选条件“{court}”不正确：本站没有该法院的公开信息，请从搜索页的法院列表中选择")
        if region and region not in known.get("region", ()):
            raise SearchError(f"地区筛选条件“{region}”不正确：本站没有该地区的公开信息，请从搜索页的地区列表中选择")
    return Filters(court or None, region or None, ground or None, kind or None)


def parse_page(text: str | None) -> int:
    if text is None or text == "":
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise SearchError(f"页码应为 1 到 {MAX_PAGE} 之间的整数")
    return int(text)


def _validate(text: str) -> str:
    if text is None or not text.strip():
        raise SearchError("请输入要搜索的姓名、名称、案号或证件号码")
    if len(text) > MAX_CHARS:
        raise SearchError(f"搜索内容不能超过 {MAX_CHARS} 个字符")
    text = analysis.fold(text.strip())
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LNM" or ch == " " or ch in _ALLOWED_PUNCT:
            continue
        if cat == "Zs" or ch in "\t\n\r":
            continue
        raise SearchError(f"搜索内容含有不支持的字符 {ch!r}：请只输入文字、数字和案号括号")
    tokens = text.split()
    if any(t in _OPERATORS for t in tokens):
        raise SearchError("不支持查询语法（AND、OR、NOT 等）：直接输入要找的内容即可")
    return " ".join(tokens)


def _or(parts: list[wq.Query]) -> wq.Query:
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _and(field: str, keys: list[str]) -> wq.Query | None:
    keys = [k for k in dict.fromkeys(keys) if k]
    if not keys:
        return None
    return _all(field, keys)


def _term(field: str, key: str) -> wq.Query:
    return wq.Term(field, key, boost=BOOST[field])


def _all(field: str, keys: list[str]) -> wq.Query:
    """Every key must match (the parts of a case number, the visible parts of an ID)."""
    # boost given at construction: with_boost() deep-copies the query
    if len(keys) == 1:
        return wq.Term(field, keys[0], boost=BOOST[field])
    return wq.And([wq.Term(field, k) for k in keys], boost=BOOST[field])


# A court or region named in full or by its shorthand puts its records first: their place term
# scores this constant, above any BM25 score of the news text (a term's score is at most
# idf·(K1+1)·boost ≈ 12·2.2·1.5 at a million documents, and a query has a few words).
NAMED_PLACE_SCORE = 1000.0


def _places(runs: list[str], places: tuple[Place, ...]) -> list[wq.Query]:
    if not runs or any(len(r) < 2 for r in runs):
        return []
    named = [wq.Term("facet", p.key) for p in places if p.named_by(runs)]
    if named:
        return [wq.ConstantScoreQuery(_or(named), NAMED_PLACE_SCORE)]
    return [wq.Term("facet", p.key, boost=BOOST["place"]) for p in places if p.within(runs)]


def _digits(token: str) -> tuple[list[wq.Query], list[str]]:
    parts = [_term("ident", f"n{token}")]
    if len(token) == 4:
        parts.append(_term("ident", f"t{token}"))
    elif len(token) == 10:
        parts.append(_term("ident", f"h{token}"))
    if len(token) == 6:
        parts.append(wq.Term("facet", f"R{token}", boost=BOOST["place"]))
    return parts, [token]


def _token(token: str, places: tuple[Place, ...]) -> tuple[wq.Query | None, list[str]]:
    """One whitespace-separated piece of the query: its interpretations, OR-ed."""
    upper = token.upper()
    if "*" in token and not analysis.is_masked_id_shape(token):
        raise SearchError("不支持通配符（* ?）：请输入完整的姓名、案号或证件号码的可见部分")
    id_keys = analysis.visible_id_keys(upper)
    if id_keys:
        if analysis.is_full_id_shape(upper) and not ids.is_full_id_valid(upper):
            raise SearchError("身份证号码校验位不正确，请核对后重新输入")
        # match and highlight the visible parts only: the full number goes no further
        return _all("ident", id_keys), [upper[:10], upper[-4:]]
    if _USCC.match(upper):
        return _term("ident", upper), [upper]
    if _DIGITS.match(token):
        parts, needles = _digits(token)
        return _or(parts), needles
    if _ID_TAIL.match(upper):
        return _term("ident", f"t{upper}"), [upper]
    has_digit = any(c.isdigit() for c in token)
    has_han = any(analysis.is_han(c) for c in token)
    if has_digit and has_han:  # a case number or a part of one, in any bracket/width form
        keys = analysis.case_query_keys(token)
        compact = analysis.case_compact(token)
        needles = [n for n in re.split(r"[()（）〔〕［］\[\]号]+", casenumber.normalise(token)) if n]
        # not shaped like a case number: a key no record has (no match, not an error)
        return (_all("ident", keys) if keys else wq.Term("ident", "x" + compact)), needles
    if has_han:
        plain = token.translate(_BRACKETS)
        grams = analysis.query_ngrams(plain)
        runs = re.findall(f"[{analysis.HAN}]+", plain)
        words = [w for w in analysis.words(plain) if len(w) > 1 or analysis.is_han(w)]
        parts = [q for q in (_and("name", grams), _and("rep", grams), _and("text", words)) if q is not None]
        parts += _places(runs, places)
        return (_or(parts) if parts else None), runs + grams
    key = analysis.pinyin_query(token)
    if key:
        return _or([_term("py", key), _term("text", key)]), []
    word = re.sub(r"[^\w]", "", token.lower())
    if not word:
        return None, []
    return _or([_term("text", word), _term("ident", upper)]), [token]


def _spaced_case_number(compact: str) -> bool:
    """（2024） 鲁0502 执1234 号: a case number typed with spaces is one case number."""
    if not any(c.isdigit() for c in compact):
        return False
    keys = analysis.case_query_keys(compact) or []
    return any(k[0] in "yc" for k in keys)


def parse(text: str, places: tuple[Place, ...] = ()) -> Parsed:
    """Validate and interpret the text a person typed; SearchError(400) when it cannot be searched."""
    clean = _validate(text)
    # pinyin typed with spaces (zhang san feng) is one name, not three words
    joined = analysis.pinyin_query(clean)
    compact = clean.replace(" ", "")
    one = joined or _spaced_case_number(compact) or analysis.visible_id_keys(compact) is not None
    tokens = [compact] if one else clean.split()
    queries: list[wq.Query] = []
    needles: list[str] = []
    for token in tokens:
        q, found = _token(token, places)
        if q is not None:
            queries.append(q)
            needles.extend(found)
    if not queries:
        raise SearchError("搜索内容中没有可以查找的文字或数字")
    query = queries[0] if len(queries) == 1 else wq.And(queries)
    removal = analysis.removal_key(compact) if len(tokens) == 1 else None
    return Parsed(masked_echo(text.strip()), query, tuple(dict.fromkeys(n for n in needles if n)), removal)


# ---------------------------------------------------------------- scoring statistics


class IndexStats:
    """BM25F's statistics as a full index of the live documents has them: their count, each
    scored field's total length, a term's document frequency. Whoosh counts deleted documents
    in all three until their segment is merged away; an updated index (search.indexer) keeps
    deleted documents in its older segments, so they are taken out here: their lengths from
    their stored `lengths`, their postings by counting a term's live ones (on first use, then
    remembered). Made once per index generation and shared by threads (each passes its own
    reader: readers are not thread-safe)."""

    DF_CACHE = 65536

    def __init__(self, reader: IndexReader):
        self.docs = reader.doc_count()
        self.deletions = reader.has_deletions()
        totals = {name: reader.field_length(name) for name in SCORED}
        for leaf, _base in reader.leaf_readers() if self.deletions else ():
            seg = leaf.segment()
            for docnum in seg.deleted_docs() if seg is not None else ():
                lengths = leaf.stored_fields(docnum).get("lengths") or ()
                for name, n in zip(SCORED, lengths, strict=False):
                    totals[name] -= n
        self.totals = totals
        self._df: dict[tuple[str, Any], int] = {}

    def avg_length(self, fieldname: str) -> float:
        # Whoosh: field_length / (doc_count or 1), and 1 for 0
        return self.totals.get(fieldname, 0) / (self.docs or 1) or 1

    def doc_frequency(self, reader: IndexReader, fieldname: str, text: Any) -> int:
        if not self.deletions:
            return int(reader.doc_frequency(fieldname, text))
        term = (fieldname, text)
        n = self._df.get(term)
        if n is None:
            n = 0
            for leaf, _base in reader.leaf_readers():
                if not leaf.has_deletions():
                    n += leaf.doc_frequency(fieldname, text)
                elif term in leaf:
                    n += sum(1 for _ in leaf.postings(fieldname, text).all_ids())
            if len(self._df) >= self.DF_CACHE:
                self._df.clear()
            self._df[term] = n
        return n


# Term scores are rounded to multiples of 2**-20 (a millionth: far below any difference that
# ranks): sums of such numbers are exact in any order, and Whoosh adds a document's term scores
# in an order that depends on which terms each segment holds. So a document scores the same,
# to the last bit, in a full index and in an updated one, and equal scores tie in both.
QUANTUM = float(2**20)


class ExactBM25FScorer(BM25FScorer):
    def __init__(self, searcher: Searcher, fieldname: str, text: Any, B: float, K1: float, qf: int,
                 avgfl: float):  # fmt: skip
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        self.avgfl = avgfl

    def _score(self, weight: float, length: int) -> float:
        return round(super()._score(weight, length) * QUANTUM) / QUANTUM


class LiveBM25F(BM25F):
    """Whoosh's BM25F over IndexStats, term scores rounded (QUANTUM): a full index's scores."""

    def __init__(self, stats: IndexStats):
        super().__init__()
        self.stats = stats

    def idf(self, searcher: Searcher, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        n = self.stats.doc_frequency(parent.reader(), fieldname, text)
        return log(self.stats.docs / (n + 1)) + 1  # WeightingModel.idf's formula

    def scorer(self, searcher: Searcher, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return ExactBM25FScorer(searcher, fieldname, text, self.B, self.K1, qf, self.stats.avg_length(fieldname))


def open_searcher(ix: Any, stats: IndexStats | None = None) -> Searcher:
    """A searcher of `ix` with full-index statistics (made from a reader of its own when
    `stats` is not given: one searcher, e.g. a test or `chenglai search`)."""
    reader = ix.reader()
    return Searcher(reader, weighting=LiveBM25F(stats or IndexStats(reader)), fromindex=ix)


# ---------------------------------------------------------------- running a query


class DeadlineCollector(TimeLimitCollector):
    """TimeLimitCollector without its timer thread and SIGALRM: signals only reach the main
    thread, and threaded servers search in others. Checks a deadline every 64 matches."""

    def __init__(self, child: Any, timelimit: float):
        super().__init__(child, timelimit, use_alarm=False)
        self.deadline = 0.0
        self.seen = 0

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        self.child.prepare(top_searcher, q, context)
        self.timedout = False
        self.seen = 0
        self.deadline = time.monotonic() + self.timelimit

    def collect_matches(self) -> None:
        for sub_docnum in self.child.matches():
            self.collect(sub_docnum)

    def collect(self, sub_docnum: int) -> None:
        # called by a wrapping FilterCollector too, for the documents the filter allows
        self.seen += 1
        if self.seen & 63 == 1 and time.monotonic() > self.deadline:
            self.timedout = True
            raise TimeLimit
        self.child.collect(sub_docnum)

    def finish(self) -> None:
        self.child.finish()


@dataclass(frozen=True)
class Hit:
    id: str
    url: str
    title: str
    kind: str
    court: str
    snippet: str  # plain text
    needles: tuple[str, ...] = ()

    @property
    def snippet_html(self) -> str:
        """Escaped snippet, matches in <mark> (computed for HTML pages only)."""
        return highlight(self.snippet, self.needles)

    @property
    def title_html(self) -> str:
        return highlight(self.title, self.needles)

    def as_json(self, root: str = "/") -> dict[str, str]:
        return {"id": self.id, "url": root + self.url.lstrip("/"), "title": self.title, "kind": self.kind,
                "court": self.court, "snippet": self.snippet}  # fmt: skip


@dataclass(frozen=True)
class Removed:
    """A pointer to the public removal notice of the case number typed: its number and date only."""

    case_number: str
    removed_on: str  # YYYY-MM-DD
    url: str  # the /removals/ page and row that lists it

    def as_json(self, root: str = "/") -> dict[str, str]:
        return {"case_number": self.case_number, "removed_on": self.removed_on, "url": root + self.url}


@dataclass(frozen=True)
class Page:
    query: str
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...]
    filters: Filters
    removed: tuple[Removed, ...] = ()

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.per_page)))

    def as_json(self, root: str = "/") -> dict[str, Any]:
        """The response body of GET /api/search (SPEC §4), each `url` from the site's root path
        `root` (/ or SITEURL's path with a slash), and pointers to removal notices of the case
        number typed (`removed`, empty when none)."""
        return {"query": self.query, "total": self.total, "page": self.page, "per_page": self.per_page,
                "results": [h.as_json(root) for h in self.hits],
                "removed": [r.as_json(root) for r in self.removed]}  # fmt: skip


def highlight(text: str, needles: tuple[str, ...]) -> str:
    """HTML-escaped text with every occurrence of a needle wrapped in <mark>."""
    marks = [False] * len(text)
    folded = analysis.fold(text) if len(analysis.fold(text)) == len(text) else text
    upper = folded.upper()
    for needle in needles:
        n = needle.upper()
        start = upper.find(n)
        while n and start >= 0:
            for i in range(start, start + len(n)):
                marks[i] = True
            start = upper.find(n, start + len(n))
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marks[j] == marks[i]:
            j += 1
        chunk = html.escape(text[i:j], quote=False)
        out.append(f"<mark>{chunk}</mark>" if marks[i] else chunk)
        i = j
    return "".join(out)


SNIPPET_CHARS = 120


def _news_snippet(body: str, summary: str, needles: tuple[str, ...]) -> str:
    folded = analysis.fold(body)
    hits = [p for p in (folded.find(n) for n in needles) if p >= 0]
    if not hits or len(folded) != len(body):
        return summary or body[:SNIPPET_CHARS]
    start = max(0, min(hits) - 30)
    end = start + SNIPPET_CHARS
    return ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")


def run(searcher: Searcher, parsed: Parsed, filters: Filters = Filters(), page: int = 1,
        per_page: int = PER_PAGE, timelimit: float = TIME_LIMIT) -> Page:  # fmt: skip
    """One page of results, best first, equal scores in index order; SearchError(503) when the
    time limit is reached."""
    end = page * per_page
    atomic = searcher.is_atomic()
    # usequality=False and replace=0: every match is visited and counted. Whoosh otherwise
    # skips blocks and drops sub-queries that cannot reach the top N, so the total undercounts.
    if atomic:
        # one segment (a full index): document numbers are in index order, Whoosh's tie-break
        top: Any = TopCollector(limit=end, usequality=False, replace=0)
    else:
        # an updated index: the ties at the end of the page need every match (_index_order)
        top = UnlimitedCollector()
        top.replace = 0
    timed = DeadlineCollector(top, timelimit)
    allow = filters.query()
    # the filter wraps the deadline: FilterCollector runs its own match loop and calls collect()
    collector = FilterCollector(timed, allow=allow) if allow is not None else timed
    try:
        searcher.search_with_collector(parsed.query, collector)
    except TimeLimit:
        raise SearchError("查询超时：请输入更完整的姓名、案号或证件号码，或加上筛选条件", 503) from None
    results = collector.results()
    total = len(results)
    ranked = [d for _s, d in results.top_n] if atomic else _index_order(searcher, results.top_n, end)
    hits = []
    for docnum in ranked[(page - 1) * per_page : end]:
        f = searcher.stored_fields(docnum)
        snippet = f.get("snippet", "")
        if f.get("kind") == "news":
            snippet = _news_snippet(f.get("body", ""), snippet, parsed.needles)
        hits.append(Hit(
            id=f["id"], url=f["url"], title=f["title"], kind=f["kind"], court=f.get("court", ""),
            snippet=snippet, needles=parsed.needles,
        ))  # fmt: skip
    return Page(parsed.echo, total, page, per_page, tuple(hits), filters, removed(searcher, parsed))


def removed(searcher: Searcher, parsed: Parsed) -> tuple[Removed, ...]:
    """The public removal notices of the whole case number typed (one per removed debtor)."""
    if parsed.removal_key is None:
        return ()
    out = []
    for docnum in sorted(searcher.document_numbers(ident=parsed.removal_key)):
        f = searcher.stored_fields(docnum)
        if f.get("kind") == "removal":
            out.append(Removed(f["title"], f["snippet"], f["url"]))
    return tuple(out)


_NO_ORDER = (9, 0, "")  # a document of an index without sort keys: after the others


def _index_order(searcher: Searcher, items: list[tuple[float, int]], end: int) -> list[int]:
    """The first `end` document numbers of `items` ((score, docnum): best first, then by
    number), equal scores in index order, as a full index of the same documents ranks them.
    Each segment holds its documents in index order (search.indexer), so only documents of
    different segments compare their stored sort keys: read for the few that are merged."""
    bases = [base for _reader, base in searcher.reader().leaf_readers()]
    keys: dict[int, tuple[Any, int]] = {}

    def key(docnum: int) -> tuple[Any, int]:
        k = keys.get(docnum)
        if k is None:
            k = keys[docnum] = (searcher.stored_fields(docnum).get("order") or _NO_ORDER, docnum)
        return k

    out: list[int] = []
    i = 0
    while i < len(items) and len(out) < end:
        score = items[i][0]
        j = bisect_right(items, -score, lo=i, key=lambda item: -item[0])
        group = [docnum for _s, docnum in items[i:j]]
        runs = [run for run in _by_segment(group, bases) if run]
        need = end - len(out)
        out += group[:need] if len(runs) == 1 else islice(heapq.merge(*runs, key=key), need)
        i = j
    return out


def _by_segment(docnums: list[int], bases: list[int]) -> list[list[int]]:
    """Ascending document numbers cut where each segment starts."""
    runs = []
    start = 0
    for base in bases[1:]:
        cut = bisect_left(docnums, base, lo=start)
        runs.append(docnums[start:cut])
        start = cut
    runs.append(docnums[start:])
    return runs


def search(searcher: Searcher, text: str, filters: Filters = Filters(), page: int = 1,
           per_page: int = PER_PAGE, places: tuple[Place, ...] = ()) -> Page:  # fmt: skip
    """parse + run: the whole query path the service and `chenglai search` share."""
    return run(searcher, parse(text, places), filters, page, per_page)
