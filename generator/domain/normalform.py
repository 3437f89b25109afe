"""The one normal form for matching (SPEC §3): what a reader would read as the same text.

`normal(text)` is, in this order:

1. Unicode NFKC (full-width letters, digits and punctuation to ASCII, compatibility ideographs
   and Kangxi radicals to the unified ideographs, circled and superscript digits to digits…);
2. default-ignorable and format characters dropped: every character of category Cf (zero-width
   space and joiners, soft hyphen, bidi controls, BOM…), the rest of Unicode's
   Default_Ignorable_Code_Point set that `unicodedata` cannot tell (variation selectors, Hangul
   fillers, …: `_DEFAULT_IGNORABLE`), and the control characters other than tab, line feed,
   carriage return, vertical tab and form feed (invisible too);
3. Traditional → Simplified (OpenCC "t2s", as the search does);
4. the case-number brackets 〔〕 and [] read as ()  (SPEC §1.1: one bracket; NFKC already turns
   （）［］ into () []);
5. whitespace (any: space, no-break space, ideographic space, tab, line break…) dropped between
   two Han characters, between a Han character or bracket and a digit, and between a digit and a
   Han character or bracket; whitespace and hyphens (- ‐ ‑ ‒ – − ﹣ －) dropped where a case
   number's groups meet (a digit on one side, a Han character or bracket on the other); and
   whitespace and hyphens dropped between the digit groups of a full 18-digit ID number
   ("370502 1985 0101 1234", "370502-19850101-1234": joined where the groups make one).

It is the contract shared by the leak gate (its needles and the text it scans) and `chenglai
check`'s full-ID rule (E085): `find_full_ids(text)` is exactly the full IDs of `normal(text)`,
computed without the steps that cannot make or break one (Traditional → Simplified, brackets,
whitespace next to Han characters).

`normal_map(text)` gives the same string and, for reports, where each of its characters came
from in `text` (the leak gate names the text as found, not its normal form).
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from generator.domain.ids import FULL_ID_RE

# FULL_ID_RE over ASCII digits only: the normal form has turned every digit a reader reads into one
_FULL_ID = re.compile(FULL_ID_RE.pattern, re.ASCII)

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
IS_HAN = re.compile(f"[{HAN}]")
# the hyphens that may join a case number's or an ID's groups (﹣ and －, which NFKC makes -, too;
# not the dashes — ―: punctuation); whitespace is what str.isspace() says
HYPHENS = "-\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) outside category Cf: the part
# unicodedata cannot tell (combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
# Mongolian free variation selectors, variation selectors, reserved ranges)
_DEFAULT_IGNORABLE = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2060, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
# control characters kept as whitespace; every other one (C0, DEL, C1) is invisible and dropped
_KEPT_CONTROLS = frozenset("\t\n\r\x0b\x0c")
# the highest code point with a decomposition (NFKC leaves every other character alone)
_LAST_DECOMPOSABLE = 0x2FFFF
_BRACKETS = (("[", "("), ("]", ")"), ("〔", "("), ("〕", ")"))
_ASCII_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f]")  # the ignorable ASCII characters

_SEP = rf"[^\S\x1c-\x1f\x85]|[{HYPHENS}]"  # whitespace (the kept kind) or a hyphen
_W_SPACE = re.compile(
    rf"(?<=[{HAN}()])\s+(?=[{HAN}()0-9])"  # Han/bracket ␣ Han/bracket/digit
    rf"|(?<=[0-9])\s+(?=[{HAN}()])"  # digit ␣ Han/bracket
    rf"|(?<=[{HAN}()])(?:{_SEP})+(?=[0-9])"  # a case number's groups: Han/bracket -- digit
    rf"|(?<=[0-9])(?:{_SEP})+(?=[{HAN}()])"  # digit -- Han/bracket
)
_ANY_SEP = re.compile(_SEP)
# digit groups with separators between them; the last may end with the check character X
_GROUPS = re.compile(rf"(?<![0-9])[0-9]+(?:(?:{_SEP}){{1,8}}[0-9]+)+[Xx]?")
_GROUP = re.compile(r"[0-9]+[Xx]?")
# where such groups may be (a fast first look: 18 digits and a separator need 19 characters)
_LONG_RUN = re.compile(f"[0-9][0-9\\s{re.escape(HYPHENS)}]{{17,}}")
_ID_CORE = re.compile(FULL_ID_RE.pattern.replace("(?<![0-9])", "").replace("(?![0-9A-Za-z])", ""))
_AFTER_ID = re.compile(r"[0-9A-Za-z]")

_local = threading.local()


def t2s(text: str) -> str:
    """Traditional → Simplified (OpenCC t2s); one converter per thread, made when first needed."""
    conv = getattr(_local, "t2s", None)
    if conv is None:
        import opencc  # a tenth of a second: not at import

        conv = _local.t2s = opencc.OpenCC("t2s")
    return str(conv.convert(text))


def s2t(text: str) -> str:
    """Simplified → Traditional (OpenCC s2t): how a Simplified text may be written Traditional."""
    conv = getattr(_local, "s2t", None)
    if conv is None:
        import opencc

        conv = _local.s2t = opencc.OpenCC("s2t")
    return str(conv.convert(text))


def char_class(chars: Iterable[str]) -> str:
    """A regex character class body for a set of characters (as code point ranges)."""
    points = sorted({ord(c) for c in chars})
    out, i = [], 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = chr(points[i]), chr(points[j])
        out.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return "".join(out)


@dataclass(frozen=True)
class Tables:
    """What unicodedata and OpenCC say about single characters, computed once per process
    (a few hundredths of a second)."""

    nfkc: dict[str, str]  # character → its NFKC form, for the characters NFKC changes
    ignorable: frozenset[str]  # dropped: Cf, the rest of Default_Ignorable, invisible controls
    special: re.Pattern[str]  # any character step 1 changes or drops
    dropped: re.Pattern[str]  # an ignorable character
    alnumish: re.Pattern[str]  # a non-ASCII character whose step-1 form holds [0-9A-Za-z], or a dropped one
    traditional: dict[str, str]  # character → its Simplified form, for those t2s changes alone
    traditional_table: dict[int, str]  # the same, for str.translate


@lru_cache(maxsize=1)
def tables() -> Tables:
    category = unicodedata.category
    ignorable = {ch for ch in map(chr, range(_LAST_DECOMPOSABLE + 1)) if category(ch) in ("Cf", "Cc")}
    ignorable -= _KEPT_CONTROLS
    ignorable |= {chr(c) for lo, hi in _DEFAULT_IGNORABLE for c in range(lo, hi + 1)}
    nfkc = {}
    for c in range(_LAST_DECOMPOSABLE + 1):
        ch = chr(c)
        if 0xD800 <= c < 0xE000 or not unicodedata.decomposition(ch):
            continue
        form = unicodedata.normalize("NFKC", ch)
        if form != ch:
            nfkc[ch] = form
    alnum = {
        ch for ch, form in nfkc.items() if re.search(r"[0-9A-Za-z]", "".join(f for f in form if f not in ignorable))
    }
    han = [chr(c) for r in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))
           for c in range(r[0], r[1] + 1)]  # fmt: skip
    simplified = t2s("\n".join(han)).split("\n")  # one character a line: no phrase spans two
    traditional = {t: s for t, s in zip(han, simplified, strict=True) if t != s and len(s) == 1}
    return Tables(
        nfkc=nfkc,
        ignorable=frozenset(ignorable),
        special=re.compile(f"[{char_class(set(nfkc) | ignorable)}]"),
        dropped=re.compile(f"[{char_class(ignorable)}]"),
        alnumish=re.compile(f"[{char_class(alnum | ignorable)}]"),
        traditional=traditional,
        traditional_table={ord(t): s for t, s in traditional.items()},
    )


def is_ignorable(ch: str) -> bool:
    """Dropped by the normal form (step 2)."""
    return ch in tables().ignorable


# -- the map from a normal form back to the text it came from ------------------------------------


class Map:
    """Index in a derived string → index in its source: pieces (derived start, source start,
    length in the source, whether each character maps one to one)."""

    def __init__(self, pieces: list[tuple[int, int, int, bool]], source_len: int):
        self.pieces = pieces
        self.starts = [p[0] for p in pieces]
        self.source_len = source_len

    @classmethod
    def identity(cls, n: int) -> Map:
        return cls([(0, 0, n, True)], n)

    def source(self, i: int) -> int:
        """Where the character at i came from (its first source character)."""
        k = bisect.bisect_right(self.starts, i) - 1
        if k < 0:
            return 0
        start, src, length, linear = self.pieces[k]
        return src + min(i - start, max(length - 1, 0)) if linear else src

    def source_end(self, i: int) -> int:
        """The end (exclusive) in the source of the character at i."""
        k = bisect.bisect_right(self.starts, i) - 1
        if k < 0:
            return 0
        start, src, length, linear = self.pieces[k]
        return src + min(i - start, length - 1) + 1 if linear else src + length

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.source(start), self.source(start)
        return self.source(start), self.source_end(end - 1)

    def then(self, inner: Map) -> Map:
        """self maps B → A, inner maps C → B: C → A (only span lookups: kept as a pair)."""
        return _Chained(self, inner)


class _Chained(Map):
    def __init__(self, outer: Map, inner: Map):
        self.outer, self.inner = outer, inner
        self.source_len = outer.source_len

    def source(self, i: int) -> int:
        return self.outer.source(self.inner.source(i))

    def source_end(self, i: int) -> int:
        return self.outer.source_end(self.inner.source_end(i) - 1)


def _edit(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, Map]:
    """Apply non-overlapping (start, end, replacement) edits in order; the map back."""
    out: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    at = pos = 0
    for start, end, repl in edits:
        if start > pos:
            out.append(text[pos:start])
            pieces.append((at, pos, start - pos, True))
            at += start - pos
        if repl:
            out.append(repl)
            pieces.append((at, start, end - start, len(repl) == end - start))
            at += len(repl)
        pos = end
    if pos < len(text) or not pieces:
        out.append(text[pos:])
        pieces.append((at, pos, len(text) - pos, True))
    return "".join(out), Map(pieces, len(text))


# -- the steps --------------------------------------------------------------------------------


def _compat(text: str) -> tuple[str, Map | None]:
    """Steps 1–2: NFKC (each character's NFKC form, then NFC over the whole: the same as NFKC of
    the whole) and the ignorable characters dropped. None: nothing changed."""
    t = tables()
    if not t.special.search(text):
        out, mapping = text, None
    else:
        nfkc, ignorable = t.nfkc, t.ignorable
        edits = []
        for m in t.special.finditer(text):
            ch = m.group()
            form = "" if ch in ignorable else nfkc.get(ch, ch)
            if any(f in ignorable for f in form):
                form = "".join(f for f in form if f not in ignorable)
            edits.append((m.start(), m.end(), form))
        out, mapping = _edit(text, edits)
    if not out.isascii() and not unicodedata.is_normalized("NFC", out):
        composed = unicodedata.normalize("NFC", out)  # a combining sequence: rare, mapped coarsely
        inner = Map([(0, 0, len(out), False)], len(out)) if len(composed) != len(out) else Map.identity(len(out))
        mapping = inner if mapping is None else mapping.then(inner)
        out = composed
    return out, mapping


def _simplified(text: str) -> str:
    """Steps 3–4: Traditional → Simplified (one to one, or character by character when OpenCC's
    phrases change the length) and the brackets."""
    if IS_HAN.search(text):
        converted = t2s(text)
        if len(converted) != len(text):
            converted = text.translate(tables().traditional_table)
        text = converted
    return _brackets(text)


def _brackets(text: str) -> str:
    for old, new in _BRACKETS:
        if old in text:
            text = text.replace(old, new)
    return text


def _id_joins(text: str) -> list[tuple[int, int, str]]:
    """The separators between digit groups that make a full ID, as deletions."""
    edits: list[tuple[int, int, str]] = []
    if not _ANY_SEP.search(text):
        return edits
    runs = (run for span in _LONG_RUN.finditer(text) for run in _GROUPS.finditer(text, span.start(), span.end() + 1))
    for run in runs:
        groups = [(m.start(), m.end()) for m in _GROUP.finditer(text, run.start(), run.end())]
        i = 0
        while i < len(groups):
            total, j, chosen = 0, i, None
            while j < len(groups):
                total += groups[j][1] - groups[j][0]
                if total > 18:
                    break
                if total == 18 and j > i:
                    joined = "".join(text[s:e] for s, e in groups[i : j + 1])
                    after = groups[j][1]
                    if _ID_CORE.fullmatch(joined) and not (j == len(groups) - 1 and _AFTER_ID.match(text, after)):
                        chosen = j
                    break
                j += 1
            if chosen is None:
                i += 1
                continue
            for k in range(i, chosen):
                edits.append((groups[k][1], groups[k + 1][0], ""))
            i = chosen + 1
    return edits


def _spacing(text: str) -> list[tuple[int, int, str]]:
    if not _ANY_SEP.search(text):
        return []
    return [(m.start(), m.end(), "") for m in _W_SPACE.finditer(text)]


def normal_map(text: str) -> tuple[str, Map]:
    """normal(text) and where each of its characters came from in text."""
    step1, map1 = _compat(text)
    step3 = _simplified(step1)
    edits = sorted(_id_joins(step3) + _spacing(step3))
    out, map2 = _edit(step3, edits) if edits else (step3, None)
    if map1 is None and map2 is None:
        return out, Map.identity(len(text))
    if map1 is None:
        assert map2 is not None
        return out, map2
    return out, map1 if map2 is None else map1.then(map2)


def normal(text: str) -> str:
    """The normal form of text for matching (see the module's docstring)."""
    return _last_steps(_simplified(_first_steps(text)))


def normal_many(texts: list[str]) -> list[str]:
    """[normal(t) for t in texts], with one OpenCC call for all (a call costs more than a name)."""
    firsts = [_first_steps(t) for t in texts]
    joined = "\n".join(firsts)  # (no phrase spans a line break)
    if IS_HAN.search(joined):
        simplified = t2s(joined).split("\n")
        if len(simplified) != len(firsts) or any(len(a) != len(b) for a, b in zip(simplified, firsts, strict=True)):
            simplified = [_simplified(t) for t in firsts]  # (a text with a line break, or a phrase)
        else:
            simplified = [_brackets(t) for t in simplified]
    else:
        simplified = [_brackets(t) for t in firsts]
    return [_last_steps(t) for t in simplified]


def _first_steps(text: str) -> str:
    """Steps 1–2 without the map: NFKC, the ignorable dropped, NFC (as normal_map's)."""
    if not text.isascii():
        dropped = tables().dropped
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if dropped.search(text):
            text = unicodedata.normalize("NFC", dropped.sub("", text))
    elif _ASCII_DROPPED.search(text):
        text = _ASCII_DROPPED.sub("", text)
    return text


def _last_steps(text: str) -> str:
    """Step 5: the spaces and hyphens dropped."""
    joins, spacing = _id_joins(text), _spacing(text)
    if not joins and not spacing:
        return text
    return _edit(text, sorted(joins + spacing) if joins and spacing else joins or spacing)[0]


# -- full ID numbers ------------------------------------------------------------------------------

# a text without these has no full ID in any disguise: no digit, or no ASCII digit and nothing NFKC makes one
_MAY_HOLD_ID = re.compile(r"[0-9]")
# characters of a record or a page that step 1 leaves alone (or changes into no digit, letter or
# separator of its own kind): a text of only these needs no look at the (large) tables
_NOT_PLAIN = re.compile(
    "[^\t\n\r\x20-\x7e\u00b7\u2014\u2018-\u201d\u3000-\u303f\u4e00-\u9fff"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]"
)


def find_full_ids(text: str) -> list[tuple[int, int, str]]:
    """Every full 18-digit ID a reader would read in text — FULL_ID_RE (ASCII digits) in
    normal(text) — as
    (start, end) in text and the number (ASCII digits, no separators)."""
    plain = text.isascii() or not _NOT_PLAIN.search(text) or not tables().alnumish.search(text)
    if plain and not _MAY_HOLD_ID.search(text):
        return []
    if plain:
        step1, map1 = text, None  # step 1 changes no digit, letter or separator here
    else:
        step1, map1 = _compat(text)
    edits = _id_joins(step1)
    joined, map2 = _edit(step1, edits) if edits else (step1, Map.identity(len(step1)))
    out = []
    for m in _FULL_ID.finditer(joined):
        start, end = map2.span(m.start(), m.end())
        if map1 is not None:
            start, end = map1.span(start, end)
        out.append((start, end, m.group().upper()))
    return out


def visible(text: str) -> str:
    """text for a report, on one line: invisible characters, and spaces other than the ASCII
    space (line breaks too), written as ⟨U+200B⟩."""
    t = tables()
    return "".join(f"⟨U+{ord(c):04X}⟩" if c in t.ignorable or (c.isspace() and c != " ") else c for c in text)
