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


# -- other identity documents (SPEC §6: debtor.id_kind) ----------------------------------------
# The residence permits of Hong Kong, Macao and Taiwan residents and the 2023 foreigner's
# permanent residence ID are 18 characters in the GB 11643 layout (with its check character):
# they are masked like a resident ID, and a full one is found by the same text scan (E085, the
# leak gate's FULL_ID_RE). Region codes: 810000 Hong Kong, 820000 Macao, 830000 Taiwan; the
# foreigner's ID begins with 9 (then province, nationality, birth date).
PERMIT_REGIONS = {"hk_macao_permit": ("810000", "820000"), "taiwan_permit": ("830000",)}
# 2017 foreigner's permanent residence card: 3 letters (nationality) + 12 digits
FOREIGN_OLD_RE = re.compile(r"[A-Z]{3}\d{12}")
FOREIGN_OLD_MASKED_RE = re.compile(r"[A-Z]{3}\d{4}\*{4}\d{4}")
PASSPORT_RE = re.compile(r"(?=[A-Z0-9]*\d)[A-Z0-9]{5,17}")
PASSPORT_MASKED_RE = re.compile(r"[A-Z0-9]{2}\*{4}[A-Z0-9]{2}")


def mask_any(number: str, kind: str = "resident") -> str:
    """The published (masked) form of an identity number of the given kind: 18-character numbers
    keep 10 + **** + 4 (the national portal's form), the 2017 foreigner's card 7 + **** + 4,
    a passport its first two and last two characters."""
    number = re.sub(r"[\s-]", "", number).upper()
    if kind == "passport":
        return number[:2] + "****" + number[-2:]
    if kind == "foreign_permanent" and FOREIGN_OLD_RE.fullmatch(number):
        return number[:7] + "****" + number[11:]
    return mask(number)


def masked_problem(masked: str, kind: str) -> str | None:
    """Why a masked number does not fit its kind (a Chinese message), or None; the resident ID's
    own rules (region, birth year, gender) stay in rules.py."""
    if kind == "passport":
        if PASSPORT_MASKED_RE.fullmatch(masked):
            return None
        if PASSPORT_RE.fullmatch(masked):
            return f"护照号码未脱敏：应写成前 2 位 + **** + 后 2 位，如 {mask_any(masked, 'passport')}"
        return f"护照号码（脱敏）{masked!r} 格式不正确：应为前 2 位 + **** + 后 2 位（大写字母或数字），如 E1****78"
    if kind == "foreign_permanent" and FOREIGN_OLD_MASKED_RE.fullmatch(masked):
        return None  # the 2017 card: shape only (no published check character)
    if kind == "foreign_permanent" and FOREIGN_OLD_RE.fullmatch(masked):
        return f"外国人永久居留证号码未脱敏：应写成前 7 位 + **** + 后 4 位，如 {mask_any(masked, kind)}"
    m = MASKED_RE.match(masked)
    if m is None:
        return None  # the shape error (E080) is the resident rule's, with its example
    if kind in PERMIT_REGIONS and m["region"] not in PERMIT_REGIONS[kind]:
        expected = "、".join(PERMIT_REGIONS[kind])
        return f"{_KIND_NAMES[kind]}号码应以 {expected} 开头，实际为 {m['region']}"
    if kind == "foreign_permanent" and not masked.startswith("9"):
        return "外国人永久居留身份证（2023 年版，18 位）号码以 9 开头；2017 年版为 3 个字母 + 12 位数字"
    return None


def masked_without_birth(masked: str, kind: str) -> bool:
    """A passport or a 2017 foreigner's card: no birth year or gender to compare with the record."""
    return kind == "passport" or (kind == "foreign_permanent" and FOREIGN_OLD_MASKED_RE.fullmatch(masked) is not None)


_KIND_NAMES = {"hk_macao_permit": "港澳居民居住证", "taiwan_permit": "台湾居民居住证"}

# GB 11714 组织机构代码: 8 characters (digits or capital letters) and a check character
ORG_CODE_RE = re.compile(r"[0-9A-Z]{8}-[0-9X]")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body: str) -> str:
    """GB 11714 check character of the 8-character body (python-stdnum has no module for it):
    11 − (Σ value × weight mod 11), 10 → X, 11 → 0; letters are worth A = 10 … Z = 35."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def is_org_code_valid(code: str) -> bool:
    """Written as published (12345678-8) with the right check character."""
    return ORG_CODE_RE.fullmatch(code) is not None and org_code_check(code[:8]) == code[9]
