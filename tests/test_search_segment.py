"""generator.speedups.whoosh_segment writes the same segment files as Whoosh's own writer, byte for byte."""

from __future__ import annotations

import hashlib
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3Codec

from generator.domain.policy import decide_records
from generator.domain.records import Record, SourceRecord
from generator.render.outputs import NewsItem, RenderContext
from generator.speedups import whoosh_segment as segment
from generator.staff import demo
from search import indexer

from .factory import AS_OF


def _whoosh(folder: Path, docs: list[dict[str, Any]], codec: W3Codec) -> None:
    ix = index.create_in(str(folder), indexer.SCHEMA)
    writer = ix.writer(limitmb=indexer.WRITER_LIMIT_MB, codec=codec, compound=False)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    ix.close()


def _ours(folder: Path, docs: list[dict[str, Any]], codec: W3Codec) -> None:
    ix = index.create_in(str(folder), indexer.SCHEMA)
    assert segment.write_segment(ix, iter(docs), codec, compound=False) == len(docs)
    ix.close()


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _same(tmp_path: Path, docs: list[dict[str, Any]], codec: W3Codec | None = None) -> dict[str, str]:
    got = {}
    for name, write in (("whoosh", _whoosh), ("ours", _ours)):
        folder = tmp_path / name
        folder.mkdir()
        random.seed(7)  # Whoosh names segments at random: the same names for both
        write(folder, docs, codec or indexer.codec())
        got[name] = _files(folder)
    assert got["ours"] == got["whoosh"]
    return got["ours"]


def test_the_index_of_demo_records_and_news_is_whooshs_byte_for_byte(tmp_path):
    sources = [SourceRecord(f"{i}.yaml", Record.model_validate(r), {})
               for i, r in enumerate(demo.make_records(2000, as_of=AS_OF))]  # fmt: skip
    news = [
        NewsItem("a", "执行新闻", "news/a/", date(2026, 1, 5), "摘要", "东营市人民法院 执行 执行 失信 名单" * 3, ""),
        NewsItem("b", "Second", "news/b/", date(2026, 2, 5), "", "lorem ipsum 有限公司", ""),
    ]
    ctx = RenderContext(view=decide_records(sources, AS_OF), settings={}, news=news)
    docs = list(indexer.documents(ctx))
    files = _same(tmp_path, docs)
    assert any(name.endswith(".pst") for name in files)  # the postings were compared


@pytest.mark.parametrize("codec", [indexer.codec(), W3Codec(blocklimit=16)], ids=["ours", "zlib-16"])
def test_odd_documents_too(tmp_path, codec):
    """Repeated keys (frequency > 1), a field given as text, missing fields, more postings than
    a block holds, a term that comes both as a key and from a field's own analyser, an empty id;
    with our codec and with compressed blocks of 16."""
    docs: list[dict[str, Any]] = []
    for i in range(300):
        doc: dict[str, Any] = {"uid": f"r{i}", "id": f"r{i}", "title": f"标题{i}"}
        if i % 3:
            doc["facet"] = ["Kperson", f"C{i % 7}", "Kperson"] if i % 5 else "Korg C1"
        if i % 4 == 0:
            doc["name"] = ["张", "三", "张三"] * (1 + i % 3)
        if i % 11 == 0:
            doc["text"] = []
        if i == 13:
            doc["uid"] = ""
        docs.append(doc)
    _same(tmp_path, docs, codec)


def test_a_failure_while_documents_are_made_leaves_the_index_writable(tmp_path):
    def broken():
        yield {"uid": "a", "id": "a"}
        raise RuntimeError("boom")

    ix = index.create_in(str(tmp_path), indexer.SCHEMA)
    with pytest.raises(RuntimeError):
        segment.write_segment(ix, broken(), indexer.codec())
    segment.write_segment(ix, iter([{"uid": "b", "id": "b"}]), indexer.codec())  # the lock was released
    with ix.searcher() as s:
        assert [d["id"] for d in s.documents()] == ["b"]
