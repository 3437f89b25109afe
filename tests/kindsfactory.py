"""Fixture items of the other kinds (SPEC §7): one valid item of each as a dict, changed per test,
and the standard set the site tests build (public and non-public of each kind)."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from generator.staff.demo import to_yaml

from .factory import ORG_DEBTOR

VETTING = {"decision": "（2025）鲁0502执3001号之二", "entered_by": "王某（书记员）", "vetted_by": "李某（执行法官）",
           "vetted_on": date(2025, 9, 1)}  # fmt: skip
RESTRICTION: dict[str, Any] = {
    "case_number": "（2025）鲁0502执3001号",
    "court": "东营市东营区人民法院",
    "region_code": "370502",
    "order_no": "（2025）鲁0502执3001号之二",
    "issued_on": date(2025, 9, 1),
    "debtor": {"kind": "person", "name": "褚限甲", "id_masked": "3705021980****1234", "gender": "男", "age": 45},
    "status": "in_force",
    "vetting": VETTING,
}
REWARD: dict[str, Any] = {
    "case_number": "（2025）鲁0502执4001号",
    "court": "东营市东营区人民法院",
    "region_code": "370502",
    "debtor": {"kind": "person", "name": "许悬赏", "id_masked": "3705021975****5678", "gender": "男", "age": 51},
    "applicant": "申请执行人",
    "reward": "按实际执行到位金额的 10% 给付",
    "conditions": "提供被执行人可供执行的财产线索，经查证属实并执行到位",
    "contact": {"phone": "0546-8888888", "address": "东营市东营区人民法院执行局"},
    "published_on": date(2026, 10, 1),
    "valid_until": date(2027, 1, 1),
    "status": "open",
    "vetting": {**VETTING, "decision": "（2025）鲁0502执4001号之三", "vetted_on": date(2026, 9, 30)},
}
BATCH: dict[str, Any] = {
    "title": "第一期失信被执行人曝光台",
    "court": "东营市东营区人民法院",
    "published_on": date(2026, 11, 20),
    "records": ["2024-lu0502-zhi-1234"],
    "vetting": {**VETTING, "decision": "东区法执〔2026〕1号", "vetted_on": date(2026, 11, 20)},
}


def _changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__", 1)
            out[outer][inner] = value
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def restriction(**changes: Any) -> dict[str, Any]:
    if "case_number" in changes:  # the order's number is the case's, as courts number them
        changes.setdefault("order_no", changes["case_number"] + "之二")
    return _changed(RESTRICTION, changes)


def reward(**changes: Any) -> dict[str, Any]:
    return _changed(REWARD, changes)


def batch(**changes: Any) -> dict[str, Any]:
    return _changed(BATCH, changes)


def org(name: str) -> dict[str, Any]:
    return dict(ORG_DEBTOR, name=name, legal_representative="冯法代")


def standard_kinds() -> dict[str, dict[str, Any]]:
    """content-relative path → item: public and non-public items of each kind (AS_OF 2026-11-25)."""
    return {
        "restrictions/lu0502/person.yaml": restriction(),
        "restrictions/lu0502/org.yaml": restriction(
            case_number="（2025）鲁0502执3002号", debtor=org("东营限消测试贸易有限公司"),
            restricted_persons=["冯法代", "卫受限"],
        ),
        # lifted last month: a 解除限制消费令公告 naming the unit, never its art. 3 ¶2 persons
        "restrictions/lu0502/lifted.yaml": restriction(
            case_number="（2025）鲁0502执3003号", debtor=org("东营解除测试有限公司"), restricted_persons=["杨隐名"],
            status="lifted", lifted_on=date(2026, 11, 10), lift_reason="performed",
        ),
        # lifted long ago: no trace
        "restrictions/lu0502/old.yaml": restriction(
            case_number="（2024）鲁0502执3004号", debtor__name="韩久解", status="lifted", lifted_on=date(2026, 1, 1),
            lift_reason="applicant_consent",
        ),
        # issued after the build date: no trace, not even its art. 3 ¶2 persons
        "restrictions/lu0502/future.yaml": restriction(
            case_number="（2026）鲁0502执3006号", debtor=org("东营秦将来限有限公司"), restricted_persons=["尤未来"],
            issued_on=date(2026, 12, 10), vetting__vetted_on=date(2026, 12, 1),
        ),
        "rewards/open.yaml": reward(applicant="东营悬赏申请贸易有限公司"),
        "rewards/closed.yaml": reward(case_number="（2025）鲁0502执4002号", debtor__name="何关闭赏", status="closed"),
        "rewards/expired.yaml": reward(
            case_number="（2025）鲁0502执4003号", debtor__name="吕过期赏", valid_until=date(2026, 11, 20)
        ),
        # names the public person, the removed and the expired records: only the first is shown
        "exposure/2026-11-20.yaml": batch(records=["2024-lu0502-zhi-1234", "2024-lu0502-zhi-2001", "2022-lu0502-zhi-2002"]),
        "exposure/2026-11-21.yaml": batch(
            title="第二期失信被执行人曝光台", published_on=date(2026, 11, 21), records=None,
            selection={"court": "东营市东营区人民法院", "listed_from": date(2025, 1, 1), "listed_to": date(2026, 11, 25)},
            vetting__vetted_on=date(2026, 11, 21),
        ),
        "exposure/2026-12-01.yaml": batch(title="第三期（未发布）", published_on=date(2026, 12, 1),
                                          vetting__vetted_on=date(2026, 12, 1)),  # fmt: skip
    }  # fmt: skip


# what must leave no trace on AS_OF (names, case numbers)
KINDS_NON_PUBLIC = {
    "restriction-old": ("韩久解", "（2024）鲁0502执3004号"),
    "restriction-future": ("东营秦将来限有限公司", "（2026）鲁0502执3006号"),
    "restriction-future-person": ("尤未来", None),
    "restriction-lifted-person": ("杨隐名", None),
    "reward-closed": ("何关闭赏", "（2025）鲁0502执4002号"),
    "reward-expired": ("吕过期赏", "（2025）鲁0502执4003号"),
}


def write_kinds(content: Path, items: dict[str, dict[str, Any]]) -> list[Path]:
    out = []
    for rel, item in items.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(item), encoding="utf-8")
        out.append(path)
    return out
