"""Case numbers (执行案号): normalisation, parsing and the record id derived from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Bracket and digit variants clerks type or paste from court documents.
_TRANSLATE = str.maketrans(
    {
        "(": "（",
        ")": "）",
        "〔": "（",
        "〕": "）",
        "[": "（",
        "]": "）",
        "［": "（",
        "］": "）",
        **{chr(0xFF10 + i): str(i) for i in range(10)},
    }
)
_SPACES = re.compile(r"\s+")
_SHAPE = re.compile(
    r"^（(?P<year>(?:19|20)\d{2})）(?P<prov>[\u4e00-\u9fff])(?P<code>\d{0,6})"
    r"(?P<type>[\u4e00-\u9fff]{1,4}?)(?P<number>\d{1,7})号(?P<suffix>之[\u4e00-\u9fff]{1,3})?$"
)

# Province abbreviations as they head court codes; fixed readings, because pypinyin
# reads 藏 as "cang" and 兵 (XPCC courts) needs no guessing.
PROVINCES: dict[str, str] = {
    "京": "jing", "津": "jin", "冀": "ji", "晋": "jin", "蒙": "meng", "辽": "liao", "吉": "ji",
    "黑": "hei", "沪": "hu", "苏": "su", "浙": "zhe", "皖": "wan", "闽": "min", "赣": "gan",
    "鲁": "lu", "豫": "yu", "鄂": "e", "湘": "xiang", "粤": "yue", "桂": "gui", "琼": "qiong",
    "渝": "yu", "川": "chuan", "贵": "gui", "黔": "qian", "云": "yun", "滇": "dian", "藏": "zang",
    "陕": "shan", "甘": "gan", "青": "qing", "宁": "ning", "新": "xin", "兵": "bing", "最": "zui",
}  # fmt: skip


@dataclass(frozen=True)
class CaseNumber:
    """A parsed, normalised case number."""

    year: int
    province: str
    code: str
    type: str
    number: str
    suffix: str

    @property
    def text(self) -> str:
        return f"（{self.year}）{self.province}{self.code}{self.type}{self.number}号{self.suffix}"

    @property
    def court_code(self) -> str:
        return f"{self.province}{self.code}"

    @property
    def court_slug(self) -> str:
        return court_slug(self.court_code)

    @property
    def slug(self) -> str:
        """（2024）鲁0502执1234号 → 2024-lu0502-zhi-1234."""
        parts = [str(self.year), self.court_slug, _pinyin(self.type), self.number]
        if self.suffix:
            parts.append(_pinyin(self.suffix))
        return "-".join(parts)


def normalise(text: str) -> str:
    """Fold bracket and digit variants and drop spaces: the form used for comparison."""
    return _SPACES.sub("", text.translate(_TRANSLATE))


@lru_cache(maxsize=65536)
def parse(text: str) -> CaseNumber | None:
    """Parse a case number in any bracket/width form; None when it has not the shape."""
    m = _SHAPE.match(normalise(text))
    if not m or m["prov"] not in PROVINCES:
        return None
    return CaseNumber(int(m["year"]), m["prov"], m["code"], m["type"], m["number"], m["suffix"] or "")


# han → reading, as pypinyin gives it: case types and suffixes are a handful; generator.read.viewcache
# keeps them from build to build, so a rebuild that reads a few records needs no pypinyin
READINGS: dict[str, str] = {}


def _pinyin(han: str) -> str:
    reading = READINGS.get(han)
    if reading is None:
        from pypinyin import Style, lazy_pinyin  # here, not at import: 0.15 s a build that needs none

        reading = READINGS[han] = "".join(lazy_pinyin(han, style=Style.NORMAL))
    return reading


def court_slug(court_code: str) -> str:
    """鲁0502 → lu0502."""
    return PROVINCES.get(court_code[:1], _pinyin(court_code[:1])) + court_code[1:]


def record_id(case: CaseNumber, debtor_seq: int | None, listing_no: int | None = None) -> str:
    """The record id used in URLs and file names; a re-listing (art. 10 ¶3) adds "-n2", "-n3"…"""
    rid = case.slug if debtor_seq is None else f"{case.slug}-{debtor_seq}"
    return rid if listing_no is None or listing_no < 2 else f"{rid}-n{listing_no}"
