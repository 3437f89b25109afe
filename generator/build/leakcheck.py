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

**The reader's pass** (few files). What a reader sees may differ from the bytes: Traditional
characters, full-width digits, invisible characters (zero-width space, soft hyphen, bidi
controls…), spaces or inline markup (`王<b>伟</b>`) between characters, character references.
The same automaton holds *triggers* for what the raw pass cannot see:

- characters that the normal form changes into a needle's character or a digit (Traditional
  forms, full-width and compatibility forms) or drops (format and default-ignorable
  characters): a file holding one is read again;
- junk that may join two characters — a character that is the first of two neighbours in a
  needle followed by a space, hyphen, tag, comment or reference; a digit followed by a tag or a
  reference; a closing inline tag; spaces or hyphens before what follows a digit in a needle;
  any other kind of space or dash: the characters on both sides of the junk run are found
  (skipping inline tags, comments, references, spaces and invisible characters; a block tag ends
  the run) and the file is read again when they are two neighbours of a needle, or two digits.
  The theme's own junk (纸张 A4, 跳到正文</a><header…>) is exempt: literal bytes of a template
  whose two sides are the template's own characters and no neighbours of a needle.

A file read again is scanned as text in the normal form: its text as is (JSON strings decoded),
%-decoded, and its reader's text (HTML without markup — block elements apart, inline and unknown
elements joined — references decoded; a feed's XML text, then the HTML it carries), with an
automaton of the needles and public texts in their normal form. A leak is reported with the
text as it was found (invisible characters and unusual spaces written as ⟨U+200B⟩).

The automaton costs more than a second to make at 100,000 records (the public texts that
contain a withheld string must be found first). An incremental build scans a few small files:
the gate first looks for the withheld strings with a set of them (`_Prefilter`, every substring
of a needle's length looked up, in the text as is and in the normal form of what a reader reads):
when none occurs, no leak of a name or case number is possible and the automaton is not needed
(full IDs are then looked for in the normal form of what a reader reads); when one does, or once
the gate has read more than PREFILTER_BUDGET bytes (a full build), the automaton is made and
scans as before.
"""

from __future__ import annotations

import bisect
import gc
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

# JSON string escapes (and the line breaks a reader reads in a JSON viewer between two characters)
_JSON_ESCAPE = re.compile(rb'\\(?:u([0-9a-fA-F]{4})|([nrtbf"/\\]))')
_JSON_MARK = re.compile(rb"\\[untr]")
_JSON_BYTES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
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
_JUNK = "\0junk"  # junk: look at the characters on both sides of its run
_AFTER = "\0after"  # a character, then junk (the run starts after the character)
_JUNK_B = "\0junk+b"  # junk and the first byte of what follows: also when a needle may start there
_MARK_JSON, _MARK_PCT, _MARK_REF = "\0json", "\0percent", "\0reference"  # a decoded form is needed
_MARKS = frozenset((_MARK_JSON, _MARK_PCT, _MARK_REF))
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
_TAG_TEXT = re.compile(
    r"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S
)
_JSON_ANY = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
_JSON_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# between blocks in a reader's text: kept by the normal form, no needle holds it
BLOCK = "\ue000"
_ASCII_JUNK = b" \t\n\r\x0b\x0c-"
# block tags that often follow text at once (a line break; a feed's HTML, escaped): not junk
_BLOCKS_AFTER_TEXT = (
    *(f"<br{end}".encode() for end in (">", "/>", " />")),
    *(f"&lt;br{end}".encode() for end in ("&gt;", "/&gt;", " /&gt;")),
    *(f"&lt;/{name}&gt;".encode() for name in ("p", "li", "td", "dd", "div")),
)
MAX_JUNK_STEPS = 64
_SPACE_OR_HYPHEN = re.compile(f"[\\s{re.escape(normalform.HYPHENS)}]+")


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


def case_suffixes(case: str) -> dict[str, set[str]]:
    """A case number from its closing bracket on, in each closing bracket and digit width → the
    year it needs before it (ASCII or full-width digits): the raw pass finds it after any opening
    bracket (a mix of brackets reads as the case number too) or none, and checks the year (a
    pattern starting with digits would slow the automaton down: digits are everywhere)."""
    close = case.find("）")
    if not case.startswith("（") or close < 2:
        return {v: {""} for v in case_variants(case)}
    year, rest = case[1:close], case[close + 1 :]
    out: dict[str, set[str]] = {}
    for y, r in ((year, rest), (year.translate(_FULLWIDTH), rest.translate(_FULLWIDTH))):
        for c in _CLOSE:
            out.setdefault(c + r, set()).add(y)
    return out


def name_variants(name: str, norm: str | None = None) -> set[str]:
    """A withheld name as written, in its normal form, and (when it holds brackets) the normal
    form with each bracket in each form (mixes too, up to MAX_BRACKET_MIXES)."""
    norm = normalform.normal(name) if norm is None else norm
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


class _Texts:
    """Texts joined by BLOCK (no needle holds it): one pass of an automaton or a regex over all."""

    def __init__(self, texts: Iterable[str]):
        self.texts = list(texts)
        self.joined = BLOCK.join(self.texts)
        self.starts, at = [], 0
        for text in self.texts:
            self.starts.append(at)
            at += len(text) + 1


@dataclass(frozen=True)
class Needle:
    """A withheld name or case number: its kind, its normal form (a case number's from its year
    on) and the forms the raw pass looks for."""

    kind: str
    normal: str
    variants: frozenset[str]
    years: dict[str, set[str]] | None = None  # a case number's variant → the years it needs before it


def withheld_needles(view: PublicView) -> list[Needle]:
    """What the two passes look for (names: name_variants; case numbers: case_suffixes)."""
    out = []
    names, cases = sorted(view.withheld_names), sorted(view.withheld_case_numbers)
    normal = normalform.normal_many([*names, *cases])
    for name, norm in zip(names, normal, strict=False):
        if norm:
            out.append(Needle(_NAME, norm, frozenset(name_variants(name, norm))))
    for case, norm in zip(cases, normal[len(names) :], strict=True):
        if norm:
            suffixes = case_suffixes(case)
            out.append(Needle(_CASE, norm[1:] if norm[:1] == "(" else norm, frozenset(suffixes), suffixes))
    return out


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
    """The texts of a file a reader may read: as is (JSON strings decoded), %-decoded, its
    reader's text (and, for feeds, the text of the HTML its XML carries)."""
    text = data.decode("utf-8", "replace")
    if "\\" in text:  # JSON read with its strings decoded (an escape's hex digits are no number)
        text = json_text(text)
    forms = [text]
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

    def __init__(self, needles: list[Needle] | PublicView):
        if isinstance(needles, PublicView):
            needles = withheld_needles(needles)
        fold, folds = _FOLD, _FOLDS.search
        self.needles = {t.translate(fold) if folds(t) else t for n in needles for t in n.variants}
        self.lengths = sorted({len(t) for t in self.needles})
        self.normal = {n.normal for n in needles}
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
        self._exact: ahocorasick_rs.AhoCorasick | None = None
        self._exact_patterns: list[str] = []
        self.exact_kinds: list[str | None] = []
        self.years: dict[int, set[str]] = {}  # a case number's pattern → the years it needs before it
        self.bigrams: set[tuple[str, str]] = set()  # neighbours in a needle (normal form)
        self.firsts: set[str] = set()  # first characters of the needles
        self.rights: set[str] = set()  # second of a pair, or a digit
        self._compiled = False
        self._withheld: list[Needle] | None = None
        self._prefilter: _Prefilter | None = None  # made when first needed (a full build compiles at once)
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
            self._public_uscc = {r.uscc.encode() for r in self._view.public if r.uscc}
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
        texts = _Texts(allowed_set)
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
            kinds.append(_EXEMPT)
        known = set(patterns)
        triggers = [(p, k) for p, k in self._trigger_patterns(exact_needles, odd) if p not in known]
        for pattern in sorted(self._neutral([t for t in self._allowed if "<" in t], triggers) - known):
            known.add(pattern)
            patterns.append(pattern)
            kinds.append(_EXEMPT)
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
        self.exact_kinds = [exact_needles.get(t, _EXEMPT) for t in self._exact_patterns]

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
        at = _char_at(data, start)[1] if kind == _AFTER else start
        a, lo = _before(data, at, False)
        b, hi = _after(data, at, False)
        if a is None or b is None or (a and a in "{}") or (b and b in "{}"):
            return start, end, False
        fa, fb = _fold1(a)[-1:], _fold1(b)[:1]
        if a and b and ((fa, fb) in self.bigrams or (fa.isdigit() and fb.isdigit()) or fb in self.firsts):
            return start, end, False
        if not b:  # a block: its tag too
            m = _TAG_AT.match(data, hi)
            hi = m.end() if m else hi
        for _ in range(6):  # a few characters of context before (not ASCII: a pattern starting
            if lo <= 0 or data[lo - 1] < 0x80:  # with one would slow the automaton down)
                break
            lo = _char_before(data, lo)[1]
        cut = data.find(b"{", lo, hi)
        hi = hi if cut < 0 else cut
        if lo > start or hi < end or data[lo] < 0x80:
            return start, end, False
        return lo, hi, True

    @staticmethod
    def _odd_chars(norm: dict[str, str]) -> dict[str, str]:
        """Characters the normal form changes into a needle's character or a digit, or drops
        (→ _ESCALATE), and spaces and dashes of other kinds (→ _JUNK)."""
        chars = {c for n in norm for c in n}
        out = dict(_static_odd())
        by_form, by_simple = _odd_tables()
        for c in chars | set("0123456789Xx"):
            for ch in by_form.get(c, ()):
                out.setdefault(ch, _ESCALATE)
        for c in chars:
            for ch in by_simple.get(c, ()):
                out[ch] = _ESCALATE
        simple = "\n".join(norm)
        for ch in set(normalform.s2t(simple)) - set(simple) - {"\n"}:
            out.setdefault(ch, _ESCALATE)
        return out

    @staticmethod
    def _exemptions(needles: dict[str, str], allowed: _Texts) -> set[str]:
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
            for run in _HAN_RUN.findall(text):
                if ac.find_matches_as_indexes(run, overlapping=True):
                    out.add(run)
        return out

    @staticmethod
    def _normal_exemptions(norm: dict[str, str], allowed: _Texts, odd: dict[str, str]) -> tuple[set[str], set[str]]:
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
        near = re.compile(f"[{HAN}{re.escape(_OPEN + _CLOSE)}]")
        for m in _SPACE_OR_HYPHEN.finditer(joined):
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
                for run in _HAN_RUN.findall(n):
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
        yield from _static_triggers()
        # a character that is the first of two neighbours in a needle (in any bracket form), followed
        # by junk (the common block tags after text are no junk: exempt, and longer, they hide it)
        lefts = {f for a, _b in self.bigrams if not a.isdigit() for f in (a, *_BRACKET_FORMS.get(a, ""))}
        if "(" in lefts or ")" in lefts:
            lefts |= set(_OPEN + _CLOSE)
        for a in sorted(lefts):
            b = a.encode("utf-8")
            # (spaces between Latin letters stay: only markup and references join them)
            for junk in (*(bytes([c]) for c in _ASCII_JUNK if not a.isascii()), b"&", *_OPENING):
                yield b + junk, _AFTER
            for block in _BLOCKS_AFTER_TEXT:
                yield b + block, _EXEMPT
            # (not "<" of a closing tag: a pattern covering it would hide the closing tag's own)
        # a closing inline tag followed by a needle's Latin letter
        letters = [c.encode() for c in chars if c.isascii() and c.isalpha()]
        for close in _CLOSINGS:
            for letter in letters:
                yield close + letter, _JUNK_B
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
        if self._compiled:
            # the automaton marks what decoded forms the file needs (three substring searches of
            # every file cost a third of the raw pass)
            marks: set[str] = set()
            leaks = self._scan(data, path, True, marks)
            for form in _decoded(data, marks):
                leaks += self._scan(form, path)
            return sorted(set(leaks))
        forms = [data, *_decoded(data)]
        names = True  # look for names and case numbers (with the automaton)
        size = sum(len(f) for f in forms)
        if size <= self._budget:
            self._budget -= size
            if self._prefilter is None:
                self._prefilter = _Prefilter(self.withheld)
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
            if kind in _MARKS:
                if marks is not None:
                    marks.add(kind)
                continue
            if kind == _AFTER and marks is not None and data[end - 1 : end + 1] == b"&#":
                marks.add(_MARK_REF)  # (the mark this trigger hides)
            if kind[0] != "\0":
                if idx in self.years:
                    start = _year_before(data, start, self.years[idx])
                    if start < 0:
                        continue
                    if start and data[start - 1 : start] in b"([":
                        start -= 1
                    elif start >= 3 and data[start - 3 : start].decode("utf-8", "replace") in _OPEN:
                        start -= 3
                leaks.append(Leak(path, data[start:end].decode("utf-8", "replace"), kind))
            elif again:
                continue
            elif kind == _ESCALATE:
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
        masked = data.translate(_ID_MASK)
        at = masked.find(_SEVENTEEN)
        while at >= 0:
            end = masked.find(b" ", at)
            end = len(data) if end < 0 else end
            lo = max(0, at - 1)  # (a character before: no digit may precede a number)
            if data[max(0, at - 2) : at] == b"\\u":  # a JSON escape's digits are no part of a number
                at = lo = at + 4  # (the decoded form is scanned too)
                if end - at < 17:
                    at = -1 if end >= len(data) else masked.find(_SEVENTEEN, end)
                    continue
            window = data[lo : end + 2].decode("utf-8", "replace")
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

    def _junk_matters(self, data: bytes, start: int, kind: str) -> bool:
        """Whether the junk run around a trigger joins two neighbours of a needle (or two digits)."""
        xml = data[:5] == b"<?xml"
        before: str | None
        if kind == _AFTER:  # a character that starts a pair of a needle's neighbours, then junk
            before, at = _char_at(data, start)
            if before.isdigit():
                before = before if before.isascii() else ""
            after = _after(data, at, xml)[0]
        else:
            after = _after(data, start, xml)[0]
            b = _fold1(after)[:1] if after else ""
            if after and b not in self.rights and not (kind == _JUNK_B and b in self.firsts):
                return False  # (most characters end no pair of a needle's neighbours)
            before = _before(data, start, xml)[0]
        if before is None or after is None:
            return True  # a run too long to follow: read the file
        if not before or not after:
            return False  # a block boundary or the edge of the file
        a, b = _fold1(before)[-1:], _fold1(after)[:1]
        if not a or not b:
            return True
        if (a, b) in self.bigrams or (a.isdigit() and b.isdigit() and a.isascii() and b.isascii()):
            return True
        return kind == _JUNK_B and b in self.firsts

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


def _year_before(data: bytes, start: int, years: set[str]) -> int:
    """Where the year before a case number's closing bracket starts (-1: not one of `years`, or
    more digits before it)."""
    for text in years:
        year = text.encode("utf-8")
        at = start - len(year)
        if at >= 0 and data.startswith(year, at):
            if at and 0x30 <= data[at - 1] <= 0x39:
                continue
            if at >= 3 and 0xFF10 <= ord(data[at - 3 : at].decode("utf-8", "replace")[:1] or " ") <= 0xFF19:
                continue
            return at
    return -1


def _json_unescape(m: re.Match[bytes]) -> bytes:
    if m[1] is not None:
        return chr(int(m[1], 16)).encode("utf-8", "surrogatepass")
    return _JSON_BYTES.get(m[2], m[2])


def _decoded(data: bytes, marks: set[str] | None = None) -> list[bytes]:
    """The file's JSON \\u escapes, %-encoding and character references decoded, when it holds
    some (`marks`: which, as the automaton found them; None: look)."""
    forms = []
    if (_JSON_MARK.search(data) is not None) if marks is None else (_MARK_JSON in marks):
        forms.append(_JSON_ESCAPE.sub(_json_unescape, data))
    if ((b"%" in data) if marks is None else (_MARK_PCT in marks)) and _PERCENT.search(data):
        forms.append(unquote_to_bytes(data))
    if (b"&#" in data) if marks is None else (_MARK_REF in marks):
        forms.append(html.unescape(data.decode("utf-8", "replace")).encode("utf-8"))
    return forms


# an opening tag or a comment (not a closing tag: "</")
_OPENING = tuple(b"<" + bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!")
# closing tags of the inline elements that hold text (not the void or obsolete ones: fewer patterns)
_CLOSING_NAMES = "a abbr b bdi bdo cite code data del dfn em font i ins kbd label mark q s samp small span strike strong sub sup time u var"
_CLOSINGS = tuple(b"</" + w.encode() + b">" for name in _CLOSING_NAMES.split() for w in (name, name.upper()))


@lru_cache(maxsize=1)
def _static_odd() -> dict[str, str]:
    """The odd characters whatever the needles: spaces and dashes of other kinds (those NFKC
    makes a space or hyphen too; not the brackets), and the ignorable characters."""
    t = normalform.tables()
    skip = set(_OPEN + _CLOSE)
    out: dict[str, str] = {}
    for ch, form in t.nfkc.items():
        if ch not in skip and (form.strip() == "" or (form.strip("-") == "" and form)):
            out[ch] = _JUNK
    for ch in map(chr, range(0x80, 0x3001)):
        if ch.isspace() or ch in normalform.HYPHENS:
            out[ch] = _JUNK
    for ch in t.ignorable:
        if not 0xE0000 <= ord(ch) <= 0xE0FFF:  # (those: one pattern, their first two bytes)
            out[ch] = _ESCALATE
    return out


@lru_cache(maxsize=1)
def _odd_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(a character → the characters NFKC changes into a form holding it (not the brackets),
    a Simplified character → its Traditional forms)."""
    t = normalform.tables()
    skip = set(_OPEN + _CLOSE)
    by_form: dict[str, list[str]] = {}
    for ch, form in t.nfkc.items():
        if ch not in skip and form.strip() and form.strip("-"):
            for c in set(form):
                by_form.setdefault(c, []).append(ch)
    by_simple: dict[str, list[str]] = {}
    for ch, simple in t.traditional.items():
        by_simple.setdefault(simple, []).append(ch)
    return {k: tuple(v) for k, v in by_form.items()}, {k: tuple(v) for k, v in by_simple.items()}


@lru_cache(maxsize=1)
def _static_triggers() -> tuple[tuple[bytes, str | None], ...]:
    """The triggers whatever the needles: see LeakGate._trigger_patterns."""
    out: list[tuple[bytes, str | None]] = [(b"\xf3\xa0", _ESCALATE)]  # U+E0000–E0FFF: tags, variation selectors
    out += [(escape, _MARK_JSON) for escape in (b"\\u", b"\\n", b"\\t", b"\\r")]
    out.append((b"&#", _MARK_REF))
    out += [(b"%" + bytes([h]), _MARK_PCT) for h in b"0123456789ABCDEFabcdef"]
    # digits followed by markup or a reference (a full ID or a case number split by it)
    for a in (bytes([c]) for c in b"0123456789"):
        out += [(a + junk, _AFTER) for junk in (b"&", *_OPENING)]
        out += [(a + block, _EXEMPT) for block in _BLOCKS_AFTER_TEXT]
    # a closing inline tag followed by a character (its first byte: a Han character, a full-width
    # or compatibility form, a digit, a bracket) or by more junk
    firsts = [bytes([c]) for c in range(0xE2, 0xF1)] + [bytes([c]) for c in b"0123456789()[]"]
    for close in _CLOSINGS:
        out += [(close + first, _JUNK_B) for first in firsts]
        # (not a closing tag after it: the last of the closing tags in a row counts)
        out += [(close + junk, _JUNK) for junk in (*(bytes([c]) for c in _ASCII_JUNK), *_OPENING, b"&")]
    return tuple(out)


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
    return ch.isspace() or ch in normalform.HYPHENS or normalform.is_ignorable(ch)


def _tag_joins(tag: bytes, xml: bool) -> bool:
    m = _TAG_AT.fullmatch(tag)
    if m is None:
        return False
    return not xml and m.group(2).decode("ascii").lower() not in SEPARATING


def _before(data: bytes, i: int, xml: bool) -> tuple[str | None, int]:
    """The character a reader reads before the junk ending at i and where it starts ("" at a block
    boundary or the start, where the junk starts; None when the run is too long to follow)."""
    for _ in range(MAX_JUNK_STEPS):
        if i <= 0:
            return "", i
        c = data[i - 1]
        if c in _ASCII_JUNK:
            i -= 1
        elif c == 0x3E:  # >: a tag or a comment
            if data[max(0, i - 3) : i] == b"-->":
                j = data.rfind(b"<!--", max(0, i - 4096), i)
                if j < 0:
                    return ">", i - 1
                i = j
                continue
            j = data.rfind(b"<", max(0, i - 1024), i - 1)
            if j < 0 or not _TAG_AT.fullmatch(data, j, i):
                return ">", i - 1
            if not _tag_joins(data[j:i], xml):
                return "", i
            i = j
        elif c == 0x3B:  # ;: a reference
            j = data.rfind(b"&", max(0, i - 40), i - 1)
            m = _ENTITY_AT.fullmatch(data, j, i) if j >= 0 else None
            if m is None and j >= 0 and data.startswith(b"&amp;", j):  # &amp;#8203;: escaped once more
                twice = _ENTITY_AT.fullmatch(b"&" + data[j + 5 : i])
                if twice is not None and _is_junk_char(html.unescape(twice.group().decode("ascii"))[:1] or "x"):
                    i = j
                    continue
            if m is None:
                return ";", i - 1
            ch = html.unescape(m.group().decode("ascii"))
            if ch == ">":  # &gt;: the end of an escaped tag (HTML carried in a feed)
                k = data.rfind(b"&lt;", max(0, j - 1024), j)
                if k < 0:
                    return ch, j
                inner = html.unescape(data[k:i].decode("utf-8", "replace")).encode("utf-8")
                if _COMMENT_AT.fullmatch(inner):
                    i = k
                    continue
                if not _TAG_AT.fullmatch(inner):
                    return ch, j
                if not _tag_joins(inner, False):
                    return "", i
                i = k
            elif len(ch) == 1 and _is_junk_char(ch):
                i = j
            else:
                return ch[-1:] or ";", j
        elif c >= 0x80:
            ch, k = _char_before(data, i)
            if _is_junk_char(ch):
                i = k
            else:
                return ch, k
        else:
            return chr(c), i - 1
    return None, i


def _after(data: bytes, i: int, xml: bool) -> tuple[str | None, int]:
    """The character a reader reads after the junk starting at i and where it ends (see _before;
    "" at a block boundary: where the block's tag starts)."""
    n = len(data)
    for _ in range(MAX_JUNK_STEPS):
        if i >= n:
            return "", i
        c = data[i]
        if c in _ASCII_JUNK:
            i += 1
        elif c == 0x3C:  # <
            if data.startswith(b"<!--", i):
                m = _COMMENT_AT.match(data, i)
                if m is None:
                    return "<", i + 1
                i = m.end()
                continue
            m = _TAG_AT.match(data, i)
            if m is None:
                return "<", i + 1
            if not _tag_joins(m.group(), xml):
                return "", i
            i = m.end()
        elif c == 0x26:  # &
            m = _ENTITY_AT.match(data, i)
            if m is None:
                return "&", i + 1
            ch = html.unescape(m.group().decode("ascii"))
            if ch == "<":  # &lt;: an escaped tag
                k = data.find(b"&gt;", i, i + 1024)
                if k < 0:
                    return ch, m.end()
                inner = html.unescape(data[i : k + 4].decode("utf-8", "replace")).encode("utf-8")
                if _COMMENT_AT.fullmatch(inner):
                    i = k + 4
                    continue
                if not _TAG_AT.fullmatch(inner):
                    return ch, m.end()
                if not _tag_joins(inner, False):
                    return "", i
                i = k + 4
            elif len(ch) == 1 and _is_junk_char(ch):
                i = m.end()
            elif ch == "&" and (m2 := _ENTITY_AT.match(b"&" + data[m.end() : m.end() + 40])) is not None:
                # &amp;#8203;: a reference escaped once more (HTML carried in a feed)
                twice_ch = html.unescape(m2.group().decode("ascii"))
                if not (len(twice_ch) == 1 and _is_junk_char(twice_ch)):
                    return twice_ch[:1] or "&", m.end()
                i = m.end() + len(m2.group()) - 1
            else:
                return ch[:1] or "&", m.end()
        elif c >= 0x80:
            ch, k = _char_at(data, i)
            if _is_junk_char(ch):
                i = k
            else:
                return ch, k
        else:
            return chr(c), i + 1
    return None, i


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
