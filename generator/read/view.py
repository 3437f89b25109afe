"""The read path of a build: record files → PublicView, the one path (ARCHITECTURE.md).

Two memos of the state store (generator.state.store) keep a rebuild from reading and parsing
what did not change, each a stored result of one producing function (the rule for fast paths):

- FILES ("read.file"): path → sha256 of the file's bytes, for its stat (size, mtime, ctime,
  inode): an unchanged file is not even read, as Pelican's cache trusts an unchanged mtime. A
  file changed less than RACY_NS before the scan is not memoised by its stat: a second write
  within one clock tick could leave the same stat (git's "racy" files).
- RECORDS ("read.record", or "read.record.drafts" when drafts are accepted): sha256 → (Facts,
  AcrossEntry without its path) of a file that passed every single-record rule in that mode
  (checker.check_one). A file with a problem is never memoised: its errors are always the
  checker's own.

What the memos do not hold is read, parsed and checked (checker.check_files, in worker processes
when there are many). The rules across files then run over every record's entry and
`policy.decide` over every record's Facts, memo or not: the view is the same either way. Any
problem stops the build before a memo is written.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from generator.domain import rules
from generator.domain.kindpolicy import decide_kinds
from generator.domain.policy import Facts, PublicView, decide
from generator.domain.records import record_files
from generator.errors import ContentErrors, RecordError, UsageError
from generator.read.checker import Item, check_files, no_gc
from generator.read.kinds import check_items, kind_folders
from generator.settings import portal_settings, today_shanghai
from generator.state.store import Namespace, Store, digest_of

FILES = "read.file"
RECORDS = "read.record"
RECORDS_DRAFTS = "read.record.drafts"
RACY_NS = 2_000_000_000
# What a record's Facts depend on besides our code (which the store's version covers): the
# parser, the validator, the region table and the readings of case types.
LIBRARIES = ("PyYAML", "pydantic", "pydantic-core", "python-stdnum", "pypinyin")


class ReadStats(NamedTuple):
    """What one read did (build reports and the tests that memo and parse agree)."""

    files: int  # record files found
    parsed: int  # of which parsed and checked this time
    from_memo: int  # of which taken from the store


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
    return today_shanghai()


def records_dir(settings: dict[str, Any]) -> Path:
    portal = portal_settings(settings)
    return Path(settings["PATH"]) / portal["PORTAL_RECORDS_DIR"]


def load_view(
    settings: dict[str, Any],
    as_of: date,
    drafts_ok: bool,
    store: Store,
    shas: dict[str, str] | None = None,
    certificates: bool = False,
) -> tuple[PublicView, ReadStats]:
    """Check every record file and decide what is public on `as_of`; any content problem raises
    ContentErrors (every problem of every file) and writes nothing. `shas`: the sha256 of files
    (by absolute path) that content_digest has just taken, not looked up again. `certificates`:
    the build writes /verify/ pages (the secret is set), so the view lists their removals."""
    portal = portal_settings(settings)
    folder = records_dir(settings)
    if not folder.is_dir():
        raise UsageError(f"记录目录不存在：{folder}（PATH/PORTAL_RECORDS_DIR）")
    try:  # staff read error lines relative to where they stand
        folder = folder.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    jobs = portal["PORTAL_JOBS"] or os.cpu_count() or 1
    kinds = kind_folders(Path(settings["PATH"]))
    with no_gc():  # 100,000 records allocate millions of objects, none in cycles
        try:
            facts, stats = read_facts([folder], drafts_ok, store, jobs, shas)
        except ContentErrors as failed:  # the kinds' problems too, in the same run
            raise ContentErrors(sorted([*failed.errors, *check_items(kinds, drafts_ok, None).errors])) from None
        # the other kinds (SPEC §7): a batch may name only debtor records that exist
        known = {f.record.id for f in facts if f.record is not None}
        checked = check_items(kinds, drafts_ok, known)
        if checked.errors:
            raise ContentErrors(checked.errors)
        years = portal["PORTAL_VERIFY_YEARS"] if certificates else 0
        view = decide(facts, as_of, portal["PORTAL_REMOVAL_NOTICE_DAYS"], years)
        return decide_kinds(view, checked.items, portal["PORTAL_REMOVAL_NOTICE_DAYS"]), stats


Row = tuple[str, str, str]  # (path, stat digest, sha256): a FILES memo row to store


def _sha(path: str, file_memo: _Memo, scan_ns: int) -> tuple[str, bytes | None, Row | None] | None:
    """The sha256 of a file: from the FILES memo for its stat, or read and hashed (then also the
    bytes, and the memo row to store unless the file changed within RACY_NS of `scan_ns`: a second
    write in the same clock tick could leave the same stat). None: the file cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    signature = digest_of(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    sha = file_memo.get(path, signature)
    if sha is not None:
        return sha, None, None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    sha = hashlib.sha256(data).hexdigest()
    # the stat was taken before the read: never newer than the bytes
    row = (path, signature, sha) if max(st.st_mtime_ns, st.st_ctime_ns) < scan_ns - RACY_NS else None
    return sha, data, row


def content_digest(content: Path, store: Store, shas: dict[str, str] | None = None) -> str:
    """A digest of every file under the content folder (records, news, pages, static files): its
    path and the sha256 of its bytes, each read through the FILES memo (not read again while its
    stat is unchanged). What a whole build is made from, with the settings, theme, code and date.
    `shas`, when given, gets each file's sha256 by absolute path (for load_view)."""
    file_memo, file_ns = _Memo(store.ns(FILES)), store.ns(FILES)
    scan_ns = time.time_ns()
    listing: list[tuple[str, str]] = []
    for dirpath, dirs, names in os.walk(content):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            found = _sha(path, file_memo, scan_ns)
            if found is None:
                listing.append((os.path.relpath(path, content), "?"))  # unreadable: the build proper reports it
                continue
            sha, _data, row = found
            if row is not None:
                file_ns.put(*row)  # (kept only if the build commits)
            listing.append((os.path.relpath(path, content), sha))
            if shas is not None:
                shas[os.path.abspath(path)] = sha
    return digest_of(listing)


def library_versions() -> tuple[str, ...]:
    """Part of a record memo's digest: an upgraded parser or region table makes it a miss."""
    out = []
    for name in LIBRARIES:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(name)
    return tuple(out)


class _Memo:
    """A namespace read defensively: a store damaged beyond what its opening notices (a bad page
    found only when the rows are read) makes every lookup a miss, never an error."""

    def __init__(self, ns: Namespace):
        self.ns = ns
        self.readable = True

    def get(self, key: str, digest: str) -> Any:
        if not self.readable:
            return None
        try:
            return self.ns.get(key, digest, None)
        except Exception:  # noqa: BLE001 - any damage: read the files, never half-trust
            self.readable = False
            return None


def read_facts(
    paths: list[str | Path], drafts_ok: bool, store: Store, jobs: int = 1, shas: dict[str, str] | None = None
) -> tuple[list[Facts], ReadStats]:
    """Every record's Facts (in the order of the files), after every rule passed; what the
    store's memos hold is taken from them, the rest is parsed and checked."""
    scan_ns = time.time_ns()
    files = record_files(paths)
    file_ns, record_ns = store.ns(FILES), store.ns(RECORDS_DRAFTS if drafts_ok else RECORDS)
    file_memo, record_memo = _Memo(file_ns), _Memo(record_ns)
    libraries = library_versions()
    # per file: (Facts, entry) from the memo, or None (checked below, from `todo`)
    known: list[tuple[Facts, rules.AcrossEntry] | None] = []
    todo: list[Item] = []
    hashed: list[Row] = []  # FILES memo rows of the files hashed here, stored once every rule passed
    for path in files:
        known_sha = shas.get(os.path.abspath(path)) if shas else None
        if known_sha is not None:  # taken a moment ago (content_digest): not looked up again
            hit = record_memo.get(known_sha, digest_of(known_sha, libraries))
            known.append(hit)
            if hit is None:
                todo.append((path, None))
            continue
        found = _sha(path, file_memo, scan_ns)
        if found is None:
            known.append(None)  # the checker reports why (E008)
            todo.append((path, None))
            continue
        sha, data, row = found
        if row is not None:
            hashed.append(row)
        hit = record_memo.get(sha, digest_of(sha, libraries))
        known.append(hit)
        if hit is None:
            todo.append((path, data))  # bytes in hand are parsed, not read again
    checked = iter(check_files(todo, drafts_ok, jobs))
    errors: list[RecordError] = []
    entries: list[rules.AcrossEntry] = []
    facts: list[Facts] = []
    passed: list[tuple[str, Facts, rules.AcrossEntry]] = []  # (sha256, …) of the records checked
    for path, hit in zip(files, known, strict=True):
        if hit is not None:
            f, entry = hit
            facts.append(f)
            entries.append(entry._replace(path=path))
            continue
        c = next(checked)
        errors += c.errors
        if c.entry is not None:
            entries.append(c.entry)
            if c.facts is not None and c.sha256 is not None:
                facts.append(c.facts)
                passed.append((c.sha256, c.facts, c.entry._replace(path="")))  # a memo by content: no path
    errors += rules.check_across(entries)
    if errors:
        raise ContentErrors(errors)
    # every rule passed: now what was hashed and checked is stored
    for row in hashed:
        file_ns.put(*row)
    for sha, f, entry in passed:
        record_ns.put(sha, digest_of(sha, libraries), (f, entry))
    return facts, ReadStats(len(files), len(todo), len(files) - len(todo))
