"""What the leak gate matches in (generator.build.leakcheck): needle variants, the reader's text of
HTML, feeds and JSON, and the tables of characters and junk the reader's pass looks for.

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
the gate first looks for the withheld strings with a set of them (`leaktext.Prefilter`, every substring
of a needle's length looked up, in the text as is and in the normal form of what a reader reads):
when none occurs, no leak of a name or case number is possible and the automaton is not needed
(full IDs are then looked for in the normal form of what a reader reads); when one does, or once
the gate has read more than PREFILTER_BUDGET bytes (a full build), the automaton is made and
scans as before.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from urllib.parse import unquote, unquote_to_bytes

from generator.domain import normalform
from generator.domain.kindpolicy import kind_texts
from generator.domain.policy import PublicView


@dataclass(frozen=True, order=True)
class Leak:
    path: str
    text: str
    kind: str  # 身份证号码 | 姓名/名称 | 执行案号

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}「{self.text}」"


# JSON string escapes (and the line breaks a reader reads in a JSON viewer between two characters)
JSON_ESCAPE = re.compile(rb'\\(?:u([0-9a-fA-F]{4})|([nrtbf"/\\]))')
JSON_MARK = re.compile(rb"\\[untr]")
JSON_BYTES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
# digits, ASCII whitespace and hyphens → "0": a run of 17 may be a full ID, plain or in groups
ID_MASK = bytes(0x30 if (0x30 <= b <= 0x39 or b in b" \t\n\r\x0b\x0c-") else 0x20 for b in range(256))
SEVENTEEN = b"0" * 17
HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·（）()〔〕［］\[\]0-9０-９]+")
OPEN, CLOSE = "（(〔［[", "）)〕］]"
FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
# what generator.render.pages and generator.render.feeds print right after a court's or region's name
PLACE_SUFFIXES = ("新纳入名单", "最新发布的名单信息", "各法院最新发布的名单信息", "：失信被执行人名单")
# Text scanned with the prefilter before the automaton is made: the prefilter reads about 1 MB/s
# of text, the automaton takes ~1.5 s to make at 100,000 records and then scans 200 MB/s.
PREFILTER_BUDGET = 1_000_000
# brackets and full-width digits as a case number is stored (（…）, ASCII digits): a variant of a
# withheld case number (case_variants) reads as the case number itself
FOLD = str.maketrans({**{o: "（" for o in OPEN}, **{c: "）" for c in CLOSE},
                       **{chr(0xFF10 + i): str(i) for i in range(10)}})  # fmt: skip
# what FOLD changes: a text without any is its own folded form (translate costs 1.5 µs a text)
FOLDS = re.compile("[" + "".join(re.escape(chr(k)) for k, v in FOLD.items() if chr(k) != v) + "]")
# a bracket pair's forms, for names holding brackets (at most this many mixes of them)
BRACKET_FORMS = {"(": "(（[［〔", ")": ")）]］〕"}
MAX_BRACKET_MIXES = 64

# what a pattern of the automaton is, besides a needle's kind (姓名/名称, 执行案号)
EXEMPT = None
ESCALATE = "\0escalate"  # a character the normal form changes or drops: read the file again
JUNK = "\0junk"  # junk: look at the characters on both sides of its run
AFTER = "\0after"  # a character, then junk (the run starts after the character)
JUNK_B = "\0junk+b"  # junk and the first byte of what follows: also when a needle may start there
MARK_JSON, MARK_PCT, MARK_REF = "\0json", "\0percent", "\0reference"  # a decoded form is needed
MARKS = frozenset((MARK_JSON, MARK_PCT, MARK_REF))
CASE = "执行案号"
NAME = "姓名/名称"

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
TAG_AT = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
COMMENT_AT = re.compile(rb"<!--.*?-->", re.S)
ENTITY_AT = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
TAG_TEXT = re.compile(
    r"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S
)
JSON_ANY = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
JSON_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# between blocks in a reader's text: kept by the normal form, no needle holds it
BLOCK = "\ue000"
ASCII_JUNK = b" \t\n\r\x0b\x0c-"
# block tags that often follow text at once (a line break; a feed's HTML, escaped): not junk
BLOCKS_AFTER_TEXT = (
    *(f"<br{end}".encode() for end in (">", "/>", " />")),
    *(f"&lt;br{end}".encode() for end in ("&gt;", "/&gt;", " /&gt;")),
    *(f"&lt;/{name}&gt;".encode() for name in ("p", "li", "td", "dd", "div")),
)
MAX_JUNK_STEPS = 64
SPACE_OR_HYPHEN = re.compile(f"[\\s{re.escape(normalform.HYPHENS)}]+")


def case_variants(case: str) -> set[str]:
    """（2024）鲁0502执1234号 as it could be printed: each bracket pair, ASCII or full-width digits."""
    out = set()
    for digits in (case, case.translate(FULLWIDTH)):
        for o, c in zip(OPEN, CLOSE, strict=True):
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
    for y, r in ((year, rest), (year.translate(FULLWIDTH), rest.translate(FULLWIDTH))):
        for c in CLOSE:
            out.setdefault(c + r, set()).add(y)
    return out


def name_variants(name: str, norm: str | None = None) -> set[str]:
    """A withheld name as written, in its normal form, and (when it holds brackets) the normal
    form with each bracket in each form (mixes too, up to MAX_BRACKET_MIXES)."""
    norm = normalform.normal(name) if norm is None else norm
    out = {name, norm}
    at = [i for i, c in enumerate(norm) if c in BRACKET_FORMS]
    if at:
        choices = [BRACKET_FORMS[norm[i]] for i in at]
        if len(BRACKET_FORMS["("]) ** len(at) <= MAX_BRACKET_MIXES:
            combos: Iterable[tuple[str, ...]] = product(*choices)
        else:
            combos = (tuple(c[k] for c in choices) for k in range(len(BRACKET_FORMS["("])))
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
    yield from kind_texts(view)  # the other kinds' (SPEC §7)
    # place names joined to the words pages and feeds put after them: a withheld 区新 is no
    # leak in 东营区新纳入名单 (a feed title)
    places = {r.court for r in view.public} | {r.region_name for r in view.public} | {n.court for n in view.notices}
    places |= {k.court for k in (*view.restrictions, *view.rewards, *view.lifts, *view.batches)}
    for place in places:
        yield from (place + suffix for suffix in PLACE_SUFFIXES)


class lk_Texts:
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
            out.append(Needle(NAME, norm, frozenset(name_variants(name, norm))))
    for case, norm in zip(cases, normal[len(names) :], strict=True):
        if norm:
            suffixes = case_suffixes(case)
            out.append(Needle(CASE, norm[1:] if norm[:1] == "(" else norm, frozenset(suffixes), suffixes))
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

    stripped = TAG_TEXT.sub(tag, text) if "<" in text else text
    return html.unescape(stripped) if "&" in stripped else stripped


def json_text(text: str) -> str:
    """JSON string escapes decoded (\\uXXXX with surrogate pairs, \\n, \\" …)."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16))
        return JSON_CHARS.get(m.group(2), m.group(2))

    out = JSON_ANY.sub(one, text)
    return out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def reader_forms(data: bytes) -> list[str]:
    """The texts of a file a reader may read: as is (JSON strings decoded), %-decoded, its
    reader's text (and, for feeds, the text of the HTML its XML carries)."""
    text = data.decode("utf-8", "replace")
    if "\\" in text:  # JSON read with its strings decoded (an escape's hex digits are no number)
        text = json_text(text)
    forms = [text]
    if "%" in text and PERCENT.search(data):
        forms.append(unquote(text, errors="replace"))
    xml = data.lstrip()[:5] == b"<?xml"
    if "<" in text or "&" in text:
        seen = reader_text(text, xml)
        forms.append(seen)
        if "<" in seen or "&" in seen:  # HTML carried as text (a feed's content, an escaped page)
            forms.append(reader_text(seen))
    return forms


@lru_cache(maxsize=65536)
def fold1(ch: str) -> str:
    return normalform.normal(ch)


class Prefilter:
    """Whether a text may hold a withheld name or case number: every withheld string (folded by
    FOLD) in a set, looked up for every substring of the text of one of their lengths, and every
    normal-form needle looked up in the normal form of the texts a reader reads. A text holding a
    needle, or any variant of one, or a disguise of one, holds one of these, so "no hit" is proof
    that neither pass would find a name or case number."""

    def __init__(self, needles: list[Needle] | PublicView):
        if isinstance(needles, PublicView):
            needles = withheld_needles(needles)
        fold, folds = FOLD, FOLDS.search
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
        text = data.decode("utf-8", "surrogateescape").translate(FOLD)
        if self._any(self.needles, self.lengths, text):
            return True
        return any(self._any(self.normal, self.normal_lengths, normalform.normal(f)) for f in reader_forms(data))


def year_before(data: bytes, start: int, years: set[str]) -> int:
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


def json_unescape(m: re.Match[bytes]) -> bytes:
    if m[1] is not None:
        return chr(int(m[1], 16)).encode("utf-8", "surrogatepass")
    return JSON_BYTES.get(m[2], m[2])


def lk_decoded(data: bytes, marks: set[str] | None = None) -> list[bytes]:
    """The file's JSON \\u escapes, %-encoding and character references decoded, when it holds
    some (`marks`: which, as the automaton found them; None: look)."""
    forms = []
    if (JSON_MARK.search(data) is not None) if marks is None else (MARK_JSON in marks):
        forms.append(JSON_ESCAPE.sub(json_unescape, data))
    if ((b"%" in data) if marks is None else (MARK_PCT in marks)) and PERCENT.search(data):
        forms.append(unquote_to_bytes(data))
    if (b"&#" in data) if marks is None else (MARK_REF in marks):
        forms.append(html.unescape(data.decode("utf-8", "replace")).encode("utf-8"))
    return forms


# an opening tag or a comment (not a closing tag: "</")
OPENING = tuple(b"<" + bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!")
# closing tags of the inline elements that hold text (not the void or obsolete ones: fewer patterns)
CLOSING_NAMES = "a abbr b bdi bdo cite code data del dfn em font i ins kbd label mark q s samp small span strike strong sub sup time u var"
CLOSINGS = tuple(b"</" + w.encode() + b">" for name in CLOSING_NAMES.split() for w in (name, name.upper()))


@lru_cache(maxsize=1)
def static_odd() -> dict[str, str]:
    """The odd characters whatever the needles: spaces and dashes of other kinds (those NFKC
    makes a space or hyphen too; not the brackets), and the ignorable characters."""
    t = normalform.tables()
    skip = set(OPEN + CLOSE)
    out: dict[str, str] = {}
    for ch, form in t.nfkc.items():
        if ch not in skip and (form.strip() == "" or (form.strip("-") == "" and form)):
            out[ch] = JUNK
    for ch in map(chr, range(0x80, 0x3001)):
        if ch.isspace() or ch in normalform.HYPHENS:
            out[ch] = JUNK
    for ch in t.ignorable:
        if not 0xE0000 <= ord(ch) <= 0xE0FFF:  # (those: one pattern, their first two bytes)
            out[ch] = ESCALATE
    return out


@lru_cache(maxsize=1)
def odd_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(a character → the characters NFKC changes into a form holding it (not the brackets),
    a Simplified character → its Traditional forms)."""
    t = normalform.tables()
    skip = set(OPEN + CLOSE)
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
def static_triggers() -> tuple[tuple[bytes, str | None], ...]:
    """The triggers whatever the needles: see LeakGate._trigger_patterns."""
    out: list[tuple[bytes, str | None]] = [(b"\xf3\xa0", ESCALATE)]  # U+E0000–E0FFF: tags, variation selectors
    out += [(escape, MARK_JSON) for escape in (b"\\u", b"\\n", b"\\t", b"\\r")]
    out.append((b"&#", MARK_REF))
    out += [(b"%" + bytes([h]), MARK_PCT) for h in b"0123456789ABCDEFabcdef"]
    # digits followed by markup or a reference (a full ID or a case number split by it)
    for a in (bytes([c]) for c in b"0123456789"):
        out += [(a + junk, AFTER) for junk in (b"&", *OPENING)]
        out += [(a + block, EXEMPT) for block in BLOCKS_AFTER_TEXT]
    # a closing inline tag followed by a character (its first byte: a Han character, a full-width
    # or compatibility form, a digit, a bracket) or by more junk
    firsts = [bytes([c]) for c in range(0xE2, 0xF1)] + [bytes([c]) for c in b"0123456789()[]"]
    for close in CLOSINGS:
        out += [(close + first, JUNK_B) for first in firsts]
        # (not a closing tag after it: the last of the closing tags in a row counts)
        out += [(close + junk, JUNK) for junk in (*(bytes([c]) for c in ASCII_JUNK), *OPENING, b"&")]
    return tuple(out)


# -- the characters on both sides of a junk run (spaces, inline markup, references, invisible) ----


def char_before(data: bytes, i: int) -> tuple[str, int]:
    k = i - 1
    while k > max(0, i - 4) and 0x80 <= data[k] < 0xC0:
        k -= 1
    return data[k:i].decode("utf-8", "replace"), k


def char_at(data: bytes, i: int) -> tuple[str, int]:
    b = data[i]
    size = 1 if b < 0xC0 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4
    return data[i : i + size].decode("utf-8", "replace")[:1], i + size


def is_junk_char(ch: str) -> bool:
    return ch.isspace() or ch in normalform.HYPHENS or normalform.is_ignorable(ch)


def tag_joins(tag: bytes, xml: bool) -> bool:
    m = TAG_AT.fullmatch(tag)
    if m is None:
        return False
    return not xml and m.group(2).decode("ascii").lower() not in SEPARATING


def lk_before(data: bytes, i: int, xml: bool) -> tuple[str | None, int]:
    """The character a reader reads before the junk ending at i and where it starts ("" at a block
    boundary or the start, where the junk starts; None when the run is too long to follow)."""
    for _ in range(MAX_JUNK_STEPS):
        if i <= 0:
            return "", i
        c = data[i - 1]
        if c in ASCII_JUNK:
            i -= 1
        elif c == 0x3E:  # >: a tag or a comment
            if data[max(0, i - 3) : i] == b"-->":
                j = data.rfind(b"<!--", max(0, i - 4096), i)
                if j < 0:
                    return ">", i - 1
                i = j
                continue
            j = data.rfind(b"<", max(0, i - 1024), i - 1)
            if j < 0 or not TAG_AT.fullmatch(data, j, i):
                return ">", i - 1
            if not tag_joins(data[j:i], xml):
                return "", i
            i = j
        elif c == 0x3B:  # ;: a reference
            j = data.rfind(b"&", max(0, i - 40), i - 1)
            m = ENTITY_AT.fullmatch(data, j, i) if j >= 0 else None
            if m is None and j >= 0 and data.startswith(b"&amp;", j):  # &amp;#8203;: escaped once more
                twice = ENTITY_AT.fullmatch(b"&" + data[j + 5 : i])
                if twice is not None and is_junk_char(html.unescape(twice.group().decode("ascii"))[:1] or "x"):
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
                if COMMENT_AT.fullmatch(inner):
                    i = k
                    continue
                if not TAG_AT.fullmatch(inner):
                    return ch, j
                if not tag_joins(inner, False):
                    return "", i
                i = k
            elif len(ch) == 1 and is_junk_char(ch):
                i = j
            else:
                return ch[-1:] or ";", j
        elif c >= 0x80:
            ch, k = char_before(data, i)
            if is_junk_char(ch):
                i = k
            else:
                return ch, k
        else:
            return chr(c), i - 1
    return None, i


def lk_after(data: bytes, i: int, xml: bool) -> tuple[str | None, int]:
    """The character a reader reads after the junk starting at i and where it ends (see lk_before;
    "" at a block boundary: where the block's tag starts)."""
    n = len(data)
    for _ in range(MAX_JUNK_STEPS):
        if i >= n:
            return "", i
        c = data[i]
        if c in ASCII_JUNK:
            i += 1
        elif c == 0x3C:  # <
            if data.startswith(b"<!--", i):
                m = COMMENT_AT.match(data, i)
                if m is None:
                    return "<", i + 1
                i = m.end()
                continue
            m = TAG_AT.match(data, i)
            if m is None:
                return "<", i + 1
            if not tag_joins(m.group(), xml):
                return "", i
            i = m.end()
        elif c == 0x26:  # &
            m = ENTITY_AT.match(data, i)
            if m is None:
                return "&", i + 1
            ch = html.unescape(m.group().decode("ascii"))
            if ch == "<":  # &lt;: an escaped tag
                k = data.find(b"&gt;", i, i + 1024)
                if k < 0:
                    return ch, m.end()
                inner = html.unescape(data[i : k + 4].decode("utf-8", "replace")).encode("utf-8")
                if COMMENT_AT.fullmatch(inner):
                    i = k + 4
                    continue
                if not TAG_AT.fullmatch(inner):
                    return ch, m.end()
                if not tag_joins(inner, False):
                    return "", i
                i = k + 4
            elif len(ch) == 1 and is_junk_char(ch):
                i = m.end()
            elif ch == "&" and (m2 := ENTITY_AT.match(b"&" + data[m.end() : m.end() + 40])) is not None:
                # &amp;#8203;: a reference escaped once more (HTML carried in a feed)
                twice_ch = html.unescape(m2.group().decode("ascii"))
                if not (len(twice_ch) == 1 and is_junk_char(twice_ch)):
                    return twice_ch[:1] or "&", m.end()
                i = m.end() + len(m2.group()) - 1
            else:
                return ch[:1] or "&", m.end()
        elif c >= 0x80:
            ch, k = char_at(data, i)
            if is_junk_char(ch):
                i = k
            else:
                return ch, k
        else:
            return chr(c), i + 1
    return None, i
