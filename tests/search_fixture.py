"""A small named fixture index for the search tests, built with the real pipeline.

Records are written as YAML into tmp_path, checked by the real checker, decided by the real
policy and indexed by the real indexer: what the tests search is what a build would index.
Every name and number here is fictitious.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from generator.domain.ids import check_digit
from generator.domain.policy import PublicView, decide_records
from generator.read.checker import check_paths
from generator.render.outputs import NewsItem, RenderContext
from generator.state import paths
from search import indexer

from .factory import AS_OF, NO_TERM, ORG_DEBTOR, record, write

SETTINGS = {
    "SITENAME": "失信被执行人名单公示（测试）",
    "SITEURL": "",
    "PORTAL_DEMO": True,
    "PORTAL_SEARCH_URL": "/search/",
    "THEME": str(Path(__file__).resolve().parent.parent / "theme"),
}

LINJIN = {"court": "利津县人民法院", "region_code": "370522"}
GUANGRAO = {"court": "广饶县人民法院", "region_code": "370523"}


def _person(case: str, name: str, id_masked: str, gender: str, age: int, **extra):  # type: ignore[no-untyped-def]
    rec = record(case_number=case, **extra)
    rec["debtor"] = {"kind": "person", "name": name, "id_masked": id_masked, "gender": gender, "age": age}
    rec["vetting"]["decision"] = case + "之一"
    return rec


# name → record: public unless its key says otherwise
PUBLIC = {
    "张三丰": record(),  # （2024）鲁0502执1234号, 3705021985****1234
    "曾国藩": _person("（2024）鲁0502执1301号", "曾国藩", "3705021970****2315", "男", 55),
    "单雄信": _person("（2024）鲁0502执1302号", "单雄信", "3705021971****3325", "女", 54),
    "解缙": _person("（2024）鲁0502执1303号", "解缙", "3705021972****4335", "男", 53),
    "区志强": _person("（2024）鲁0502执1304号", "区志强", "3705021973****5345", "女", 52),
    "仇英": _person("（2024）鲁0502执1305号", "仇英", "3705021974****6355", "男", 51),
    "尉迟恭": _person("（2024）鲁0502执1306号", "尉迟恭", "3705021975****7365", "女", 50),
    "查良镛": _person("（2024）鲁0502执1307号", "查良镛", "3705021976****8375", "男", 49),
    "张伟": _person("（2024）鲁0522执77号", "张伟", "3705221980****0411", "男", 45, **LINJIN),
    "东营鑫盛商贸有限公司": record(
        case_number="（2024）鲁0523执88号",
        debtor=dict(ORG_DEBTOR),
        **GUANGRAO,
        vetting={**record()["vetting"], "decision": "（2024）鲁0523执88号之一"},
    ),  # fmt: skip
}
WITHHELD = {
    "王五": _person(
        "（2024）鲁0502执1401号",
        "王五",
        "3705021960****1910",
        "男",
        65,
        status="removed",
        removed_on=date(2026, 1, 10),
        removal_reason="performed", **NO_TERM,
    ),  # fmt: skip
    "赵六": _person(
        "（2019）鲁0502执1402号",
        "赵六",
        "3705021961****2920",
        "女",
        58,
        filed_on=date(2019, 3, 1),
        listed_on=date(2019, 6, 1),
        vetting={**record()["vetting"], "vetted_on": date(2019, 5, 30)},
    ),  # fmt: skip
    "钱七": _person("（2024）鲁0502执1403号", "钱七", "3705021962****3930", "男", 63),
    "孙八": _person(
        "（2024）鲁0502执1404号",
        "孙八",
        "3705021963****4940",
        "女",
        63,
        listed_on=date(2026, 12, 20),
        vetting={**record()["vetting"], "vetted_on": date(2026, 12, 19)},
    ),  # fmt: skip
    # removed a fortnight before AS_OF: its removal notice is public (case number, court, date, reason)
    "周九": _person(
        "（2024）鲁0502执1405号",
        "周九",
        "3705021964****5950",
        "男",
        62,
        status="removed",
        removed_on=date(2026, 11, 11),
        removal_reason="corrected",
    ),  # fmt: skip
}
REMOVED_CASE = "（2024）鲁0502执1405号"
# 钱七 is a draft: entered, not yet vetted
del WITHHELD["钱七"]["vetting"]["vetted_by"], WITHHELD["钱七"]["vetting"]["vetted_on"]
for _name, _rec in WITHHELD.items():
    _rec["vetting"] = {**_rec["vetting"], "decision": _rec["case_number"] + "之一"}

NEWS = [
    NewsItem(
        slug="jizhong-zhixing",
        title="东营区法院开展冬季集中执行行动",
        url="news/jizhong-zhixing/",
        date=date(2026, 11, 20),
        summary="东营区人民法院开展冬季集中执行行动。",
        text="东营区人民法院开展冬季集中执行行动，对拒不履行生效裁判的被执行人依法采取司法拘留、罚款等措施，"
        "共执结案件一百二十件。本文为演示内容，纯属虚构。",
        html="<p>演示内容。</p>",
    )
]


def full_id(masked: str) -> str:
    """A full 18-digit number whose masked form is `masked` (made up at run time, never stored)."""
    head, tail = masked[:10], masked[14:]
    for month in range(1, 13):
        for day in range(1, 29):
            first17 = f"{head}{month:02d}{day:02d}{tail[:3]}"
            if check_digit(first17) == tail[3]:
                return first17 + tail[3]
    raise AssertionError(f"no full number for {masked}")


def view(folder: Path, as_of: date = AS_OF) -> PublicView:
    for i, rec in enumerate([*PUBLIC.values(), *WITHHELD.values()]):
        write(folder, f"r{i:02d}.yaml", rec)
    result = check_paths([folder], drafts_ok=True)
    assert not result.errors, [str(e) for e in result.errors]
    return decide_records(result.records, as_of)


def context(folder: Path, as_of: date = AS_OF) -> RenderContext:
    return RenderContext(view=view(folder, as_of), settings=dict(SETTINGS), news=list(NEWS))


def build_index(tmp: Path, as_of: date = AS_OF) -> Path:
    """Records under tmp/content, the index in tmp/index; returns the index folder."""
    ctx = context(tmp / "content", as_of)
    out = tmp / "index"
    indexer.build(ctx, out)
    return out


# ---------------------------------------------------------------- build generations


def build_generation(output: Path, n: int, ctx, live: tuple[Path, dict[str, str]] | None = None):
    """Generation n of the site built into `output`: its site folder and its index (the live
    one updated when given), as generator.build lays them out; returns (index, docs)."""
    gen = paths.generations_dir(paths.state_dir(output)) / f"g{n:06d}"
    (gen / "site").mkdir(parents=True)
    (gen / "site" / "index.html").write_text(f"<!doctype html><title>第 {n} 次构建</title>", encoding="utf-8")
    result = indexer.build(ctx, gen / "index", *(live or (None, None)))
    return gen / "index", result.docs


def switch_link(output: Path, n: int) -> None:
    """The commit point of generator.build: a new link renamed over the output link."""
    site = paths.generations_dir(paths.state_dir(output)) / f"g{n:06d}" / "site"
    tmp = output.with_name(".link")
    os.symlink(os.path.relpath(site, output.parent), tmp)
    os.replace(tmp, output)
