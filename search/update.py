"""The search index of an incremental build: the live index, with the documents of added,
changed and removed records and news replaced (generator.build.incremental).

The live index is copied into the staging folder by hard links (Whoosh writes new segment
files and a new table of contents, it never rewrites one), the documents are replaced by their
`uid` (Whoosh `update_document`, `delete_by_term`), and the folder is swapped in like a full
build's. Hits are the same as a full build's; scores may differ a little until Whoosh merges
the segments that still count a replaced document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index

from generator.build.leakcheck import Leak, LeakGate
from generator.render.outputs import RenderContext

from . import indexer

STORED = [name for name, f in indexer.SCHEMA.items() if f.stored]


def news_documents(ctx: RenderContext) -> dict[str, dict[str, Any]]:
    return {doc["uid"]: doc for doc in map(indexer.news_document, ctx.news)}


def news_keys(ctx: RenderContext) -> dict[str, str]:
    """uid → hash of the news item its document is made from (indexer.news_document, a function
    of the item): compared instead of the documents, whose words need jieba's dictionary (half
    a second to load) — a build that changed no news and no organization never loads it."""
    return {f"news-{item.slug}": hashlib.blake2b(repr(item).encode(), digest_size=16).hexdigest() for item in ctx.news}


def stored_text(doc: dict[str, Any]) -> bytes:
    """What the leak gate reads of a document: its stored fields, as leakcheck.scan_index does."""
    return "\n".join(str(doc[name]) for name in STORED if name in doc).encode("utf-8")


def update(
    ctx: RenderContext,
    target: Path,
    records: dict[str, str],
    documents: dict[str, str],
    gate: Callable[[], LeakGate | None],
    texts: list[tuple[str, bytes]] | None = None,
) -> tuple[int, int, list[Leak]]:
    """Bring the index copied into `target` (from the build whose records and news were
    `records` (id → digest) and `documents` (uid → news_keys)) up to `ctx`. Every document
    added is scanned by the leak gate (`gate()`, made when first needed) first, or, given
    `texts`, its stored text is listed there (name, bytes) for the caller to scan before the
    index goes live. Returns (documents written, documents deleted, leaks)."""
    public = {r.id: r for r in ctx.view.public}
    news = news_keys(ctx)
    leaks: list[Leak] = []
    delete = sorted((records.keys() - public.keys()) | (documents.keys() - news.keys()))
    write = [indexer.record_document(r) for rid, r in public.items() if records.get(rid) != r.digest]
    changed_news = {uid for uid, key in news.items() if documents.get(uid) != key}
    if changed_news:
        write += [doc for uid, doc in news_documents(ctx).items() if uid in changed_news]
    if delete or write:
        _replace(target, delete, write, gate, leaks, texts)
    site = target / indexer.SITE_FILE
    site.unlink(missing_ok=True)  # a copy, but never write through a name the live index may share
    site.write_text(json.dumps(indexer.site_info(ctx), ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
    return len(write), len(delete), leaks


def _replace(target: Path, delete: list[str], write: list[dict[str, Any]], gate: Callable[[], LeakGate | None],
             leaks: list[Leak], texts: list[tuple[str, bytes]] | None = None) -> None:  # fmt: skip
    ix = index.open_dir(str(target))
    try:
        writer = ix.writer(limitmb=indexer.WRITER_LIMIT_MB, codec=indexer.codec())
        try:
            for uid in delete:
                writer.delete_by_term("uid", uid)
            for doc in write:
                if texts is not None:
                    texts.append((f"{target.name}/{doc['uid']}", stored_text(doc)))
                elif (scanner := gate()) is not None:
                    leaks += scanner.scan(stored_text(doc), f"{target.name}/{doc['uid']}")
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    finally:
        ix.close()
