"""The leak gate: the second lock. Before a build is swapped in, every output file is scanned
for any full 18-digit ID number and for the name and case number of every non-public record.

One Aho-Corasick automaton (ahocorasick-rs, leftmost-longest) holds every withheld name,
every withheld case number in each bracket/digit-width form a template could print, and
the public texts that happen to contain one of them ("王伟华" is public, "王伟" withheld):
a match of such a public text is skipped, so common names do not fail builds while "王伟"
anywhere else still does. Files holding JSON `\\u` escapes, %-encoding or HTML character
references are also scanned decoded.

The automaton costs more than a second to make at 100,000 records (the public texts that
contain a withheld string must be found first). An incremental build scans a few small files:
the gate first looks for the withheld strings with a set of them (`_Prefilter`, every substring
of a needle's length looked up): when none occurs, no leak of a name or case number is possible
and the automaton is not needed; when one does, or once the gate has read more than
PREFILTER_BUDGET bytes (a full build), the automaton is made and scans as before.
"""

from __future__ import annotations

import bisect
import html
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

import ahocorasick_rs

from generator.domain.ids import FULL_ID_RE
from generator.domain.policy import PublicView
from generator.errors import BuildError

_FULL_ID = re.compile(FULL_ID_RE.pattern.encode("ascii"))
_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
_DIGIT_MASK = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_SEVENTEEN = b"0" * 17
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·（）()〔〕［］\[\]0-9０-９]+")
_OPEN, _CLOSE = "（(〔［[", "）)〕］]"
_FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
# what generator.render.pages and generator.render.feeds print right after a court's or region's name
PLACE_SUFFIXES = ("新纳入名单", "最新发布的名单信息", "各法院最新发布的名单信息", "：失信被执行人名单")
# Scanning a few hundred files costs less than starting processes.
PARALLEL_MIN_FILES = 2000
MAX_REPORTED = 20
# Text scanned with the prefilter before the automaton is made: the prefilter reads about 1 MB/s
# of text, the automaton takes ~1.5 s to make at 100,000 records and then scans 200 MB/s.
PREFILTER_BUDGET = 1_000_000
# brackets and full-width digits as a case number is stored (（…）, ASCII digits): a variant of a
# withheld case number (case_variants) reads as the case number itself
_FOLD = str.maketrans({**{o: "（" for o in _OPEN}, **{c: "）" for c in _CLOSE},
                       **{chr(0xFF10 + i): str(i) for i in range(10)}})  # fmt: skip
# what _FOLD changes: a text without any is its own folded form (translate costs 1.5 µs a text)
_FOLDS = re.compile("[" + "".join(re.escape(chr(k)) for k, v in _FOLD.items() if chr(k) != v) + "]")


@dataclass(frozen=True, order=True)
class Leak:
    path: str
    text: str
    kind: str  # 身份证号码 | 姓名/名称 | 执行案号

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}「{self.text}」"


def case_variants(case: str) -> set[str]:
    """（2024）鲁0502执1234号 as it could be printed: each bracket pair, ASCII or full-width digits."""
    out = set()
    for digits in (case, case.translate(_FULLWIDTH)):
        for o, c in zip(_OPEN, _CLOSE, strict=True):
            out.add(digits.replace("（", o).replace("）", c))
    return out


def public_texts(view: PublicView) -> Iterator[str]:
    """Every text the view publishes: what may legitimately contain a withheld string."""
    for r in view.public:
        yield from (r.name, r.court, r.region_name, r.case_number, r.basis_issuer, r.basis_document, r.obligation)
        if r.legal_representative:
            yield r.legal_representative
    for n in view.notices:
        yield from (n.case_number, n.court)
    # place names joined to the words pages and feeds put after them: a withheld 区新 is no
    # leak in 东营区新纳入名单 (a feed title)
    places = {r.court for r in view.public} | {r.region_name for r in view.public} | {n.court for n in view.notices}
    for place in places:
        yield from (place + suffix for suffix in PLACE_SUFFIXES)


class _Prefilter:
    """Whether a text may hold a withheld name or case number: every withheld string (folded by
    _FOLD) in a set, looked up for every substring of the text of one of their lengths. A text
    holding a needle, or any bracket/digit-width variant of a case number, holds its folded form
    after folding, so "no hit" is proof that the automaton would find no name or case number."""

    def __init__(self, view: PublicView):
        fold, folds = _FOLD, _FOLDS.search
        self.needles = {
            t.translate(fold) if folds(t) else t for t in (*view.withheld_names, *view.withheld_case_numbers)
        }
        self.lengths = sorted({len(t) for t in self.needles})

    def hit(self, data: bytes) -> bool:
        if not self.needles:
            return False
        # UTF-8 needles match raw bytes only at character boundaries; invalid bytes decode to
        # lone surrogates, which no needle holds
        text = data.decode("utf-8", "surrogateescape").translate(_FOLD)
        needles = self.needles
        for size in self.lengths:
            if not needles.isdisjoint(text[i : i + size] for i in range(len(text) - size + 1)):
                return True
        return False


class LeakGate:
    """Compiled once per build from the PublicView; `scan(bytes)` returns what leaked.

    The automaton is made when first needed (see the module's docstring); `compile()` makes it
    at once (before forking workers: made once, not once per worker)."""

    def __init__(self, view: PublicView, allowed: Iterable[str] = ()):
        self._view, self._allowed = view, list(allowed)
        self._public_uscc: set[bytes] | None = None
        self.kinds: list[str | None] = []
        self.patterns: list[bytes] = []
        self.ac: ahocorasick_rs.BytesAhoCorasick | None = None
        self._compiled = False
        self._prefilter: _Prefilter | None = _Prefilter(view)
        self._budget = PREFILTER_BUDGET

    @property
    def public_uscc(self) -> set[bytes]:
        """The public USCCs (made when an 18-digit number is first found: most scans find none)."""
        if self._public_uscc is None:
            self._public_uscc = {r.uscc.encode() for r in self._view.public if r.uscc}
        return self._public_uscc

    def compile(self) -> LeakGate:
        if not self._compiled:
            self.public_uscc  # noqa: B018 - made here too: before forking workers, once
            self._build(self._view, self._allowed)
            self._compiled = True
            self._prefilter = None
        return self

    def _build(self, view: PublicView, allowed: Iterable[str]) -> None:
        allowed_set = set(public_texts(view)) | set(allowed)
        needles: dict[str, str] = {}
        for name in view.withheld_names:
            if name not in allowed_set:  # the same name public in another role (法定代表人…)
                needles[name] = "姓名/名称"
        for case in view.withheld_case_numbers:
            for v in case_variants(case):
                needles[v] = "执行案号"
        patterns: list[bytes] = []
        for text, kind in sorted(needles.items()):
            patterns.append(text.encode("utf-8"))
            self.kinds.append(kind)
        exempt = self._exemptions(needles, allowed_set)
        for text in sorted(exempt - needles.keys()):
            patterns.append(text.encode("utf-8"))
            self.kinds.append(None)
        self.patterns = patterns
        self.ac = (
            ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if patterns
            else None
        )

    @staticmethod
    def _exemptions(needles: dict[str, str], allowed: set[str]) -> set[str]:
        """Public texts and their Han runs that contain a needle: matches of these are fine."""
        if not needles:
            return set()
        ac = ahocorasick_rs.AhoCorasick(list(needles), matchkind=ahocorasick_rs.MatchKind.Standard)
        # one pass over all texts joined (no needle holds NUL), not one call per text: 100,000
        # records give half a million texts and only a few hold a needle
        texts = list(allowed)
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        matches = ac.find_matches_as_indexes("\0".join(texts), overlapping=True)
        out = set()
        for i in sorted({bisect.bisect_right(starts, start) - 1 for _idx, start, _end in matches}):
            text = texts[i]
            out.add(text)
            for run in _HAN_RUN.findall(text):
                if ac.find_matches_as_indexes(run, overlapping=True):
                    out.add(run)
        return out

    def scan(self, data: bytes, path: str = "") -> list[Leak]:
        forms = [data]
        if b"\\u" in data:
            forms.append(_JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)).encode("utf-8", "surrogatepass"), data))
        if b"%" in data and _PERCENT.search(data):
            forms.append(unquote_to_bytes(data))
        if b"&#" in data:
            forms.append(html.unescape(data.decode("utf-8", "replace")).encode("utf-8"))
        names = True  # look for names and case numbers (with the automaton)
        if not self._compiled:
            size = sum(len(f) for f in forms)
            if self._prefilter is not None and size <= self._budget:
                self._budget -= size
                names = any(self._prefilter.hit(f) for f in forms)
            if names:
                self.compile()
        leaks = []
        for form in forms:
            leaks += self._scan(form, path, names)
        return sorted(set(leaks))

    def _scan(self, data: bytes, path: str, names: bool = True) -> list[Leak]:
        leaks = []
        # the ID regex runs at 30 MB/s; a 17-digit run is rare, and finding one in the digit
        # mask is a C-speed substring search. A match starts where a run of 17 digits does (its
        # look-behind wants no digit before), so the regex only looks there: 75 MB of open data
        # with all-digit USCCs in it, 2 s → a few ms
        masked = data.translate(_DIGIT_MASK)
        at = masked.find(_SEVENTEEN)
        while at >= 0:
            for m in _FULL_ID.finditer(data, at, min(len(data), at + 20)):
                if m.group() not in self.public_uscc:
                    leaks.append(Leak(path, m.group().decode("ascii"), "身份证号码"))
            end = masked.find(b" ", at)
            at = -1 if end < 0 else masked.find(_SEVENTEEN, end)
        if names and self.ac is not None:
            for idx, start, end in self.ac.find_matches_as_indexes(data):
                kind = self.kinds[idx]
                if kind is not None:
                    leaks.append(Leak(path, data[start:end].decode("utf-8", "replace"), kind))
        return leaks

    def scan_files(self, root: Path, files: list[str]) -> list[Leak]:
        leaks: list[Leak] = []
        for rel in files:
            with open(os.path.join(root, rel), "rb") as fh:
                data = fh.read()
            leaks += self.scan(data, rel)
        return leaks


def all_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, names in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out.extend(n if rel == "." else f"{rel}/{n}" for n in names)
    return sorted(out)


_JOB: tuple[LeakGate, Path] | None = None


def _scan_chunk(files: list[str]) -> list[Leak]:
    assert _JOB is not None
    gate, root = _JOB
    return gate.scan_files(root, files)


def scan_tree(gate: LeakGate, root: Path, jobs: int | None = None) -> list[Leak]:
    """Every file under `root`, whatever its type, in `jobs` forked processes when many."""
    return scan_listed(gate, root, all_files(root), jobs)


def scan_listed(gate: LeakGate, root: Path, files: list[str], jobs: int | None = None) -> list[Leak]:
    """The given files under `root`, in `jobs` forked processes when many."""
    global _JOB
    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or len(files) < PARALLEL_MIN_FILES:
        return gate.scan_files(root, files)
    gate.compile()  # once, not in every worker
    size = max(500, len(files) // (jobs * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    _JOB = (gate, root)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_scan_chunk, chunks)
    finally:
        _JOB = None
    return sorted(leak for part in parts for leak in part)


def segment_ids(index: Path) -> set[str]:
    """The segments of a Whoosh index (empty when there is none)."""
    from whoosh import index as whoosh_index

    if not index.is_dir() or not whoosh_index.exists_in(str(index)):
        return set()
    ix = whoosh_index.open_dir(str(index))
    try:
        with ix.reader() as reader:
            segments = (leaf.segment() for leaf, _base in reader.leaf_readers())
            return {s.segment_id() for s in segments if s is not None}
    finally:
        ix.close()


def scan_index(gate: LeakGate, index: Path, skip: set[str] | frozenset[str] = frozenset()) -> list[Leak]:
    """The stored fields of a Whoosh index (its files are binary: read through Whoosh). `skip`:
    segments scanned before with the same needles (an updated index's segments kept from the live
    one: whatever else was written, by whichever code, is scanned)."""
    from whoosh import index as whoosh_index

    if not index.is_dir() or not whoosh_index.exists_in(str(index)):
        return []
    leaks: list[Leak] = []
    ix = whoosh_index.open_dir(str(index))
    try:
        with ix.reader() as reader:
            for leaf, _base in reader.leaf_readers():
                segment = leaf.segment()  # None: an empty index
                if segment is not None and segment.segment_id() in skip:
                    continue
                for n in range(leaf.doc_count_all()):
                    if leaf.is_deleted(n):
                        continue
                    fields = leaf.stored_fields(n)
                    text = "\n".join(str(v) for v in fields.values())
                    leaks += gate.scan(text.encode("utf-8"), f"{index.name}/（索引第 {n} 条）")
    finally:
        ix.close()
    return leaks


def report(leaks: list[Leak]) -> None:
    """Raise BuildError naming each file and text found; nothing found: return."""
    if not leaks:
        return
    leaks = sorted(set(leaks))
    lines = [str(leak) for leak in leaks[:MAX_REPORTED]]
    more = f"\n  ……另有 {len(leaks) - MAX_REPORTED} 处" if len(leaks) > MAX_REPORTED else ""
    raise BuildError(
        f"泄露检查未通过：输出中出现不应公开的信息（{len(leaks)} 处），本次构建已放弃，线上站点未改变：\n  "
        + "\n  ".join(lines)
        + more
    )


def check(gate: LeakGate, root: Path, index: Path | None = None, jobs: int | None = None) -> None:
    """Scan every file under `root` (and the index's stored fields); raise on any leak."""
    leaks = scan_tree(gate, root, jobs)
    if index is not None:
        leaks += scan_index(gate, index)
    report(leaks)
