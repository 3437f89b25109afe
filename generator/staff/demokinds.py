"""Fictitious 限制消费令, 悬赏执行公告 and 集中曝光 batches for the demo site and tests (SPEC §7).

Seeded like generator.staff.demo: the same debtor records and seed give the same files. The
restricted and rewarded debtors are made here (names, IDs, companies from demo's generators),
and a batch naming the demo's debtor records.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from generator.domain import casenumber
from generator.staff import demo

HEADER = "# 演示数据：本文件由 scripts/make_demo.py 随机生成，姓名、证件号码、案号均为虚构。\n"
LIFT_REASONS = ("performed", "security_provided", "applicant_consent")


def _debtor(rng: random.Random, court: demo.Court, on: date, organisation: bool) -> dict[str, Any]:
    if organisation:
        name = f"东营{''.join(rng.sample(demo.ORG_WORDS, 2))}{rng.choice(demo.ORG_TRADES)}{rng.choice(demo.ORG_FORMS)}"
        return {"kind": "organization", "name": name, "uscc": demo._uscc(rng, court.region),
                "legal_representative": demo._name(rng)}  # fmt: skip
    born = rng.randint(on.year - 70, on.year - 20)
    gender = rng.choice("男女")
    seventeenth = rng.choice("13579" if gender == "男" else "02468")
    masked = f"{rng.choice(demo.ID_REGIONS)}{born}****{rng.randint(0, 99):02d}{seventeenth}{rng.choice('0123456789')}"
    return {"kind": "person", "name": demo._name(rng), "id_masked": masked, "gender": gender, "age": on.year - born}


def _vetting(rng: random.Random, decision: str, on: date) -> dict[str, Any]:
    return {"decision": decision, "entered_by": rng.choice(demo.CLERKS), "vetted_by": rng.choice(demo.JUDGES),
            "vetted_on": on - timedelta(days=rng.randint(0, 3))}  # fmt: skip


def make_restriction(rng: random.Random, as_of: date, serial: int, state: str = "in_force") -> dict[str, Any]:
    """One order; `state`: in_force | lifted_recently (a lift notice on as_of) | lifted_long_ago."""
    court = rng.choice(demo.COURTS)
    issued = as_of - timedelta(days=rng.randint(30, 700))
    case = f"（{issued.year}）{court.code}执{6000 + serial}号"
    organisation = serial % 2 == 0
    rec: dict[str, Any] = {
        "case_number": case, "court": court.name, "region_code": court.region,
        "order_no": f"{case}之二", "issued_on": issued, "debtor": _debtor(rng, court, issued, organisation),
    }  # fmt: skip
    if organisation:
        rep = rec["debtor"]["legal_representative"]
        rec["restricted_persons"] = [rep, demo._name(rng)]  # art. 3 ¶2: 法定代表人, 主要负责人…
    rec["status"] = "in_force"
    if state != "in_force":
        lifted = as_of - timedelta(days=rng.randint(3, 30) if state == "lifted_recently" else rng.randint(200, 300))
        rec["issued_on"] = min(issued, lifted - timedelta(days=20))
        rec["status"], rec["lifted_on"], rec["lift_reason"] = "lifted", lifted, rng.choice(LIFT_REASONS)
    rec["vetting"] = _vetting(rng, f"{case}之二", rec["issued_on"])
    return rec


def make_reward(rng: random.Random, as_of: date, serial: int, state: str = "open") -> dict[str, Any]:
    """One 悬赏执行公告; `state`: open | closed | expired."""
    court = rng.choice(demo.COURTS)
    published = as_of - timedelta(days=rng.randint(10, 120))
    until = published + timedelta(days=180) if state != "expired" else as_of - timedelta(days=3)
    case = f"（{published.year - 1}）{court.code}执{7000 + serial}号"
    share = rng.choice((5, 10, 15, 20))
    return {
        "case_number": case, "court": court.name, "region_code": court.region,
        "debtor": _debtor(rng, court, published, serial % 3 == 0),
        "applicant": "申请执行人" if serial % 2 else f"东营{''.join(rng.sample(demo.ORG_WORDS, 2))}贸易有限公司",
        "reward": f"按实际执行到位金额的 {share}% 给付悬赏金，最高不超过 {rng.randint(2, 20)} 万元",
        "conditions": "提供被执行人可供执行的财产线索或下落，经法院查证属实并执行到位",
        "contact": {"phone": "0546-12368", "address": f"{court.name}执行局（东营市某路 {rng.randint(1, 300)} 号）"},
        "published_on": published, "valid_until": until, "status": "closed" if state == "closed" else "open",
        "vetting": _vetting(rng, f"{case}之三", published),
    }  # fmt: skip


def _record_id(rec: dict[str, Any]) -> str:
    case = casenumber.parse(rec["case_number"])
    assert case is not None
    return casenumber.record_id(case, rec.get("debtor_seq"))


def make_batches(records: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """Two batches: one naming records (a few since removed: left out when built), one a selection."""
    named = [r for r in records if r["listed_on"] <= as_of - timedelta(days=20)][:12]
    first = as_of - timedelta(days=14)
    court = demo.COURTS[1]
    return [
        {"title": "第一期失信被执行人集中曝光（演示）", "court": demo.COURTS[0].name, "published_on": first,
         "records": [_record_id(r) for r in named],
         "vetting": {"decision": "东中法执〔2026〕1号", "entered_by": demo.CLERKS[0], "vetted_by": demo.JUDGES[0],
                     "vetted_on": first}},
        {"title": "第二期失信被执行人集中曝光（演示）", "court": court.name, "published_on": as_of - timedelta(days=2),
         "selection": {"court": court.name, "listed_from": as_of - timedelta(days=400), "listed_to": as_of},
         "vetting": {"decision": "东区法执〔2026〕2号", "entered_by": demo.CLERKS[1], "vetted_by": demo.JUDGES[1],
                     "vetted_on": as_of - timedelta(days=2)}},
    ]  # fmt: skip


def make_kinds(records: list[dict[str, Any]], seed: int = 2026, as_of: date = date(2026, 11, 25)) -> dict[str, Any]:
    """content-relative path → the item, for every demo item of the three kinds."""
    rng = random.Random(seed + 16)
    out: dict[str, Any] = {}
    states = ("in_force", "in_force", "in_force", "in_force", "lifted_recently", "lifted_long_ago")
    for i, state in enumerate(states):
        rec = make_restriction(rng, as_of, i, state)
        out[f"restrictions/{casenumber.parse(rec['case_number']).court_slug}/{_record_id(rec)}.yaml"] = rec  # type: ignore[union-attr]
    for i, state in enumerate(("open", "open", "open", "closed")):
        rec = make_reward(rng, as_of, i, state)
        out[f"rewards/{_record_id(rec)}.yaml"] = rec
    for batch in make_batches(records, as_of):
        out[f"exposure/{batch['published_on'].isoformat()}.yaml"] = batch
    return out


def write_kinds(content: Path, items: dict[str, Any], header: str = HEADER) -> list[Path]:
    out = []
    for rel, item in items.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + demo.to_yaml(item), encoding="utf-8")
        out.append(path)
    return out
