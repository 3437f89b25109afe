"""Fictitious records for the demo site, tests and benchmarks.

Every name, ID fragment, company and case here is produced by a seeded random generator;
none belongs to a real person. The demo site says so on every page (PORTAL_DEMO).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from stdnum.cn import uscc

from generator.domain import casenumber
from generator.domain.records import GROUNDS, REMOVAL_REASONS, TERM_REMOVAL_REASONS


@dataclass(frozen=True)
class Court:
    name: str
    code: str  # court code in case numbers
    region: str  # GB/T 2260


# The courts of Dongying (东营市), Shandong.
COURTS = (
    Court("东营市中级人民法院", "鲁05", "370500"),
    Court("东营市东营区人民法院", "鲁0502", "370502"),
    Court("东营市河口区人民法院", "鲁0503", "370503"),
    Court("东营市垦利区人民法院", "鲁0505", "370505"),
    Court("利津县人民法院", "鲁0522", "370522"),
    Court("广饶县人民法院", "鲁0523", "370523"),
)
# Polyphonic surnames are over-represented on purpose: search must find them by every reading.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕单解查区朴仇"
COMPOUND_SURNAMES = ("尉迟", "欧阳", "司马")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰金凤建国志红海燕春梅德成立新永庆文"
ORG_WORDS = "鑫盛泰华恒源丰顺达兴隆博远宏鼎瑞祥辉信诚利通"
ORG_TRADES = ("商贸", "建筑工程", "石油机械", "化工", "物流", "房地产开发", "农业科技", "汽车销售", "餐饮管理", "纺织")
ORG_FORMS = ("有限公司", "有限责任公司", "股份有限公司")
ID_REGIONS = ("370502", "370503", "370505", "370521", "370522", "370523", "370181", "370902", "371402", "370305")
OBLIGATIONS = (
    "支付货款{amount}元及利息", "偿还借款本金{amount}元及利息", "支付工程款{amount}元",
    "支付劳动报酬{amount}元", "赔偿损失{amount}元", "支付租金{amount}元及违约金",
)  # fmt: skip
CLERKS = ("王某（书记员）", "刘某（书记员）", "陈某（书记员）")
JUDGES = ("李某（执行法官）", "赵某（执行法官）", "孙某（执行局局长）")


def _name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _uscc(rng: random.Random, region: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def make_record(rng: random.Random, as_of: date, serial: int) -> dict[str, Any]:
    """One valid, vetted, fictitious record; about one in six is removed or expired."""
    court = rng.choice(COURTS)
    listed_on = as_of - timedelta(days=rng.randint(0, 1000))
    filed_on = listed_on - timedelta(days=rng.randint(60, 500))
    vetted_on = listed_on - timedelta(days=rng.randint(0, 5))
    year = filed_on.year
    case = f"（{year}）{court.code}执{1000 + serial}号"
    grounds = rng.sample(list(GROUNDS), k=rng.choice((1, 1, 1, 2)))
    term = None if grounds == ["able_but_refuses"] else rng.choice((2, 2, 2, 2, 3, 4, 5))
    amount = rng.randint(3, 5000) * 1000
    partly = rng.random() < 0.25
    rec: dict[str, Any] = {
        "case_number": case,
        "court": court.name,
        "region_code": court.region,
        "filed_on": filed_on,
        "basis": {
            "issuer": court.name,
            "document": f"（{year - 1}）{court.code}民初{rng.randint(100, 9999)}号",
        },
    }
    if rng.random() < 0.7:
        born = rng.randint(listed_on.year - 75, listed_on.year - 19)
        age = listed_on.year - born - rng.choice((0, 1))
        gender = rng.choice("男女")
        seventeenth = rng.choice("13579" if gender == "男" else "02468")
        id_masked = (
            f"{rng.choice(ID_REGIONS)}{born}****{rng.randint(0, 99):02d}{seventeenth}{rng.choice('0123456789X')}"
        )
        rec["debtor"] = {"kind": "person", "name": _name(rng), "id_masked": id_masked, "gender": gender, "age": age}
    else:
        name = f"东营{''.join(rng.sample(ORG_WORDS, 2))}{rng.choice(ORG_TRADES)}{rng.choice(ORG_FORMS)}"
        rec["debtor"] = {
            "kind": "organization",
            "name": name,
            "uscc": _uscc(rng, court.region),
            "legal_representative": _name(rng),
        }
    rec["obligation"] = rng.choice(OBLIGATIONS).format(amount=amount)
    rec["performance"] = "部分未履行" if partly else "全部未履行"
    rec["outstanding"] = float(amount // 2 if partly else amount)
    rec["grounds"] = grounds
    rec["listed_on"] = listed_on
    if term is not None:
        rec["term_years"] = term
        if term > 2:  # art. 2 ¶1: an extension says why (no random draw: the same demo as before)
            rec["term_extension"] = "violence" if "obstructs_by_force" in grounds else "multiple_acts"
    rec["status"] = "listed"
    if rng.random() < 0.1:
        removed = min(as_of, listed_on + timedelta(days=rng.randint(10, 400)))
        rec["status"] = "removed"
        rec["removed_on"] = removed
        reason = rng.choice([r for r in REMOVAL_REASONS if r != "term_expired"])
        if term is not None and reason not in TERM_REMOVAL_REASONS:
            reason = "early_deletion"  # art. 10 ¶2: a term record leaves by early deletion or correction
        rec["removal_reason"] = reason
    clerk = rng.choice(CLERKS)
    rec["vetting"] = {
        "decision": f"{case}之一",
        "entered_by": clerk,
        "vetted_by": rng.choice(JUDGES),
        "vetted_on": vetted_on,
        # art. 5: decided when vetted, served before the listing (derived: no extra random draw)
        "decided_on": vetted_on,
        "served_on": vetted_on + timedelta(days=(listed_on - vetted_on).days // 2),
    }
    return rec


def make_records(n: int, seed: int = 2026, as_of: date = date(2026, 11, 25)) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = [make_record(rng, as_of, i) for i in range(n)]
    # a few cases with several debtors (debtor_seq), as real lists have
    for i in range(0, n - 1, 25):
        # same case, same decision: only the debtor and what it owes differ
        second = {**records[i], "debtor": records[i + 1]["debtor"], "debtor_seq": 2}
        second["obligation"], second["outstanding"] = records[i + 1]["obligation"], records[i + 1]["outstanding"]
        if second["debtor"]["kind"] == "person":
            # the second debtor came from a record listed in another year: re-derive the age,
            # and keep the debtor an adult in this case's listing year (art. 4)
            masked = second["debtor"]["id_masked"]
            born = min(int(masked[6:10]), second["listed_on"].year - 18)
            masked = f"{masked[:6]}{born}{masked[10:]}"
            second["debtor"] = {**second["debtor"], "id_masked": masked, "age": second["listed_on"].year - born}
        records[i] = {**records[i], "debtor_seq": 1}
        records[i + 1] = _ordered(second)
    # a re-listing (art. 10 ¶3) in every block of 50: the record after a removed one becomes
    # the same case and debtor listed again; the shared cases above are left alone
    for start in range(2, n - 1, 50):
        for k in range(start, min(start + 22, n - 1)):
            if k % 25 not in (0, 1) and (k + 1) % 25 not in (0, 1) and records[k]["status"] == "removed":
                again = _relisted(records[k], as_of)
                if again is not None:
                    records[k + 1] = again
                    break
    # a grace period (法发〔2019〕35号) every 60 records: public a week after its listing day
    for i in range(17, n, 60):
        records[i] = {**records[i], "grace_until": records[i]["listed_on"] + timedelta(days=7)}
    return [_ordered(r) for r in records]


def _relisted(rec: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The same case and debtor listed again a month after its removal, or None when too late."""
    removed = rec["removed_on"]
    listed = min(as_of, removed + timedelta(days=30))
    if listed < removed + timedelta(days=2):
        return None
    again = {k: v for k, v in rec.items() if k not in ("removed_on", "removal_reason", "grace_until")}
    day_before = listed - timedelta(days=1)
    again.update(listing_no=2, status="listed", listed_on=listed)
    again["vetting"] = {**rec["vetting"], "decision": f"{rec['case_number']}之二", "vetted_on": day_before,
                        "decided_on": day_before, "served_on": day_before}  # fmt: skip
    debtor = rec["debtor"]
    if debtor["kind"] == "person":  # a year older perhaps: the age on the new listing day
        born = int(debtor["id_masked"][6:10])
        again["debtor"] = {**debtor, "age": max(debtor["age"], listed.year - born - 1)}
    return again


_ORDER = (
    "case_number", "court", "region_code", "filed_on", "basis", "debtor", "debtor_seq", "listing_no",
    "obligation", "performance", "outstanding", "grounds", "listed_on", "term_years", "term_extension",
    "grace_until", "status", "removed_on", "removal_reason", "vetting",
)  # fmt: skip


def _ordered(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in _ORDER if k in rec}


# libyaml's emitter: the same text as the pure-Python one for these records (checked on
# 3,000 of them), 6x faster, which the 100,000-record benchmark feels
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # records refuse anchors/aliases (E006); shared dates must be written out


def to_yaml(rec: dict[str, Any]) -> str:
    return yaml.dump(rec, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=200)


def record_path(rec: dict[str, Any]) -> str:
    """content-relative path: debtors/<court slug>/<record id>.yaml."""
    case = casenumber.parse(rec["case_number"])
    assert case is not None
    return f"{case.court_slug}/{casenumber.record_id(case, rec.get('debtor_seq'), rec.get('listing_no'))}.yaml"


def write_records(folder: Path, records: list[dict[str, Any]]) -> list[Path]:
    out = []
    for rec in records:
        path = folder / record_path(rec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(rec), encoding="utf-8")
        out.append(path)
    return out
