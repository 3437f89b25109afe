"""The leak gate: the second lock. Before a build is swapped in, every output file is scanned
for any full 18-digit ID number and for the name and case number of every non-public record,
as its bytes are and as a reader reads them (SPEC §3: the normal form of
generator.domain.normalform, shared with `chenglai check`).

**The raw pass** (every file). One Aho-Corasick automaton (ahocorasick-rs, leftmost-longest)
over the bytes holds every withheld name as written and in its normal form (with each bracket
form), every withheld case number from its year on (so any opening bracket, or none, before it)
in each closing bracket and digit width, and the public texts that happen to contain one of
them ("王伟华" is public, "王伟" withheld): a match of such a public text is skipped, so common
names do not fail builds while "王伟" anywhere else still does. Files holding JSON `\\u`
escapes, %-encoding or HTML character references are also scanned decoded. Full IDs: every run
of 17 or more digits, spaces and hyphens (a byte translation, then a substring search) is read
in the normal form, so "370502 1985 0101 1234" is found as well as the plain number.

**The reader's pass** (few files). What a reader sees may differ from the bytes: Traditional
characters, full-width digits, invisible characters (zero-width space, soft hyphen, bidi
controls…), spaces or inline markup (`王<b>伟</b>`) between characters, character references.
The same automaton holds *triggers* for all that the raw pass cannot see:

- characters that the normal form changes into a needle's character or a digit (Traditional
  forms, full-width and compatibility forms) or drops (format and default-ignorable
  characters): a file holding one is read again;
- junk between two characters — ASCII whitespace or a hyphen after a non-ASCII character, an
  opening tag, comment or character reference right after a character, a closing inline tag
  before one, any other kind of space or dash: the characters on both sides of the junk run are
  found (skipping inline tags, references, spaces, invisible characters; a block tag ends the
  run) and the file is read again only when they are two neighbours of a needle (或 two digits).

A file read again is scanned as text in the normal form: its text as is, its JSON strings
decoded, and its reader's text (HTML without markup — block elements apart, inline elements
joined — character references decoded; feeds' XML text, then the HTML it escapes), with an
automaton of the needles and public texts in their normal form. A leak is reported with the
text as it was found (invisible characters written as ⟨U+200B⟩).

The automaton costs more than a second to make at 100,000 records (the public texts that
contain a withheld string must be found first). An incremental build scans a few small files:
the gate first looks for the withheld strings with a set of them (`_Prefilter`, every substring
of a needle's length looked up, in the text as is and in the normal form of what a reader reads):
when none occurs, no leak of a name or case number is possible and the automaton is not needed;
when one does, or once the gate has read more than PREFILTER_BUDGET bytes (a full build), the
automaton is made and scans as before.
"""

from __future__ import annotations

import bisect
import html
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

import ahocorasick_rs

from generator.domain import normalform
from generator.domain.normalform import HAN
from generator.domain.policy import PublicView
from generator.errors import BuildError

_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
# digits, ASCII whitespace and hyphens → "0": a run of 17 may be a full ID, plain or in groups
_ID_MASK = bytes(0x30 if (0x30 <= b <= 0x39 or b in b" \t\n\r\x0b\x0c-") else 0x20 for b in range(256))
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
# a bracket pair's forms, for names holding brackets (at most this many mixes of them)
_BRACKET_FORMS = {"(": "(（[［〔", ")": ")）]］〕"}
MAX_BRACKET_MIXES = 64

# what a pattern of the automaton is, besides a needle's kind (姓名/名称, 执行案号)
_EXEMPT = None
_ESCALATE = "\0escalate"  # a character the normal form changes or drops: read the file again
_JUNK = "\0junk"  # junk after a character: look at both sides
_JUNK_B = "\0junk+b"  # junk and the first byte of what follows: also when a needle may start there
_CASE = "执行案号"
_NAME = "姓名/名称"

# HTML: elements that flow with the text around them (and any element not known: browsers show
# unknown elements inline); every other known element, and every XML element, separates texts
INLINE = frozenset(
    "a abbr acronym b bdi bdo big blink cite code data del dfn em font i img ins kbd label mark nobr output q rp "
    "rt ruby s samp small span strike strong sub sup time tt u var wbr".split()
)
SEPARATING = frozenset(
    "address applet area article aside audio base basefont blockquote body br button canvas caption center col "
    "colgroup dd details dialog dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 "
    "h3 h4 h5 h6 head header hgroup hr html iframe input legend li link main map math menu meta meter nav "
    "noframes noscript object ol optgroup option p param picture pre progress script search section select "
    "source style summary svg table tbody td template textarea tfoot th thead title tr track ul video".split()
)
_TAG_AT = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_COMMENT_AT = re.compile(rb"<!--.*?-->", re.S)
_ENTITY_AT = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_TAG_TEXT = re.compile(r"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
_JSON_ANY = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
_JSON_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# between blocks in a reader's text: kept by the normal form, no needle holds it
BLOCK = "\ue000"
_ASCII_JUNK = b" \t\n\r\x0b\x0c-"
MAX_JUNK_STEPS = 64


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


def case_cores(case: str) -> set[str]:
    """A case number from its year on, in each closing bracket and digit width: found after any
    opening bracket (a mix of brackets reads as the case number too) or none."""
    return {v[1:] if v[:1] in _OPEN else v for v in case_variants(case)}


def name_variants(name: str) -> set[str]:
    """A withheld name as written, in its normal form, and (when it holds brackets) the normal
    form with each bracket in each form (mixes too, up to MAX_BRACKET_MIXES)."""
    norm = normalform.normal(name)
    out = {name, norm}
    at = [i for i, c in enumerate(norm) if c in _BRACKET_FORMS]
    if at:
        choices = [_BRACKET_FORMS[norm[i]] for i in at]
        if len(_BRACKET_FORMS["("]) ** len(at) <= MAX_BRACKET_MIXES:
            combos: Iterable[tuple[str, ...]] = product(*choices)
        else:
            combos = (tuple(c[k] for c in choices) for k in range(len(_BRACKET_FORMS["("])))
        for combo in combos:
            chars = list(norm)
            for i, form in zip(at, combo, strict=True):
                chars[i] = form
            out.add("".join(chars))
    return {v for v in out if v}


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


def withheld_needles(view: PublicView) -> tuple[dict[str, str], dict[str, str]]:
    """(raw needles → kind, normal-form needles → kind): what the two passes look for."""
    raw: dict[str, str] = {}
    norm: dict[str, str] = {}
    for name in view.withheld_names:
        for v in name_variants(name):
            raw[v] = _NAME
        n = normalform.normal(name)
        if n:
            norm[n] = _NAME
    for case in view.withheld_case_numbers:
        for v in case_cores(case):
            raw[v] = _CASE
        n = normalform.normal(case)
        if n:
            norm[n[1:] if n[:1] == "(" else n] = _CASE
    return raw, norm


# -- what a reader reads ---------------------------------------------------------------------


def reader_text(text: str, xml: bool = False) -> str:
    """The text of HTML (or XML) as a reader reads it: markup removed — inline elements joined to
    the text around them, every other element apart (BLOCK between) — and references decoded."""

    def tag(m: re.Match[str]) -> str:
        if m.group(1) is not None:  # CDATA
            return m.group(1)
        name = m.group(3)
        if name is None:  # a comment
            return ""
        if xml or name.lower() in SEPARATING:
            return BLOCK
        return ""

    stripped = _TAG_TEXT.sub(tag, text) if "<" in text else text
    return html.unescape(stripped) if "&" in stripped else stripped


def json_text(text: str) -> str:
    """JSON string escapes decoded (\\uXXXX with surrogate pairs, \\n, \\" …)."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16))
        return _JSON_CHARS.get(m.group(2), m.group(2))

    out = _JSON_ANY.sub(one, text)
    return out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def reader_forms(data: bytes) -> list[str]:
    """The texts of a file a reader may read: as is, JSON decoded, %-decoded, its reader's text
    (and, for feeds, the text of the HTML its XML carries)."""
    text = data.decode("utf-8", "replace")
    forms = [text]
    if "\\" in text:
        forms.append(json_text(text))
    if "%" in text and _PERCENT.search(data):
        forms.append(unquote(text, errors="replace"))
    xml = data.lstrip()[:5] == b"<?xml"
    if "<" in text or "&" in text:
        seen = reader_text(text, xml)
        forms.append(seen)
        if "<" in seen or "&" in seen:  # HTML carried as text (a feed's content, an escaped page)
            forms.append(reader_text(seen))
    return forms


@lru_cache(maxsize=65536)
def _fold1(ch: str) -> str:
    return normalform.normal(ch)


class _Prefilter:
    """Whether a text may hold a withheld name or case number: every withheld string (folded by
    _FOLD) in a set, looked up for every substring of the text of one of their lengths, and every
    normal-form needle looked up in the normal form of the texts a reader reads. A text holding a
    needle, or any variant of one, or a disguise of one, holds one of these, so "no hit" is proof
    that neither pass would find a name or case number."""

    def __init__(self, view: PublicView):
        raw, norm = withheld_needles(view)
        fold, folds = _FOLD, _FOLDS.search
        self.needles = {t.translate(fold) if folds(t) else t for t in raw}
        self.lengths = sorted({len(t) for t in self.needles})
        self.normal = set(norm)
        self.normal_lengths = sorted({len(t) for t in self.normal})

    @staticmethod
    def _any(needles: set[str], lengths: list[int], text: str) -> bool:
        for size in lengths:
            if not needles.isdisjoint(text[i : i + size] for i in range(len(text) - size + 1)):
                return True
        return False

    def hit(self, data: bytes) -> bool:
        if not self.needles:
            return False
        # UTF-8 needles match raw bytes only at character boundaries; invalid bytes decode to
        # lone surrogates, which no needle holds
        text = data.decode("utf-8", "surrogateescape").translate(_FOLD)
        if self._any(self.needles, self.lengths, text):
            return True
        return any(self._any(self.normal, self.normal_lengths, normalform.normal(f)) for f in reader_forms(data))


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
        self.exact: ahocorasick_rs.AhoCorasick | None = None
        self.exact_kinds: list[str | None] = []
        self.bigrams: set[tuple[str, str]] = set()
        self.firsts: set[str] = set()
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
            normalform.tables()  # (and the normal form's tables)
            self._build(self._view, self._allowed)
            self._compiled = True
            self._prefilter = None
        return self

    # -- making the automata ------------------------------------------------------------------
    def _build(self, view: PublicView, allowed: Iterable[str]) -> None:
        allowed_set = set(public_texts(view)) | set(allowed)
        raw, norm = withheld_needles(view)
        # a form that a public text is (the same name public in another role, 法定代表人…) is no leak
        needles = {t: k for t, k in raw.items() if t not in allowed_set}
        exempt = self._exemptions(needles, allowed_set)
        exact_exempt = {normalform.normal(t) for t in exempt} | self._normal_exemptions(norm, allowed_set)
        exact_exempt.discard("")
        exact_needles = {t: k for t, k in norm.items() if t not in exact_exempt}
        self._triggers(exact_needles, raw)
        patterns: list[bytes] = []
        kinds: list[str | None] = []
        for text, kind in sorted(needles.items()):
            patterns.append(text.encode("utf-8"))
            kinds.append(kind)
        for text in sorted(exempt - needles.keys()):
            patterns.append(text.encode("utf-8"))
            kinds.append(_EXEMPT)
        if exact_needles:
            known = set(patterns)
            for pattern, kind in self._trigger_patterns(exact_needles):
                if pattern not in known:
                    known.add(pattern)
                    patterns.append(pattern)
                    kinds.append(kind)
        self.patterns, self.kinds = patterns, kinds
        self.ac = (
            ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if patterns
            else None
        )
        exact_patterns = sorted(exact_needles) + sorted(exact_exempt - exact_needles.keys())
        self.exact_kinds = [exact_needles.get(t, _EXEMPT) for t in exact_patterns]
        self.exact = (
            ahocorasick_rs.AhoCorasick(exact_patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if exact_patterns
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

    @staticmethod
    def _normal_exemptions(norm: dict[str, str], allowed: set[str]) -> set[str]:
        """The exemptions of the reader's pass that the raw ones do not give: public texts that
        hold a needle only in their normal form (a Traditional or spaced public name), and the
        theme's words as a reader reads them (markup removed)."""
        if not norm:
            return set()
        texts = sorted(allowed)
        joined = "\0".join(texts)
        t = normalform.tables()
        odd = re.compile(
            f"[{normalform._char_class(set(t.traditional) | t.ignorable)}]|[{HAN}()（）]\\s|\\s[{HAN}()（）]|<|&"
            f"|[^\\x00-\\u3000\\u3003-\\uff00\\uff10-\\uff19\\uff5b-\\U0010ffff]"
        )
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        picked = sorted({bisect.bisect_right(starts, m.start()) - 1 for m in odd.finditer(joined)})
        ac = ahocorasick_rs.AhoCorasick(list(norm), matchkind=ahocorasick_rs.MatchKind.Standard)
        out = set()
        for i in picked:
            text = texts[i]
            for form in {text, reader_text(text)} if "<" in text or "&" in text else {text}:
                n = normalform.normal(form)
                if not ac.find_matches_as_indexes(n, overlapping=True):
                    continue
                if "<" not in text:
                    out.add(n)
                for run in _HAN_RUN.findall(n):
                    if ac.find_matches_as_indexes(run, overlapping=True):
                        out.add(run)
        return out

    def _triggers(self, exact_needles: dict[str, str], raw: dict[str, str]) -> None:
        self.bigrams = {(n[i], n[i + 1]) for n in exact_needles for i in range(len(n) - 1)}
        self.firsts = {n[0] for n in exact_needles}

    def _trigger_patterns(self, exact_needles: dict[str, str]) -> Iterator[tuple[bytes, str]]:
        """The raw pass's triggers for the reader's pass (see the module's docstring)."""
        t = normalform.tables()
        chars = {c for n in exact_needles for c in n}
        relevant = chars | set("0123456789Xx")
        skip = set(_OPEN + _CLOSE)  # brackets: the needles hold every form
        for ch in t.ignorable:
            yield ch.encode("utf-8", "surrogatepass"), _ESCALATE
        for ch, form in t.nfkc.items():
            if ch in skip:
                continue
            if form.strip() == "" or (form.strip("-") == "" and form):
                yield ch.encode("utf-8"), _JUNK  # a space or hyphen of another kind
            elif relevant.intersection(form):
                yield ch.encode("utf-8"), _ESCALATE
        for ch, simple in t.traditional.items():
            if simple in chars:
                yield ch.encode("utf-8"), _ESCALATE
        simple = "\n".join(exact_needles)
        for ch in set(normalform.s2t(simple)) - set(simple):
            yield ch.encode("utf-8"), _ESCALATE
        for ch in map(chr, range(0x80, 0x3001)):
            if ch.isspace() or ch in normalform.HYPHENS:
                yield ch.encode("utf-8"), _JUNK
        for ch in "\u2212\ufe63\uff0d":
            yield ch.encode("utf-8"), _JUNK
        letters = [bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!"]
        opening = [b"<" + c for c in letters]
        # a non-ASCII character (its last byte) followed by junk
        for cont in range(0x80, 0xC0):
            b = bytes([cont])
            for junk in (*(bytes([c]) for c in _ASCII_JUNK), b"&", *opening):
                yield b + junk, _JUNK
        # digits and brackets followed by markup or a reference (a full ID or a case number split by it)
        for a in (*(bytes([c]) for c in b"0123456789()[]"), *(c.encode() for c in chars if c.isascii() and c.isalnum())):
            for junk in (b"&", *opening):
                yield a + junk, _JUNK
        for a in b"()[]":
            for junk in _ASCII_JUNK:
                yield bytes([a, junk]), _JUNK
        # a closing inline tag followed by a character (its first byte) or more junk
        firsts = [bytes([c]) for c in range(0xC2, 0xF5)] + [bytes([c]) for c in b"0123456789()[]"]
        firsts += [c.encode() for c in chars if c.isascii() and c.isalnum()]
        for name in sorted(INLINE):
            for written in {name, name.upper(), name.capitalize()}:
                close = b"</" + written.encode() + b">"
                for first in firsts:
                    yield close + first, _JUNK_B
                for junk in (*(bytes([c]) for c in _ASCII_JUNK), b"<", b"&"):
                    yield close + junk, _JUNK
        # a digit, spaces or hyphens, then what follows a digit in a needle (a case number's groups)
        followers = {b for a, b in self.bigrams if a.isdigit() and not b.isdigit()}
        forms = {f for c in followers for f in (c, *(_BRACKET_FORMS.get(c, "")))}
        if ")" in forms:
            forms |= set(_CLOSE)
        for f in forms:
            fb = f.encode("utf-8")
            for w in _ASCII_JUNK:
                yield bytes([w]) + fb, _JUNK_B
                for w2 in _ASCII_JUNK:
                    yield bytes([w, w2]) + fb, _JUNK_B

    # -- scanning ------------------------------------------------------------------------------
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
                names = self._prefilter.hit(data)
            if names:
                self.compile()
        leaks = []
        for form in forms:
            leaks += self._scan(form, path, names)
        if not names:  # a small text the prefilter cleared of names: every full ID a reader reads
            leaks += self._ids_read(data, path)
        return sorted(set(leaks))

    def _scan(self, data: bytes, path: str, names: bool = True) -> list[Leak]:
        leaks = self._ids(data, path)
        if not (names and self.ac is not None):
            return leaks
        again = False
        kinds = self.kinds
        for idx, start, end in self.ac.find_matches_as_indexes(data):
            kind = kinds[idx]
            if kind is None:
                continue
            if kind[0] != "\0":
                if kind == _CASE and start and data[start - 1 : start] in b"([":
                    start -= 1
                elif kind == _CASE and data[max(0, start - 3) : start].decode("utf-8", "replace") in _OPEN:
                    start -= 3
                leaks.append(Leak(path, data[start:end].decode("utf-8", "replace"), kind))
            elif again:
                continue
            elif kind == _ESCALATE:
                again = not (start == 0 and data.startswith(b"\xef\xbb\xbf") and end == 3)  # a BOM opening a CSV
            else:
                again = self._junk_matters(data, start, end, kind == _JUNK_B)
        if again:
            leaks += self._read_again(data, path)
        return leaks

    def _ids(self, data: bytes, path: str) -> list[Leak]:
        """Full IDs in runs of digits, spaces and hyphens (in the normal form)."""
        leaks = []
        # the ID regex runs at 30 MB/s; a run of 17 digits is rare, and finding one in the mask
        # is a C-speed substring search: only the runs are read (with a character either side)
        masked = data.translate(_ID_MASK)
        at = masked.find(_SEVENTEEN)
        while at >= 0:
            end = masked.find(b" ", at)
            end = len(data) if end < 0 else end
            window = data[max(0, at - 1) : end + 2].decode("utf-8", "replace")
            for s, e, number in normalform.find_full_ids(window):
                if number.encode() not in self.public_uscc:
                    leaks.append(Leak(path, normalform.visible(window[s:e]), "身份证号码"))
            at = -1 if end >= len(data) else masked.find(_SEVENTEEN, end)
        return leaks

    def _ids_read(self, data: bytes, path: str) -> list[Leak]:
        """Full IDs in the normal form of every text a reader reads (small texts, uncompiled)."""
        leaks = []
        for form in reader_forms(data):
            for s, e, number in normalform.find_full_ids(form):
                if number.encode() not in self.public_uscc:
                    leaks.append(Leak(path, normalform.visible(form[s:e]), "身份证号码"))
        return leaks

    def _junk_matters(self, data: bytes, start: int, end: int, covers_next: bool) -> bool:
        """Whether the junk run around a trigger joins two neighbours of a needle (or two digits)."""
        xml = data[:5] == b"<?xml"
        # the trigger starts with the last byte of the character before the junk, or in the junk
        at = start + 1 if 0x80 <= data[start] < 0xC0 else start
        before = _before(data, at, xml)
        after = _after(data, at, xml)
        if before is None or after is None:
            return True  # a run too long to follow: read the file
        if not before or not after:
            return False  # a block boundary or the edge of the file
        a, b = _fold1(before)[-1:], _fold1(after)[:1]
        if not a or not b:
            return True
        if (a, b) in self.bigrams or (a.isdigit() and b.isdigit() and a.isascii() and b.isascii()):
            return True
        return covers_next and b in self.firsts

    def _read_again(self, data: bytes, path: str) -> list[Leak]:
        """The reader's pass over one file: its texts in the normal form."""
        leaks = []
        exact, kinds = self.exact, self.exact_kinds
        for form in reader_forms(data):
            norm, where = normalform.normal_map(form)
            if exact is not None:
                for idx, s, e in exact.find_matches_as_indexes(norm):
                    kind = kinds[idx]
                    if kind is None:
                        continue
                    if kind == _CASE and s and norm[s - 1] == "(":
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


# -- the characters on both sides of a junk run (spaces, inline markup, references, invisible) ----


def _char_before(data: bytes, i: int) -> tuple[str, int]:
    k = i - 1
    while k > max(0, i - 4) and 0x80 <= data[k] < 0xC0:
        k -= 1
    return data[k:i].decode("utf-8", "replace"), k


def _char_at(data: bytes, i: int) -> tuple[str, int]:
    b = data[i]
    size = 1 if b < 0xC0 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4
    return data[i : i + size].decode("utf-8", "replace")[:1], i + size


def _is_junk_char(ch: str) -> bool:
    return ch.isspace() or ch in normalform.HYPHENS or normalform.is_ignorable(ch) or ch in "\uff0d\ufe63"


def _tag_joins(tag: bytes, xml: bool) -> bool:
    m = _TAG_AT.fullmatch(tag)
    if m is None:
        return False
    return not xml and m.group(2).decode("ascii").lower() not in SEPARATING


def _before(data: bytes, i: int, xml: bool) -> str | None:
    """The character a reader reads before the junk ending at i ("" at a block boundary or the
    start; None when the run is too long to follow)."""
    for _ in range(MAX_JUNK_STEPS):
        if i <= 0:
            return ""
        c = data[i - 1]
        if c in _ASCII_JUNK:
            i -= 1
        elif c == 0x3E:  # >: a tag or a comment
            if data[max(0, i - 3) : i] == b"-->":
                j = data.rfind(b"<!--", max(0, i - 4096), i)
                if j < 0:
                    return ">"
                i = j
                continue
            j = data.rfind(b"<", max(0, i - 1024), i - 1)
            if j < 0 or not _TAG_AT.fullmatch(data, j, i):
                return ">"
            if not _tag_joins(data[j:i], xml):
                return ""
            i = j
        elif c == 0x3B:  # ;: a reference
            j = data.rfind(b"&", max(0, i - 40), i - 1)
            m = _ENTITY_AT.fullmatch(data, j, i) if j >= 0 else None
            if m is None:
                return ";"
            ch = html.unescape(m.group().decode("ascii"))
            if ch == ">":  # &gt;: the end of an escaped tag (HTML carried in a feed)
                k = data.rfind(b"&lt;", max(0, j - 1024), j)
                if k < 0:
                    return ch
                inner = html.unescape(data[k:i].decode("utf-8", "replace")).encode("utf-8")
                if not _TAG_AT.fullmatch(inner):
                    return ch
                if not _tag_joins(inner, False):
                    return ""
                i = k
            elif len(ch) == 1 and _is_junk_char(ch):
                i = j
            else:
                return ch[-1:] or ";"
        elif c >= 0x80:
            ch, k = _char_before(data, i)
            if _is_junk_char(ch):
                i = k
            else:
                return ch
        else:
            return chr(c)
    return None


def _after(data: bytes, i: int, xml: bool) -> str | None:
    """The character a reader reads after the junk starting at i (see _before)."""
    n = len(data)
    for _ in range(MAX_JUNK_STEPS):
        if i >= n:
            return ""
        c = data[i]
        if c in _ASCII_JUNK:
            i += 1
        elif c == 0x3C:  # <
            if data.startswith(b"<!--", i):
                m = _COMMENT_AT.match(data, i)
                if m is None:
                    return "<"
                i = m.end()
                continue
            m = _TAG_AT.match(data, i)
            if m is None:
                return "<"
            if not _tag_joins(m.group(), xml):
                return ""
            i = m.end()
        elif c == 0x26:  # &
            m = _ENTITY_AT.match(data, i)
            if m is None:
                return "&"
            ch = html.unescape(m.group().decode("ascii"))
            if ch == "<":  # &lt;: an escaped tag
                k = data.find(b"&gt;", i, i + 1024)
                if k < 0:
                    return ch
                inner = html.unescape(data[i : k + 4].decode("utf-8", "replace")).encode("utf-8")
                if not _TAG_AT.fullmatch(inner):
                    return ch
                if not _tag_joins(inner, False):
                    return ""
                i = k + 4
            elif len(ch) == 1 and _is_junk_char(ch):
                i = m.end()
            else:
                return ch[:1] or "&"
        elif c >= 0x80:
            ch, k = _char_at(data, i)
            if _is_junk_char(ch):
                i = k
            else:
                return ch
        else:
            return chr(c)
    return None


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
