"""`chenglai publish`: the live build to the public host, changed files only, in an order that
never leaves a public link pointing at a missing file.

On the host (REMOTE, any rclone path):

    REMOTE/site/              the site (nginx's root)
    REMOTE/index/<name>/      the search index of a published build (the one before kept too)
    REMOTE/index/CURRENT      the name of the live index (the search service reads it)
    REMOTE/gone.map           removed record pages, for nginx's 410 Gone (`deploy-config nginx`)

What changed is known without looking at the host: the store holds the live generation's file
list (meta gen:<g>:files, path → digest of the bytes) and, per remote, what was last published
there (meta publish:<remote>). Groups go in this order, each one rclone batch:

    1 assets (CSS, images…)  2 record pages (records, notices, news, pages)
    3 lists, home, feeds, data, sitemaps; then the search index and its pointer
    4 the nginx map of removed pages, then deletions (removed records' pages among them)

After each group the store records it as published, so a run that fails part-way says which
groups were not sent and the next run sends exactly those. The URLs changed by a run go to
`purge-urls.txt` in the state folder, for a CDN purge.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from generator.build.generations import Generations, locked
from generator.build.rclone import Rclone, join
from generator.errors import PublishError, UsageError
from generator.settings import portal_settings
from generator.state import paths
from generator.state.store import FILE, Store, digest_of, gen_key

GROUPS = ("assets", "records", "lists")
LABELS = {
    "assets": "静态资源（样式、图片等）",
    "records": "记录页（含删除公告页、新闻与页面）",
    "lists": "列表、首页、订阅与开放数据",
    "index": "搜索索引",
    "deletions": "删除（含已删除记录的页面）",
}
PURGE_FILE = "purge-urls.txt"
POINTER = paths.POINTER
GONE_MAP = "gone.map"
# files a visitor reads as a page, a feed or data; every other file is an asset of them
_DOCUMENT_EXT = {"html", "xml", "atom", "rss", "json", "csv", "opml", "txt"}
# browse lists and data: pages under these are lists, even three levels down
_LIST_SECTIONS = {"courts", "regions", "grounds", "removals", "feeds", "data", "stats", "search", "sitemaps"}
_PAGED = re.compile(r"(^|/)page/\d+/")
# a record's own page (and its notice page): the URLs that answer 410 once it is removed
_RECORD_PAGE = re.compile(r"(?P<dir>debtors/[^/]+/(?:notice/)?)index\.html")
_SAFE_PATH = re.compile(r"[^\x00-\x1f\x7f\"\\;{}]+")


def group_of(path: str) -> str:
    """assets, records or lists (SPEC §8's order)."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in _DOCUMENT_EXT:
        return "assets"
    parts = path.split("/")
    if ext == "html" and len(parts) >= 3 and parts[0] not in _LIST_SECTIONS and not _PAGED.search(path):
        return "records"
    return "lists"


def url_of(path: str, siteurl: str = "") -> list[str]:
    """The URLs a file answers at (a folder's index.html at the folder's URL too)."""
    base = siteurl.rstrip("/")
    urls = [f"{base}/{path}"]
    if path == "index.html" or path.endswith("/index.html"):
        urls.insert(0, f"{base}/{path[: -len('index.html')]}")
    return urls


@dataclass
class Plan:
    """What a publish sends: per group the changed paths, the deletions, the index."""

    remote: str
    site: Path  # the live generation's site folder (pinned: not the link, which a build may switch)
    index: Path
    generation: str
    as_of: date
    files: dict[str, str]  # the live build: path → digest
    sent: dict[str, str]  # what the remote holds, as last recorded
    groups: dict[str, list[str]]
    deletions: list[str]
    index_name: str
    index_changed: bool
    gone: dict[str, str]  # record page folder URL → the date it was removed (ISO)
    gone_changed: bool
    record: dict[str, Any] = field(default_factory=dict)  # the stored state of this remote

    def empty(self) -> bool:
        return not (any(self.groups.values()) or self.deletions or self.index_changed or self.gone_changed)


@dataclass
class Outcome:
    plan: Plan
    done: list[str]
    failed: list[tuple[str, str]]  # (group, rclone's message) not sent, in order
    purge: list[str]
    seconds: float = 0.0


def _index_name(store: Store, generation: str, index: Path) -> str:
    """A name for the index on the host, from its documents: the same documents, the same name
    (a run repeated after a failure finds the folder it began); different documents never
    share one. A store without the documents' list digests the files themselves."""
    docs = store.meta(gen_key(generation, "search.docs"))
    if docs:
        return "i" + digest_of(sorted(docs.items()))[:20]
    import hashlib

    h = hashlib.blake2b(digest_size=10)
    for p in sorted(index.iterdir()):
        if p.is_file():
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return "i" + h.hexdigest()


def _gone(
    previous: dict[str, str], removed: list[str], files: dict[str, str], as_of: date, days: int
) -> dict[str, str]:
    """Removed record pages → the day they went; a page published again leaves the list, and an
    entry older than the removal notices (PORTAL_REMOVAL_NOTICE_DAYS) too: after that the
    portal no longer says a record was ever listed (404, like any unknown address)."""
    gone = dict(previous)
    for path in removed:
        m = _RECORD_PAGE.fullmatch(path)
        if m:
            gone.setdefault("/" + m.group("dir"), as_of.isoformat())
    oldest = as_of - timedelta(days=days)
    return {
        url: day for url, day in sorted(gone.items())
        if url[1:] + "index.html" not in files and date.fromisoformat(day) >= oldest
    }  # fmt: skip


def gone_map(gone: dict[str, str]) -> bytes:
    """The entries of nginx's `map $uri $chenglai_gone` (deploy-config nginx includes them)."""
    lines = ["# chenglai publish: removed record pages (410 Gone); regenerated by every publish"]
    for url in gone:
        if not _SAFE_PATH.fullmatch(url):
            continue  # (never from our build: its record ids are letters, digits and hyphens)
        for form in (url, url + "index.html", url.rstrip("/")):
            lines.append(f'"{form}" 1;')
    return ("\n".join(lines) + "\n").encode("utf-8")


def plan(settings: dict[str, Any], remote: str | None, rclone: Rclone | None = None) -> tuple[Plan, Store]:
    """What publishing the live build to `remote` would send and delete (nothing is sent)."""
    portal = portal_settings(settings)
    remote = remote or portal["PORTAL_PUBLISH_TO"]
    if not remote:
        raise UsageError("未指定发布目标：请用 --to 指定，或在设置文件中设置 PORTAL_PUBLISH_TO")
    if remote.startswith("-") or any(c in remote for c in "\r\n\0"):
        raise UsageError(f"发布目标不正确（应为 rclone 路径，如 /srv/chenglai 或 web:/srv/chenglai）：{remote!r}")
    output = Path(os.path.abspath(settings["OUTPUT_PATH"]))
    state = paths.state_dir(output, portal["PORTAL_STATE_PATH"])
    live = Generations(output, state).live()
    if live is None:
        raise PublishError(f"没有可发布的构建（{output}）：请先运行 chenglai build")
    store = Store(state / FILE)
    files = store.files(live.name)
    if not files:
        store.close()
        raise PublishError(f"构建状态库中没有第 {live.name} 代的文件清单：请重新构建（chenglai build）后再发布")
    bad = [p for p in files if "\n" in p or "\r" in p or p.startswith("/") or ".." in p.split("/")]
    if bad:
        store.close()
        raise PublishError(f"构建中有不能发布的文件名：{bad[0]!r}")
    record = dict(store.meta(_key(remote), {}) or {})
    if "files" in record:
        sent: dict[str, str] = dict(record["files"])
    else:
        # nothing recorded for this remote (a first publish, or a state folder lost): what is
        # there is looked at once, so every file of it that the build no longer has is deleted
        # (a removed record's page among them) and the rest is sent again
        try:
            sent = {path: "" for path in (rclone or Rclone()).list(join(remote, "site"))}
        except PublishError as exc:
            store.close()
            raise PublishError(
                f"无法查看发布目标 {remote} 上已有的文件（{exc}）；没有发送任何文件，处理后重新运行即可"
            ) from None
    info = store.meta(gen_key(live.name, "info"), {}) or {}
    as_of = date.fromisoformat(info["as_of"]) if info.get("as_of") else date(1970, 1, 1)
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for path in sorted(files):
        if sent.get(path) != files[path]:
            groups[group_of(path)].append(path)
    deletions = sorted(sent.keys() - files.keys())
    gone = _gone(record.get("gone", {}), deletions, files, as_of, int(portal["PORTAL_REMOVAL_NOTICE_DAYS"]))
    name = _index_name(store, live.name, live.index)
    p = Plan(
        remote=remote, site=Path(os.path.realpath(live.site)), index=Path(os.path.realpath(live.index)),
        generation=live.name, as_of=as_of, files=files, sent=sent, groups=groups, deletions=deletions,
        index_name=name, index_changed=record.get("index") != name,
        gone=gone, gone_changed=record.get("gone") != gone or "gone" not in record, record=record,
    )  # fmt: skip
    return p, store


def _key(remote: str) -> str:
    return f"publish:{remote}"


def publish(settings: dict[str, Any], remote: str | None = None, rclone: Rclone | None = None,
            progress: Callable[[str], None] | None = None) -> Outcome:  # fmt: skip
    """Send the live build's changes to `remote` in SPEC §8's order; never raises for a failed
    group: the Outcome names what was not sent (the caller exits nonzero)."""
    import time

    started = time.perf_counter()
    output = Path(os.path.abspath(settings["OUTPUT_PATH"]))
    state = paths.state_dir(output, portal_settings(settings)["PORTAL_STATE_PATH"])
    # the build's lock: no build recycles or prunes the generation being sent meanwhile
    with locked(state):
        rc = rclone or Rclone()
        p, store = plan(settings, remote, rc)
        try:
            out = _send(p, store, rc, state, str(settings.get("SITEURL") or ""), progress)
        finally:
            store.close()
    out.seconds = time.perf_counter() - started
    return out


def _send(p: Plan, store: Store, rc: Rclone, state: Path, siteurl: str,
          progress: Callable[[str], None] | None) -> Outcome:  # fmt: skip
    site_dest, index_dest = join(p.remote, "site"), join(p.remote, "index")
    record = p.record
    published: dict[str, str] = dict(p.sent)
    purge: list[str] = []
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    say = progress or (lambda _msg: None)

    def save() -> None:
        # after each group: a later failure does not send it again
        record["files"] = published
        store.set_meta(_key(p.remote), dict(record))
        store.commit()

    steps: list[tuple[str, Callable[[], None], Callable[[], None]]] = []
    for group in GROUPS:
        paths_ = p.groups[group]

        def send(paths_: list[str] = paths_) -> None:
            rc.copy(p.site, site_dest, paths_)

        def mark(paths_: list[str] = paths_) -> None:
            for path in paths_:
                published[path] = p.files[path]
                purge.extend(url_of(path, siteurl))

        if paths_:
            steps.append((group, send, mark))
    if p.index_changed:
        previous = record.get("index")

        def send_index() -> None:
            record.setdefault("indexes", [])
            if p.index_name not in record["indexes"]:
                record["indexes"].append(p.index_name)  # (before sending: a failed upload is cleaned later)
                save()
            rc.copy_dir(p.index, join(index_dest, p.index_name))
            rc.put(join(index_dest, POINTER), (p.index_name + "\n").encode())

        def mark_index() -> None:
            record["index_before"], record["index"] = previous, p.index_name

        steps.append(("index", send_index, mark_index))
    keep = {n for n in (p.index_name, record.get("index"), record.get("index_before")) if n}
    stale = [n for n in record.get("indexes", []) if n not in keep]
    if p.deletions or p.gone_changed or stale:

        def send_deletions() -> None:
            rc.put(join(p.remote, GONE_MAP), gone_map(p.gone))
            rc.delete(site_dest, p.deletions)
            live_names = {n for n in (record.get("index"), record.get("index_before")) if n}
            for name in [n for n in record.get("indexes", []) if n not in live_names]:
                rc.purge(join(index_dest, name))

        def mark_deletions() -> None:
            for path in p.deletions:
                published.pop(path, None)
                purge.extend(url_of(path, siteurl))
            record["gone"] = p.gone
            live_names = {n for n in (record.get("index"), record.get("index_before")) if n}
            record["indexes"] = [n for n in record.get("indexes", []) if n in live_names]

        steps.append(("deletions", send_deletions, mark_deletions))

    for i, (group, send_step, mark_step) in enumerate(steps):
        say(f"发送：{LABELS[group]}")
        try:
            send_step()
        except PublishError as exc:
            # a group not sent stops the run: the groups after it would link to what is missing
            failed = [(g, str(exc) if j == i else "") for j, (g, _s, _m) in enumerate(steps) if j >= i]
            break
        mark_step()
        save()
        done.append(group)
    _write_purge(state, purge)
    return Outcome(plan=p, done=done, failed=failed, purge=purge)


def _write_purge(state: Path, urls: list[str]) -> None:
    target = state / PURGE_FILE
    tmp = target.with_name(PURGE_FILE + ".tmp")
    tmp.write_text("".join(f"{u}\n" for u in dict.fromkeys(urls)), encoding="utf-8")
    os.replace(tmp, target)


def describe(p: Plan) -> list[str]:
    """The dry run's lines: what would change, group by group, in the order it would be sent."""
    lines: list[str] = []
    for group in GROUPS:
        items = p.groups[group]
        lines.append(f"{LABELS[group]}：{len(items)} 个文件")
        lines += [f"  上传 {path}" for path in items]
    lines.append(f"{LABELS['index']}：" + (f"上传 {p.index_name}" if p.index_changed else "无变化"))
    lines.append(f"{LABELS['deletions']}：{len(p.deletions)} 个文件")
    lines += [f"  删除 {path}" for path in p.deletions]
    if p.gone_changed:
        lines.append(f"已删除记录页（410）清单 {GONE_MAP}：{len(p.gone)} 个地址")
    return lines
