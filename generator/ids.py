"""Identity numbers: GB 11643 citizen IDs (full and masked), GB 32100 USCC, GB/T 2260 regions."""

from __future__ import annotations

import re
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


@lru_cache(maxsize=8192)
def region_name(code: str) -> str | None:
    """Latest name of a GB/T 2260 division, current or former; None when unknown."""
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
