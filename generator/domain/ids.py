"""Identity numbers: GB 11643 citizen IDs (full and masked), GB 32100 USCC, GB/T 2260 regions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

# A full 18-digit citizen ID as it might appear anywhere in text: used to refuse it in
# records and by the leak gate to refuse it in output.
FULL_ID_RE = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
MASKED_RE = re.compile(r"^(?P<region>\d{6})(?P<year>(?:19|20)\d{2})\*{4}(?P<tail>\d{3})(?P<check>[\dX])$", re.ASCII)
FULL_RE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits (stdnum's computation only:
    its validate() also refuses region codes created after the birth year, which real
    IDs may carry)."""
    return ric.calc_check_digit(first17 + "0")


def is_full_id_valid(number: str) -> bool:
    number = number.strip().upper()
    if not FULL_RE.match(number):
        return False
    try:
        birth_date(number)
    except ValueError:
        return False
    return check_digit(number[:17]) == number[17]


MIN_AGE = 18  # art. 4: minors are never listed


@dataclass(frozen=True)
class Identity:
    """What a record may hold of a full citizen ID, derived once it has been checked."""

    id_masked: str
    gender: str
    age: int


class IdNumberError(ValueError):
    """A full ID that cannot be recorded; `code` is the content error code (E087, E084)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def identify(number: str, on: date) -> Identity:
    """Check a full ID by its GB 11643 check digit and birth date only (not stdnum's
    region-in-birth-year rule, which real IDs may break) and derive the masked form, gender
    and age on `on` (the listing date); minors are refused."""
    number = number.strip().upper()
    if not FULL_RE.match(number):
        if MASKED_RE.match(number):
            raise IdNumberError("E087", "需要完整的 18 位身份证号码：已脱敏的号码无法核验校验位、计算年龄")
        if re.fullmatch(r"\d{15}", number):
            raise IdNumberError("E087", "15 位旧身份证号码：请换用 18 位号码")
        raise IdNumberError("E087", f"身份证号码 {_hint(number)} 应为 18 位（17 位数字 + 数字或 X）")
    try:
        born = birth_date(number)
    except ValueError:
        # the month and day are what masking hides: never print them next to the masked form
        raise IdNumberError("E087", f"身份证号码 {mask(number)} 中的出生日期（第 7–14 位）不是有效日期") from None
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            "E087", f"身份证号码 {mask(number)} 校验位不正确（GB 11643）：末位应为 {expected}，请核对号码"
        )
    age = age_on(born, on)
    if age < 0:
        raise IdNumberError("E087", f"身份证号码 {mask(number)} 中的出生日期晚于发布时间 {on}")
    if age < MIN_AGE:
        raise IdNumberError("E084", f"发布时 {age} 岁：未成年人不得纳入失信被执行人名单（规定第四条）")
    return Identity(mask(number), gender(number), age)


def _hint(number: str) -> str:
    # never echo a whole (possibly valid) ID into messages or logs
    return f"{number[:6]}…（{len(number)} 位）" if len(number) > 10 else repr(number)


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender(number: str) -> str:
    """17th digit odd = 男; works on full and masked numbers alike."""
    return "男" if int(number[16]) % 2 else "女"


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask(number: str) -> str:
    """First 10 characters (region + birth year), ****, last 4: the national portal's form."""
    number = number.strip().upper()
    return number[:10] + "****" + number[14:]


# code → name as region_name gives it, known without the table: generator.read.viewcache fills it
# from the last build's records, so a rebuild that checks a few records needs no table (0.1 s)
KNOWN_REGIONS: dict[str, str] = {}


@lru_cache(maxsize=8192)
def region_name(code: str) -> str | None:
    """Latest name of a GB/T 2260 division, current or former; None when unknown."""
    known = KNOWN_REGIONS.get(code)
    if known is not None:
        return known
    if not re.fullmatch(r"\d{6}", code):
        return None
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    county = info.get("county")
    if not county:
        return None
    # "[1983-2019]桥东区,[2020-]襄都区" → the last name is the current or final one
    return county.split(",")[-1].split("]")[-1]


@lru_cache(maxsize=8192)
def province_name(code: str) -> str | None:
    for _part, props in numdb.get("cn/loc").info(code):
        if "province" in props:
            return props["province"]
    return None


USCC_RE = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_uscc_valid(number: str) -> bool:
    """GB 32100: 18 characters as published (upper case, no spaces) with the right check character.

    The same computation as stdnum.cn.uscc (a test compares them), without its clean-up
    of spaces and case, which would let a record publish "91370502 ma3c…" as valid; and
    8× faster, which matters at 100,000 records."""
    if not USCC_RE.fullmatch(number):
        return False
    total = sum(_USCC_VALUE[c] * w for c, w in zip(number[:17], _USCC_WEIGHTS, strict=True))
    return number[17] == _USCC_ALPHABET[-total % 31]
