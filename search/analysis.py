"""Index and query keys: how a debtor may be typed, reduced to exact terms.

Every searchable field holds pre-computed, space-free keys (Whoosh KEYWORD fields), and the
query side computes the same keys from what a person typed: no Whoosh analyzer and no query
parser ever sees user text. Names get character n-grams, not jieba: no dictionary gaps for
given names, and an order of magnitude faster. Organization names and news text get jieba.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from itertools import product
from types import ModuleType
from typing import Any

from generator.domain import casenumber, normalform

# jieba, opencc and pypinyin are imported when first used (a third of a second together): an
# incremental build imports this module to update a few documents, often none of a kind
_jieba: ModuleType | None = None


def _segmenter() -> ModuleType:
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not ours to print
        _jieba = jieba
    return _jieba


HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{HAN}]+")
_IS_HAN = re.compile(f"[{HAN}]")
# middle dots inside transliterated names (买买提·艾力): not a break for n-grams
_NAME_DOTS = str.maketrans("", "", "·・•‧.")

# Compound surnames (复姓): read together, so every reading of both characters is indexed.
COMPOUND_SURNAMES = frozenset(
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 "
    "公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 "
    "壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 梁丘 左丘 "
    "西门 第五 东里 即墨 达奚 褚师".split()
)
# Above this many full readings of one name, given-name characters keep their usual reading only
# (surname characters always keep every reading: 单 is shan as a surname, dan elsewhere).
MAX_READINGS = 16

# Traditional → Simplified: the converter of the one normal form (generator.domain.normalform)
_t2s = normalform.t2s


def fold(text: str) -> str:
    """Width, compatibility forms and Traditional characters folded: NFKC, then opencc t2s."""
    text = unicodedata.normalize("NFKC", text)
    return _t2s(text) if _IS_HAN.search(text) else text


def is_han(text: str) -> bool:
    return bool(text) and all(_IS_HAN.match(c) for c in text)


# ---------------------------------------------------------------- Han names: n-grams


def han_ngrams(text: str, unigrams: bool = True) -> list[str]:
    """Unigrams and bigrams of every Han run (index side): 张三丰 → 张 三 丰 张三 三丰.

    Organization names go without unigrams (a one-character query for a company is noise,
    and they are the longest names: half of their keys)."""
    out: list[str] = []
    for run in _HAN_RUN.findall(fold(text).translate(_NAME_DOTS)):
        if unigrams or len(run) == 1:
            out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def query_ngrams(text: str) -> list[str]:
    """The n-grams a Han query must all match: bigrams, or the single character (query side)."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text.translate(_NAME_DOTS)):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- pinyin


@lru_cache(maxsize=16384)
def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one Han character, usual reading first (单 → dan chan shan)."""
    from pypinyin import Style, pinyin

    got: Any = pinyin(char, heteronym=True, style=Style.NORMAL, errors="ignore")
    if not got:
        return ()
    found = [r for r in got[0] if r.isascii() and r.isalpha()]
    # ü is written v by pypinyin (lv); people also type u
    found += [r.replace("v", "u") for r in found if "v" in r]
    return tuple(dict.fromkeys(found))


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name); compound surnames (尉迟, 欧阳…) stay whole."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _spellings(chars: str, every: bool) -> list[tuple[str, ...]]:
    per_char = [readings(c) for c in chars]
    per_char = [r if every else r[:1] for r in per_char if r]
    return list(product(*per_char)) if per_char else []


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(full keys, initials keys) of a person's name: 张三丰 → (zhangsanfeng, zhang, sanfeng), (zsf).

    Every reading of the surname characters is kept (曾 → zeng and ceng); given-name characters
    keep every reading too unless that makes more than MAX_READINGS spellings.
    """
    han = "".join(_HAN_RUN.findall(fold(name).translate(_NAME_DOTS)))
    if not han:
        return (), ()
    surname, given = split_surname(han)
    sur = _spellings(surname, every=True)
    giv = _spellings(given, every=True)
    if len(sur) * max(1, len(giv)) > MAX_READINGS:
        giv = _spellings(given, every=False)
    full: list[str] = []
    initials: list[str] = []
    for s in sur or [()]:
        for g in giv or [()]:
            syllables = s + g
            if not syllables:
                continue
            full.append("".join(syllables))
            initials.append("".join(x[0] for x in syllables))
    full += ["".join(s) for s in sur if s]  # surname alone
    full += ["".join(g) for g in giv if g]  # given name alone
    return tuple(dict.fromkeys(full)), tuple(dict.fromkeys(initials))


_PINYIN_QUERY = re.compile(r"^[a-z]+$")


def pinyin_query(text: str) -> str | None:
    """A typed pinyin or initials, spaces and apostrophes dropped (Zhang San'feng → zhangsanfeng)."""
    key = re.sub(r"[\s'’\-]+", "", text).lower().replace("ü", "v").replace("u:", "v")
    return key if _PINYIN_QUERY.match(key) else None


# ---------------------------------------------------------------- case numbers

_CASE_STRIP = str.maketrans("", "", "（）号")
_PROVINCE_CHARS = "".join(casenumber.PROVINCES)
# A case number or any run of its parts once brackets and 号 are gone: 2024鲁0502执1234之一
_CASE_PARTS = re.compile(
    rf"^(?P<year>(?:19|20)\d{{2}})?(?P<court>[{_PROVINCE_CHARS}]\d{{0,6}}|\d{{2,6}}(?=[{HAN}]))?"
    rf"(?P<type>(?!之)[{HAN}]{{1,4}}?)?(?P<number>\d{{1,7}})?(?P<suffix>之[{HAN}]{{1,3}})?$"
)


def case_compact(text: str) -> str:
    """A typed case number or part of one, brackets, width and 号 folded: 〔２０２４〕鲁0502执1234号 → 2024鲁0502执1234."""
    return casenumber.normalise(fold(text)).translate(_CASE_STRIP)


PLAIN_TYPE = "执"  # the type of nearly every enforcement case: not worth a key per record


def case_keys(case_text: str) -> list[str]:
    """Keys of a case number, one per part: y<year>, c<court code>, n<number>, and k<type> and
    s<suffix> when there is something to tell apart (执恢, 之一). A typed case number, or part
    of one, must match all of its parts' keys.

    Parts, not every run of parts: one key per record is unique (the number) instead of ten,
    and unique terms are what indexing time is spent on."""
    case = casenumber.parse(case_text)
    if case is None:
        return []
    keys = [f"y{case.year}", f"c{case.court_code}", f"n{case.number}"]
    if case.type != PLAIN_TYPE:
        keys.append(f"k{case.type}")
    if case.suffix:
        keys.append(f"s{case.suffix}")
    return keys


def case_query_keys(text: str) -> list[str] | None:
    """The keys a typed case number (whole or part, any bracket/width form) must all match;
    None when the text is not shaped like one. A court code typed without its province
    character (0502执1234) is not compared: the year, type and number still are."""
    m = _CASE_PARTS.match(case_compact(text))
    if not m or not any(m.groupdict().values()):
        return None
    year, court, kind, number, suffix = m["year"], m["court"], m["type"], m["number"], m["suffix"]
    keys = []
    if year:
        keys.append(f"y{year}")
    if court and not court[0].isdigit():
        keys.append(f"c{court}")
    if kind and kind != PLAIN_TYPE and number:
        keys.append(f"k{kind}")
    if number:
        keys.append(f"n{number}")
    if suffix:
        keys.append(f"s{suffix}")
    return keys or None


def removal_key(text: str) -> str | None:
    """The key of a whole case number, any bracket/width form (r2024-lu0502-zhi-1234): how a
    removal notice is found. Only a whole number finds one (a part would list other cases'
    removals); None for anything else."""
    m = _CASE_PARTS.match(case_compact(text))
    if not m or not (m["year"] and m["court"] and m["type"] and m["number"]) or m["court"][0].isdigit():
        return None
    case = casenumber.parse(f"（{m['year']}）{m['court']}{m['type']}{m['number']}号{m['suffix'] or ''}")
    return f"r{case.slug}" if case is not None else None


# ---------------------------------------------------------------- identity numbers

_MASKED = re.compile(r"^(\d{10})\*{4}(\d{3}[\dX])$")
_FULL = re.compile(r"^\d{17}[\dX]$")


def id_keys(id_masked: str | None) -> list[str]:
    """Keys of a masked citizen ID: region+birth year (first 10) and last 4.

    Only the visible parts exist in the repository; a full number is never stored.
    """
    m = _MASKED.match((id_masked or "").upper())
    if not m:
        return []
    head, tail = m.groups()
    return [f"h{head}", f"t{tail}"]


def visible_id_keys(number: str) -> list[str] | None:
    """The keys a typed full 18-digit ID or a masked one must match: its first 10 and last 4 only."""
    number = number.strip().upper()
    if _FULL.match(number):
        return [f"h{number[:10]}", f"t{number[14:]}"]
    m = _MASKED.match(number)
    return [f"h{m[1]}", f"t{m[2]}"] if m else None


def is_full_id_shape(text: str) -> bool:
    return bool(_FULL.match(text.upper()))


def is_masked_id_shape(text: str) -> bool:
    return bool(_MASKED.match(text.upper()))


# ---------------------------------------------------------------- words (jieba)

_WORDLIKE = re.compile(rf"[0-9A-Za-z{HAN}]")


def words(text: str) -> list[str]:
    """Search-engine segmentation of organization names and news text (jieba, folded)."""
    return [w.lower() for w in _segmenter().cut_for_search(fold(text)) if _WORDLIKE.search(w) and not w.isspace()]


# ---------------------------------------------------------------- court shorthand

_COURT_NAME = re.compile(rf"^(?P<stem>[{HAN}]+?)(?P<level>中级|高级)?人民法院$")
_CITY = re.compile(rf"^(?P<city>[{HAN}]{{2,}}?[省市州盟])(?P<local>[{HAN}]{{2,}})$")
_DIVISION_SUFFIX = "省区县市旗"


def _trimmed(place: str) -> list[str]:
    """A place and, when what is left has two characters or more, the place without its
    division word: 河口区 → 河口, 利津县 → 利津, 东营市 → 东营 (区 alone stays 区)."""
    out = [place]
    if place[-1] in _DIVISION_SUFFIX and len(place) > 2:
        out.append(place[:-1])
    return out


def court_aliases(name: str) -> tuple[str, ...]:
    """How people shorten a court's name, derived from the name by rule (no table per court):
    东营市河口区人民法院 → 河口区人民法院, 河口区法院, 河口法院, 东营河口法院…;
    东营市中级人民法院 → 东营中院, 东营市中院, 东营中级法院…. The full name comes first; a
    name not shaped like 〔city〕place〔level〕人民法院 has itself only."""
    full = fold(name).strip()
    m = _COURT_NAME.match(full)
    if not m:
        return (full,)
    stem, level = m["stem"], m["level"] or ""
    split = _CITY.match(stem)
    places = _trimmed(stem)
    if split:
        cities = _trimmed(split["city"])
        # 东营区 in 东营市 is not shortened to 东营: that names the city (and its 中院)
        locals_ = [p for p in _trimmed(split["local"]) if p not in cities]
        places = [stem] + locals_ + [c + loc for c in cities for loc in locals_]
    endings = ["人民法院", "法院"]
    if level:
        endings = [f"{level}人民法院", f"{level}法院", level[0] + "院"]
    return tuple(dict.fromkeys([full] + [p + e for p in places for e in endings]))
