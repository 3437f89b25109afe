"""The leak gate: the second lock. Before a build is swapped in, every output file is scanned
for any full 18-digit ID number and for the name and case number of every non-public record,
as its bytes are and as a reader reads them: in the normal form of SPEC §3
(generator.domain.normalform), the one `chenglai check` uses for full IDs.

**The raw pass** (every file). One Aho-Corasick automaton (ahocorasick-rs, leftmost-longest)
over the bytes holds every withheld name as written and in its normal form (with each bracket
form), every withheld case number from its closing bracket on in each bracket and digit width
(its year is checked before it: any opening bracket, or none, may precede it), and the public
texts that happen to contain one of them ("王伟华" is public, "王伟" withheld): a match of such
a public text is skipped, so common names do not fail builds while "王伟" anywhere else still
does. Files holding JSON escapes, %-encoding or HTML character references (the automaton marks
them) are also scanned decoded. Full IDs: every run of 17 or more digits, spaces and hyphens (a
byte translation, then a substring search) is read in the normal form, so "370502 1985 0101
1234" is found as well as the plain number.

**The reader's pass** (few files) and the prefilter of small scans: generator.build.leaktext.
"""

from __future__ import annotations

import bisect
import gc
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import ahocorasick_rs

from generator.build.leakscan import (  # noqa: F401 - re-exported: the gate's API is here
    all_files,
    check,
    report,
    scan_index,
    scan_listed,
    scan_tree,
    segment_ids,
)
from generator.build.leaktext import (  # noqa: F401 - re-exported: the gate's vocabulary
    AFTER,
    ASCII_JUNK,
    BLOCK,
    BLOCKS_AFTER_TEXT,
    BRACKET_FORMS,
    CASE,
    CLOSE,
    CLOSINGS,
    ESCALATE,
    EXEMPT,
    HAN_RUN,
    ID_MASK,
    JUNK,
    JUNK_B,
    MARK_JSON,
    MARK_PCT,
    MARK_REF,
    MARKS,
    OPEN,
    OPENING,
    PREFILTER_BUDGET,
    SEVENTEEN,
    SPACE_OR_HYPHEN,
    TAG_AT,
    Leak,
    Needle,
    Prefilter,
    case_variants,
    char_at,
    char_before,
    fold1,
    json_text,
    lk_after,
    lk_before,
    lk_decoded,
    lk_Texts,
    odd_tables,
    public_texts,
    reader_forms,
    reader_text,
    static_odd,
    static_triggers,
    withheld_needles,
    year_before,
)
from generator.domain import normalform
from generator.domain.normalform import HAN
from generator.domain.policy import PublicView


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
        self._exact: ahocorasick_rs.AhoCorasick | None = None
        self._exact_patterns: list[str] = []
        self.exact_kinds: list[str | None] = []
        self.years: dict[int, set[str]] = {}  # a case number's pattern → the years it needs before it
        self.bigrams: set[tuple[str, str]] = set()  # neighbours in a needle (normal form)
        self.firsts: set[str] = set()  # first characters of the needles
        self.rights: set[str] = set()  # second of a pair, or a digit
        self._compiled = False
        self._withheld: list[Needle] | None = None
        self._prefilter: Prefilter | None = None  # made when first needed (a full build compiles at once)
        self._budget = PREFILTER_BUDGET

    @property
    def withheld(self) -> list[Needle]:
        if self._withheld is None:
            self._withheld = withheld_needles(self._view)
        return self._withheld

    @property
    def public_uscc(self) -> set[bytes]:
        """The public USCCs (made when an 18-digit number is first found: most scans find none)."""
        if self._public_uscc is None:
            shown = (*self._view.public, *self._view.restrictions, *self._view.rewards)  # (and SPEC §7's kinds)
            self._public_uscc = {r.uscc.encode() for r in shown if r.uscc}
        return self._public_uscc

    def compile(self) -> LeakGate:
        if not self._compiled:
            collecting = gc.isenabled()
            gc.disable()  # (hundreds of thousands of strings and no cycle: the collector would
            try:  # walk the build's whole heap again and again)
                self.public_uscc  # noqa: B018 - made here too: before forking workers, once
                normalform.tables()  # (and the normal form's tables)
                self._build(self._view, self._allowed)
            finally:
                if collecting:
                    gc.enable()
            self._compiled = True
            self._prefilter = None
            self._budget = 0
        return self

    @property
    def exact(self) -> ahocorasick_rs.AhoCorasick | None:
        """The reader's pass's automaton (made when a file is first read again: few builds do)."""
        if self._exact is None and self._exact_patterns:
            self._exact = ahocorasick_rs.AhoCorasick(
                self._exact_patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
            )
        return self._exact

    # -- making the automata ------------------------------------------------------------------
    def _build(self, view: PublicView, allowed: Iterable[str]) -> None:
        allowed_set = set(public_texts(view)) | set(allowed)
        withheld = self.withheld
        norm = {n.normal: n.kind for n in withheld}
        odd = self._odd_chars(norm)
        texts = lk_Texts(allowed_set)
        wholes, runs = self._normal_exemptions(norm, texts, odd)
        # a name public in another role (法定代表人…), as written or in any form: no needle at all
        public = {n.normal for n in withheld if n.normal in wholes or not n.variants.isdisjoint(allowed_set)}
        needles = {t: n.kind for n in withheld if n.normal not in public for t in n.variants}
        exempt = self._exemptions(needles, texts)
        exact_needles = {n.normal: n.kind for n in withheld if n.normal not in public}
        exact_exempt = {normalform.normal(t) for t in exempt - needles.keys()} | wholes | runs
        exact_exempt -= exact_needles.keys()
        exact_exempt.discard("")
        self.bigrams = {(n[i], n[i + 1]) for n in exact_needles for i in range(len(n) - 1)}
        self.firsts = {n[0] for n in exact_needles}
        self.rights = {b for _a, b in self.bigrams} | set("0123456789")
        years: dict[str, set[str]] = {}
        for n in withheld:
            if n.years:
                for text, need in n.years.items():
                    if text in years:
                        years[text] |= need
                    else:
                        years[text] = set(need)
        patterns: list[bytes] = []
        kinds: list[str | None] = []
        self.years = {}
        for text, kind in needles.items():  # (in the order of the sorted withheld strings)
            required = years.get(text)
            if required is not None and "" not in required:
                self.years[len(patterns)] = required
            patterns.append(text.encode("utf-8"))
            kinds.append(kind)
        for text in sorted(exempt - needles.keys()):
            patterns.append(text.encode("utf-8"))
            kinds.append(EXEMPT)
        known = set(patterns)
        triggers = [(p, k) for p, k in self._trigger_patterns(exact_needles, odd) if p not in known]
        for pattern in sorted(self._neutral([t for t in self._allowed if "<" in t], triggers) - known):
            known.add(pattern)
            patterns.append(pattern)
            kinds.append(EXEMPT)
        for pattern, trigger in triggers:
            if pattern not in known:
                known.add(pattern)
                patterns.append(pattern)
                kinds.append(trigger)
        self.patterns, self.kinds = patterns, kinds
        self.ac = (
            ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if patterns
            else None
        )
        self._exact_patterns = [*exact_needles, *sorted(exact_exempt)]
        self.exact_kinds = [exact_needles.get(t, EXEMPT) for t in self._exact_patterns]

    def _neutral(self, templates: list[str], triggers: list[tuple[bytes, str | None]]) -> set[bytes]:
        """The theme's own junk sites (纸张 A4, 跳到正文</a><header…>, 执行法院<a href=…>申请纠正):
        literal bytes of a template around a trigger whose two sides are the template's own
        characters and no neighbours of a needle. As exemptions they hide the trigger in every
        page (it would be looked at, on every page, to no end)."""
        if not templates or not triggers:
            return set()
        ac = ahocorasick_rs.BytesAhoCorasick(
            [p for p, _k in triggers], matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        out = set()
        kinds = [k for _p, k in triggers]
        for text in templates:
            data = text.encode("utf-8")
            sites = [self._site(data, s, e, kinds[i]) for i, s, e in ac.find_matches_as_indexes(data)]
            for lo, hi, safe in sites:
                if safe and all(ok for lo2, hi2, ok in sites if lo2 < hi and lo < hi2):
                    out.add(data[lo:hi])
        return out

    def _site(self, data: bytes, start: int, end: int, kind: str | None) -> tuple[int, int, bool]:
        """(start, end, safe) of the literal bytes around a trigger in a template (see _neutral)."""
        at = char_at(data, start)[1] if kind == AFTER else start
        a, lo = lk_before(data, at, False)
        b, hi = lk_after(data, at, False)
        if a is None or b is None or (a and a in "{}") or (b and b in "{}"):
            return start, end, False
        fa, fb = fold1(a)[-1:], fold1(b)[:1]
        if a and b and ((fa, fb) in self.bigrams or (fa.isdigit() and fb.isdigit()) or fb in self.firsts):
            return start, end, False
        if not b:  # a block: its tag too
            m = TAG_AT.match(data, hi)
            hi = m.end() if m else hi
        for _ in range(6):  # a few characters of context before (not ASCII: a pattern starting
            if lo <= 0 or data[lo - 1] < 0x80:  # with one would slow the automaton down)
                break
            lo = char_before(data, lo)[1]
        cut = data.find(b"{", lo, hi)
        hi = hi if cut < 0 else cut
        if lo > start or hi < end or data[lo] < 0x80:
            return start, end, False
        return lo, hi, True

    @staticmethod
    def _odd_chars(norm: dict[str, str]) -> dict[str, str]:
        """Characters the normal form changes into a needle's character or a digit, or drops
        (→ ESCALATE), and spaces and dashes of other kinds (→ JUNK)."""
        chars = {c for n in norm for c in n}
        out = dict(static_odd())
        by_form, by_simple = odd_tables()
        for c in chars | set("0123456789Xx"):
            for ch in by_form.get(c, ()):
                out.setdefault(ch, ESCALATE)
        for c in chars:
            for ch in by_simple.get(c, ()):
                out[ch] = ESCALATE
        simple = "\n".join(norm)
        for ch in set(normalform.s2t(simple)) - set(simple) - {"\n"}:
            out.setdefault(ch, ESCALATE)
        return out

    @staticmethod
    def _exemptions(needles: dict[str, str], allowed: lk_Texts) -> set[str]:
        """Public texts and their Han runs that contain a needle: matches of these are fine."""
        if not needles:
            return set()
        ac = ahocorasick_rs.AhoCorasick(list(needles), matchkind=ahocorasick_rs.MatchKind.Standard)
        # one pass over all texts joined (no needle holds BLOCK), not one call per text: 100,000
        # records give half a million texts and only a few hold a needle
        texts, starts = allowed.texts, allowed.starts
        matches = ac.find_matches_as_indexes(allowed.joined, overlapping=True)
        out = set()
        for i in sorted({bisect.bisect_right(starts, start) - 1 for _idx, start, _end in matches}):
            text = texts[i]
            out.add(text)
            for run in HAN_RUN.findall(text):
                if ac.find_matches_as_indexes(run, overlapping=True):
                    out.add(run)
        return out

    @staticmethod
    def _normal_exemptions(norm: dict[str, str], allowed: lk_Texts, odd: dict[str, str]) -> tuple[set[str], set[str]]:
        """The exemptions of the reader's pass that the raw ones do not give: public texts that
        hold a needle only in their normal form (a Traditional or spaced public name), and the
        theme's words as a reader reads them (markup removed): (public texts, Han runs)."""
        if not norm:
            return set(), set()
        texts, starts, joined = allowed.texts, allowed.starts, allowed.joined
        # the texts holding an odd character, markup or a reference, or a space or hyphen that the
        # normal form may drop (next to a Han character or a bracket)
        where = []
        present = {c for c in set(joined) if c in odd or c in "<&" or 0xE0000 <= ord(c) <= 0xE0FFF}
        if present:
            where += [m.start() for m in re.finditer(f"[{normalform.char_class(present)}]", joined)]
        near = re.compile(f"[{HAN}{re.escape(OPEN + CLOSE)}]")
        for m in SPACE_OR_HYPHEN.finditer(joined):
            i, j = m.start(), m.end()
            if (i and near.match(joined, i - 1)) or near.match(joined, j):
                where.append(i)
        picked = sorted({bisect.bisect_right(starts, i) - 1 for i in where})
        wholes: set[str] = set()
        runs: set[str] = set()
        if not picked:
            return wholes, runs
        ac = ahocorasick_rs.AhoCorasick(list(norm), matchkind=ahocorasick_rs.MatchKind.Standard)
        for i in picked:
            text = texts[i]
            for form in {text, reader_text(text)} if "<" in text or "&" in text else {text}:
                n = normalform.normal(form)
                if not ac.find_matches_as_indexes(n, overlapping=True):
                    continue
                if "<" not in text:
                    wholes.add(n)
                for run in HAN_RUN.findall(n):
                    if ac.find_matches_as_indexes(run, overlapping=True):
                        runs.add(run)
        return wholes, runs

    def _trigger_patterns(
        self, exact_needles: dict[str, str], odd: dict[str, str]
    ) -> Iterator[tuple[bytes, str | None]]:
        """The raw pass's triggers for the reader's pass (see the module's docstring)."""
        chars = {c for n in exact_needles for c in n}
        for ch, kind in odd.items():
            yield ch.encode("utf-8"), kind
        yield from static_triggers()
        # a character that is the first of two neighbours in a needle (in any bracket form), followed
        # by junk (the common block tags after text are no junk: exempt, and longer, they hide it)
        lefts = {f for a, _b in self.bigrams if not a.isdigit() for f in (a, *BRACKET_FORMS.get(a, ""))}
        if "(" in lefts or ")" in lefts:
            lefts |= set(OPEN + CLOSE)
        for a in sorted(lefts):
            b = a.encode("utf-8")
            # (spaces between Latin letters stay: only markup and references join them)
            for junk in (*(bytes([c]) for c in ASCII_JUNK if not a.isascii()), b"&", *OPENING):
                yield b + junk, AFTER
            for block in BLOCKS_AFTER_TEXT:
                yield b + block, EXEMPT
            # (not "<" of a closing tag: a pattern covering it would hide the closing tag's own)
        # a closing inline tag followed by a needle's Latin letter
        letters = [c.encode() for c in chars if c.isascii() and c.isalpha()]
        for close in CLOSINGS:
            for letter in letters:
                yield close + letter, JUNK_B
        # a digit, spaces or hyphens, then what follows a digit in a needle (a case number's groups)
        followers = {b for a, b in self.bigrams if a.isdigit() and not b.isdigit()}
        forms = {f for c in followers for f in (c, *(BRACKET_FORMS.get(c, "")))}
        if ")" in forms:
            forms |= set(CLOSE)
        for f in forms:
            fb = f.encode("utf-8")
            for w in ASCII_JUNK:
                yield bytes([w]) + fb, JUNK_B
                for w2 in ASCII_JUNK:
                    yield bytes([w, w2]) + fb, JUNK_B

    # -- scanning ------------------------------------------------------------------------------
    def scan(self, data: bytes, path: str = "") -> list[Leak]:
        if self._compiled:
            # the automaton marks what decoded forms the file needs (three substring searches of
            # every file cost a third of the raw pass)
            marks: set[str] = set()
            leaks = self._scan(data, path, True, marks)
            for form in lk_decoded(data, marks):
                leaks += self._scan(form, path)
            return sorted(set(leaks))
        forms = [data, *lk_decoded(data)]
        names = True  # look for names and case numbers (with the automaton)
        size = sum(len(f) for f in forms)
        if size <= self._budget:
            self._budget -= size
            if self._prefilter is None:
                self._prefilter = Prefilter(self.withheld)
            names = self._prefilter.hit(data)
        if names:
            self.compile()
        leaks = []
        for form in forms:
            leaks += self._scan(form, path, names)
        if not names:  # a small text the prefilter cleared of names: every full ID a reader reads
            leaks += self._ids_read(data, path)
        return sorted(set(leaks))

    def _scan(self, data: bytes, path: str, names: bool = True, marks: set[str] | None = None) -> list[Leak]:
        leaks = self._ids(data, path)
        if not (names and self.ac is not None):
            return leaks
        again = False
        kinds = self.kinds
        for idx, start, end in self.ac.find_matches_as_indexes(data):
            kind = kinds[idx]
            if kind is None:
                continue
            if kind in MARKS:
                if marks is not None:
                    marks.add(kind)
                continue
            if kind == AFTER and marks is not None and data[end - 1 : end + 1] == b"&#":
                marks.add(MARK_REF)  # (the mark this trigger hides)
            if kind[0] != "\0":
                if idx in self.years:
                    start = year_before(data, start, self.years[idx])
                    if start < 0:
                        continue
                    if start and data[start - 1 : start] in b"([":
                        start -= 1
                    elif start >= 3 and data[start - 3 : start].decode("utf-8", "replace") in OPEN:
                        start -= 3
                leaks.append(Leak(path, data[start:end].decode("utf-8", "replace"), kind))
            elif again:
                continue
            elif kind == ESCALATE:
                again = not (start == 0 and data.startswith(b"\xef\xbb\xbf") and end == 3)  # a BOM opening a CSV
            else:
                again = self._junk_matters(data, start, kind)
        if again:
            leaks += self._read_again(data, path)
        return leaks

    def _ids(self, data: bytes, path: str) -> list[Leak]:
        """Full IDs in runs of digits, spaces and hyphens (in the normal form)."""
        leaks = []
        # the ID regex runs at 30 MB/s; a run of 17 digits is rare, and finding one in the mask
        # is a C-speed substring search: only the runs are read (with a character either side)
        masked = data.translate(ID_MASK)
        at = masked.find(SEVENTEEN)
        while at >= 0:
            end = masked.find(b" ", at)
            end = len(data) if end < 0 else end
            lo = max(0, at - 1)  # (a character before: no digit may precede a number)
            if data[max(0, at - 2) : at] == b"\\u":  # a JSON escape's digits are no part of a number
                at = lo = at + 4  # (the decoded form is scanned too)
                if end - at < 17:
                    at = -1 if end >= len(data) else masked.find(SEVENTEEN, end)
                    continue
            window = data[lo : end + 2].decode("utf-8", "replace")
            for s, e, number in normalform.find_full_ids(window):
                if number.encode() not in self.public_uscc:
                    leaks.append(Leak(path, normalform.visible(window[s:e]), "身份证号码"))
            at = -1 if end >= len(data) else masked.find(SEVENTEEN, end)
        return leaks

    def _ids_read(self, data: bytes, path: str) -> list[Leak]:
        """Full IDs in the normal form of every text a reader reads (small texts, uncompiled)."""
        leaks = []
        for form in reader_forms(data):
            for s, e, number in normalform.find_full_ids(form):
                if number.encode() not in self.public_uscc:
                    leaks.append(Leak(path, normalform.visible(form[s:e]), "身份证号码"))
        return leaks

    def _junk_matters(self, data: bytes, start: int, kind: str) -> bool:
        """Whether the junk run around a trigger joins two neighbours of a needle (or two digits)."""
        xml = data[:5] == b"<?xml"
        before: str | None
        if kind == AFTER:  # a character that starts a pair of a needle's neighbours, then junk
            before, at = char_at(data, start)
            if before.isdigit():
                before = before if before.isascii() else ""
            after = lk_after(data, at, xml)[0]
        else:
            after = lk_after(data, start, xml)[0]
            b = fold1(after)[:1] if after else ""
            if after and b not in self.rights and not (kind == JUNK_B and b in self.firsts):
                return False  # (most characters end no pair of a needle's neighbours)
            before = lk_before(data, start, xml)[0]
        if before is None or after is None:
            return True  # a run too long to follow: read the file
        if not before or not after:
            return False  # a block boundary or the edge of the file
        a, b = fold1(before)[-1:], fold1(after)[:1]
        if not a or not b:
            return True
        if (a, b) in self.bigrams or (a.isdigit() and b.isdigit() and a.isascii() and b.isascii()):
            return True
        return kind == JUNK_B and b in self.firsts

    def _read_again(self, data: bytes, path: str) -> list[Leak]:
        """The reader's pass over one file: its texts in the normal form (not of a binary file, a
        NUL in its first 8 KB as git tells: no reader reads it as text; the raw pass still does)."""
        leaks: list[Leak] = []
        if b"\0" in data[:8192]:
            return leaks
        exact, kinds = self.exact, self.exact_kinds
        for form in reader_forms(data):
            norm, where = normalform.normal_map(form)
            if exact is not None:
                for idx, s, e in exact.find_matches_as_indexes(norm):
                    kind = kinds[idx]
                    if kind is None:
                        continue
                    if kind == CASE and s and norm[s - 1] == "(":
                        s -= 1
                    a, b = where.span(s, e)
                    leaks.append(Leak(path, normalform.visible(form[a:b]), kind))
            for s, e, number in normalform.find_full_ids(form):
                if number.encode() not in self.public_uscc:
                    leaks.append(Leak(path, normalform.visible(form[s:e]), "身份证号码"))
        return leaks

    def scan_files(self, root: Path, files: list[str]) -> list[Leak]:
        leaks: list[Leak] = []
        for rel in files:
            with open(os.path.join(root, rel), "rb") as fh:
                data = fh.read()
            leaks += self.scan(data, rel)
        return leaks
