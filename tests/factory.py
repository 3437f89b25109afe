"""Fixture records: one valid record as a dict, changed per test, written as YAML."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from generator.staff.demo import to_yaml

AS_OF = date(2026, 11, 25)

BASE: dict[str, Any] = {
    "case_number": "（2024）鲁0502执1234号",
    "court": "东营市东营区人民法院",
    "region_code": "370502",
    "filed_on": date(2024, 3, 5),
    "basis": {"issuer": "东营市东营区人民法院", "document": "（2023）鲁0502民初5678号"},
    "debtor": {"kind": "person", "name": "张三丰", "id_masked": "3705021985****1234", "gender": "男", "age": 40},
    "obligation": "支付货款120000元及利息",
    "performance": "全部未履行",
    "outstanding": 120000.0,
    "grounds": ["evades_by_fraud"],
    "listed_on": date(2025, 6, 1),
    "term_years": 2,
    "status": "listed",
    "vetting": {
        "decision": "（2024）鲁0502执1234号之一",
        "entered_by": "王某（书记员）",
        "vetted_by": "李某（执行法官）",
        "vetted_on": date(2025, 5, 30),
    },
}

ORG_DEBTOR: dict[str, Any] = {
    "kind": "organization",
    "name": "东营鑫盛商贸有限公司",
    "uscc": "91370502MA3C0ABCD2",  # fixed up below with a real check character
    "legal_representative": "李四",
}


def _fix_uscc() -> None:
    from stdnum.cn import uscc

    body = ORG_DEBTOR["uscc"][:17]
    ORG_DEBTOR["uscc"] = body + uscc.calc_check_digit(body)


_fix_uscc()


def record(**changes: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced; `debtor__name="x"` replaces a nested key."""
    rec = copy.deepcopy(BASE)
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__", 1)
            rec[outer][inner] = value
        else:
            rec[key] = value
    return rec


def write(folder: Path, name: str, rec: dict[str, Any]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(rec), encoding="utf-8")
    return path

# A record without a term (art. 2: able_but_refuses alone), so that the art. 10 ¶1 removal
# reasons (performed…) apply to it (art. 10 ¶2)
NO_TERM: dict[str, Any] = {"grounds": ["able_but_refuses"], "term_years": None}
