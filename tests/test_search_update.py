"""An updated index (search.indexer.build with the live index) answers every query exactly as
a full index of the same documents does: same totals, same hits in the same order, same
scores; it writes one document per changed record or news item, and never touches the live
index's files. Seeded random edits, additions and removals, over several generations."""

from __future__ import annotations

import copy
import hashlib
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from whoosh import index

from generator.domain.policy import decide_records
from generator.domain.records import Record, SourceRecord
from generator.errors import SearchError
from generator.render.outputs import NewsItem, RenderContext
from generator.staff import demo
from generator.state.store import Store
from search import indexer
from search import query as sq

from .factory import AS_OF

BASE = 500  # records in the first generation
POOL = 700  # records to add from


def _news(n: int, seed: int) -> list[NewsItem]:
    rng = random.Random(seed)
    words = ["执行", "失信", "集中执行", "拘留", "罚款", "有限公司", "东营", "商贸", "名单", "履行"]
    return [
        NewsItem(
            f"n{i}",
            f"新闻{i}{rng.choice(words)}",
            f"news/n{i}/",
            date(2026, 1, 1) + timedelta(days=i % 7),
            "摘要",
            " ".join(rng.choice(words) for _ in range(rng.randint(3, 40))),
            "",
        )
        for i in range(n)
    ]


class Site:
    """Record dicts and news as staff would edit them, and the index generations built so far."""

    def __init__(self, tmp: Path, seed: int):
        self.tmp = tmp
        self.rng = random.Random(seed)
        pool = demo.make_records(POOL, as_of=AS_OF)
        self.records = {i: r for i, r in enumerate(pool[:BASE])}
        self.spare = list(enumerate(pool))[BASE:]
        self.news = _news(6, seed)
        self.n = 0
        self.live: tuple[Path, dict[str, str]] | None = None

    def ctx(self, store: Store | None = None) -> RenderContext:
        sources = [SourceRecord(f"{i}.yaml", Record.model_validate(r), {}) for i, r in sorted(self.records.items())]
        view = decide_records(sources, AS_OF)
        ctx = RenderContext(view=view, settings={}, news=list(self.news), fingerprint="test")
        if store is not None:
            ctx.store = store
        return ctx

    def edit(self, edits: int, adds: int, removes: int) -> None:
        rng = self.rng
        keys = sorted(self.records)
        for i in rng.sample(keys, edits):
            r = copy.deepcopy(self.records[i])
            change = rng.randrange(4)
            if change == 0:  # another debtor's name, of the same kind
                same = [o for o in self.records.values() if o["debtor"]["kind"] == r["debtor"]["kind"]]
                r["debtor"]["name"] = rng.choice(same)["debtor"]["name"]
            elif change == 1:
                r["obligation"] = f"支付货款{rng.randint(1, 9_999_999)}元"
            elif change == 2:  # a later listing: another place in the index order
                r["listed_on"] = r["listed_on"] + timedelta(days=rng.randint(1, 30))
            else:
                r["grounds"] = sorted({*r["grounds"], rng.choice(sorted(demo.GROUNDS))})
            try:
                Record.model_validate(r)
            except ValueError:
                continue
            self.records[i] = r
        for i in rng.sample(keys, removes):
            del self.records[i]
        for _ in range(min(adds, len(self.spare))):
            i, r = self.spare.pop(0)
            self.records[i] = r
        # news: one edited, one removed, one added
        self.news[0] = NewsItem(**{**self.news[0].__dict__, "text": self.news[0].text + " 拘留"})
        del self.news[rng.randrange(1, len(self.news))]
        slug = f"x{self.n}"
        self.news.append(NewsItem(slug, f"新闻{slug}执行", f"news/{slug}/", date(2026, 3, 1), "", "执行 名单 东营", ""))

    def build(self) -> tuple[Path, indexer.IndexResult]:
        """The next generation: the live one updated (memo in a store of its own)."""
        self.n += 1
        folder = self.tmp / f"g{self.n}" / "index"
        store = Store(self.tmp / "state.sqlite3", version="test")
        try:
            live, docs = self.live if self.live is not None else (None, None)
            result = indexer.build(self.ctx(store), folder, live, docs)
            store.commit()
        finally:
            store.close()
        self.live = folder, result.docs
        return folder, result

    def full(self) -> tuple[Path, indexer.IndexResult]:
        folder = self.tmp / f"full{self.n}" / "index"
        return folder, indexer.build(self.ctx(), folder)


def _queries(ctx: RenderContext, rng: random.Random) -> list[tuple[str, sq.Filters]]:
    public = list(ctx.view.public)
    texts = ["张", "王", "李", "刘", "有限公司", "商贸", "东营", "中级人民法院", "执行", "名单", "拘留", "zhang", "wang",
             "li", "zw", "1000", "370502", "370500", "鲁05执", "2025"]  # fmt: skip
    for r in rng.sample(public, 25):
        texts += [r.name, r.name[:1], r.name[-2:], r.case_number, r.case_number[4:-1], r.court[:4]]
        if r.id_masked:
            texts.append(r.id_masked[-4:])
        if r.uscc:
            texts.append(r.uscc)
    out = [(t, sq.Filters()) for t in dict.fromkeys(texts)]
    courts = sorted({r.court_slug for r in public})
    out += [("张", sq.Filters(kind="person")), ("有限公司", sq.Filters(court=courts[0])),
            ("执行", sq.Filters(kind="news")), ("东营", sq.Filters(region="370502"))]  # fmt: skip
    return out


def _scores(s: Any, parsed: sq.Parsed) -> dict[str, float]:
    return {hit["id"]: hit.score for hit in s.search(parsed.query, limit=None)}


def _same_answers(updated: Path, full: Path, ctx: RenderContext, rng: random.Random) -> int:
    """Every query's pages and scores equal in both indexes; returns how many were compared."""
    a, b = index.open_dir(str(updated)), index.open_dir(str(full))
    with sq.open_searcher(a) as sa, sq.open_searcher(b) as sb:
        assert sb.is_atomic()
        places = sq.places_from_facets(indexer.site_info(ctx)["facets"])
        n = 0
        for text, filters in _queries(ctx, rng):
            try:
                parsed = sq.parse(text, places)
            except SearchError:
                continue
            for page, per_page in ((1, 10), (2, 10), (1, 3), (4, 3), (1, 50)):
                got = sq.run(sa, parsed, filters, page, per_page)
                want = sq.run(sb, parsed, filters, page, per_page)
                assert got == want, (text, filters, page, per_page)
            assert _scores(sa, parsed) == _scores(sb, parsed), text
            n += 1
    return n


def _files(folder: Path) -> dict[str, tuple[int, str]]:
    return {p.name: (p.stat().st_ino, hashlib.sha256(p.read_bytes()).hexdigest()) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("seed", [1, 2])
def test_updated_index_answers_as_a_full_index(tmp_path, seed):
    site = Site(tmp_path, seed)
    live, result = site.build()
    assert result.full and result.count == len(result.docs) == len(site.ctx().view.public) + len(site.news) + len(site.ctx().view.notices)
    rng = random.Random(seed)
    for step, (edits, adds, removes) in enumerate([(20, 10, 10), (5, 0, 30), (40, 30, 0), (1, 1, 1)]):
        before, previous = _files(live), result.docs
        site.edit(edits, adds, removes)
        folder, result = site.build()
        ref, full = site.full()
        assert not result.full, step
        assert result.docs == full.docs
        # one document per new or changed record or news item, nothing else
        changed = {uid for uid, d in result.docs.items() if previous.get(uid) != d}
        assert sorted(d["id"] for d in result.written) == sorted(changed)
        assert result.deleted == len({uid for uid, d in previous.items() if result.docs.get(uid) != d})
        assert _files(live) == before  # the live generation: same inodes, same bytes
        with index.open_dir(str(folder)).reader() as reader:
            assert not reader.is_atomic() and reader.has_deletions()
            assert reader.doc_count() == len(full.docs)
        assert _same_answers(folder, ref, site.ctx(), rng) > 50
        live = folder


def test_an_unchanged_site_makes_no_document(tmp_path, monkeypatch):
    """A document whose inputs did not change is not made again: no record or news item is
    analysed, nothing is written, and the copy answers as the live index."""
    site = Site(tmp_path, 3)
    live, first = site.build()

    def never(*args: Any) -> Any:
        raise AssertionError("a document was made")

    monkeypatch.setattr(indexer, "record_document", never)
    monkeypatch.setattr(indexer, "news_document", never)
    folder, result = site.build()
    assert not result.full and result.written == [] and result.deleted == 0 and result.docs == first.docs
    # every file but Whoosh's lock file, which the copy does not share
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in live.iterdir() if "LOCK" not in p.name)
    for p in folder.iterdir():
        if p.name != indexer.SITE_FILE:
            assert p.stat().st_ino == (live / p.name).stat().st_ino  # hard links, not copies
    assert (folder / indexer.SITE_FILE).stat().st_ino != (live / indexer.SITE_FILE).stat().st_ino


def test_written_holds_the_stored_fields_the_leak_gate_reads(tmp_path, monkeypatch):
    """Fault injection: the snippet of every document made from now on carries a marker. Only
    the changed documents are written, and each of them is in `written` with the marker."""
    site = Site(tmp_path, 4)
    site.build()
    snippet = indexer.record_snippet
    monkeypatch.setattr(indexer, "record_snippet", lambda r: f"{snippet(r)} 泄露标记")
    site.edit(3, 2, 0)
    folder, result = site.build()
    assert result.written and all("泄露标记" in d["snippet"] for d in result.written if d["kind"] != "news")
    assert all(set(d) <= set(indexer.STORED_FIELDS) for d in result.written)
    with index.open_dir(str(folder)).searcher() as s:
        marked = {d["id"] for d in s.all_stored_fields() if "泄露标记" in d.get("snippet", "")}
    assert marked == {d["id"] for d in result.written if d["kind"] != "news"}


def _other_schema(folder: Path) -> None:
    from whoosh.fields import ID, Schema

    index.create_in(str(folder), Schema(uid=ID(unique=True)))


@pytest.mark.parametrize("spoil", ["no docs", "missing", "schema", "count", "segments", "deleted", "stray file"])
def test_a_live_index_that_cannot_be_updated_gives_a_full_index(tmp_path, monkeypatch, spoil):
    site = Site(tmp_path, 5)
    live, first = site.build()
    docs: dict[str, str] | None = dict(first.docs)
    if spoil == "no docs":
        docs = None
    elif spoil == "missing":
        live = tmp_path / "gone"
    elif spoil == "schema":
        live = tmp_path / "old"
        live.mkdir()
        _other_schema(live)
    elif spoil == "count":
        docs = dict(list(first.docs.items())[1:])
    elif spoil == "segments":
        monkeypatch.setattr(indexer, "MAX_SEGMENTS", 1)
    elif spoil == "deleted":
        site.edit(0, 0, 150)
    else:
        (live / "notes.txt").write_text("not Whoosh's")
    site.live = (live, docs)  # type: ignore[assignment]
    folder, result = site.build()
    assert result.full and result.count == len(result.docs)
    ref, full = site.full()
    assert result.docs == full.docs
    with index.open_dir(str(folder)).reader() as reader:
        assert reader.is_atomic() and not reader.has_deletions()
