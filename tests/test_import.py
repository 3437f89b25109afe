"""`chenglai import` on real CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX files written here."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from stdnum.cn import ric

from generator.cli import main
from generator.domain import ids
from generator.read.checker import check_paths
from generator.staff.casesystem import parse_date, parse_grounds

from .factory import record, write
from .staff_fixtures import (
    HEADERS,
    bad_check_digit,
    full_id,
    make_uscc,
    org_row,
    person_row,
    write_csv,
    write_xlsx,
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refusals(out: str) -> dict[int, set[str]]:
    """Row number → error codes, from the summary."""
    found: dict[int, set[str]] = {}
    for m in re.finditer(r"第 (\d+) 行[^：]*：(E\d{3}) ", out):
        found.setdefault(int(m[1]), set()).add(m[2])
    return found


def written(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))}


def assert_no_full_id(folder: Path, numbers: list[str]) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            text = p.read_text(encoding="utf-8")
            assert not ids.FULL_ID_RE.search(text), p
            for n in numbers:
                assert n not in text and n[:14] not in text, p


def mixed_rows() -> tuple[list[dict | None], list[str]]:
    """Good and bad rows; returns (rows, every full ID used). Row numbers: header is 1."""
    born_1970 = full_id("370502", "19700203", "456")
    minor = full_id("370502", "20100101", "111")
    rows: list[dict | None] = [
        person_row(1),  # row 2: good
        org_row(2),  # row 3: good organization; a ground wording with 、 inside, two grounds
        person_row(3, 证件号码=bad_check_digit(full_id(seq="333"))),  # row 4: bad check digit
        person_row(4, 证件号码=minor),  # row 5: minor on listed_on
        person_row(1, 证件号码=full_id(seq="555")),  # row 6: duplicate of row 2
        person_row(6, 失信情形="evades_by_fraud；拖欠不还"),  # row 7: unknown ground
        person_row(7, 发布时间="2025-02-30"),  # row 8: no such date
        org_row(
            8, 证件号码="91370502MA3C0ABCD0" if make_uscc()[-1] != "0" else "91370502MA3C0ABCD1"
        ),  # row 9: bad USCC
        None,  # row 10: blank
        person_row(11, 证件号码=born_1970, 失信情形="able_but_refuses", **{"期限（年）": ""}),  # row 11: good
    ]
    numbers = [r["证件号码"] for r in rows if r and r["被执行人类型"] == "自然人"]
    return rows, numbers


EXPECTED_REFUSALS = {4: {"E087"}, 5: {"E084"}, 6: {"E021"}, 7: {"E050"}, 8: {"E013"}, 9: {"E090"}}
EXPECTED_FILES = {
    "lu0502/2025-lu0502-zhi-1.yaml",
    "lu0502/2025-lu0502-zhi-2.yaml",
    "lu0502/2025-lu0502-zhi-11.yaml",
}


def test_xlsx_good_and_bad_rows(tmp_path, capsys):
    rows, numbers = mixed_rows()
    rows[0]["立案时间"] = datetime(2025, 3, 5)  # an Excel date cell
    rows[1]["发布时间"] = 45809  # an Excel serial day number (2025-06-01) in a General cell
    source = write_xlsx(tmp_path / "export.xlsx", rows)
    out_dir = tmp_path / "debtors"

    code, out, err = run(capsys, "import", str(source), "-o", str(out_dir))

    assert code == 1
    assert refusals(out) == EXPECTED_REFUSALS
    assert "新建 3 条，更新 0 条，未变 0 条，拒绝 6 行" in out
    assert "忽略第 21 列“备注”" in err and err.count("备注") == 1
    assert "只导入第一个工作表“失信名单”" in err
    files = written(out_dir)
    assert set(files) == EXPECTED_FILES
    assert_no_full_id(out_dir, numbers)

    first = yaml.safe_load(files["lu0502/2025-lu0502-zhi-1.yaml"])
    assert first["filed_on"] == date(2025, 3, 5)
    assert first["debtor"] == {
        "kind": "person", "name": "测试甲1", "id_masked": ids.mask(numbers[0]), "gender": "男", "age": 40,
    }  # fmt: skip
    assert first["vetting"] == {"decision": "（2025）鲁0502执1号之一", "entered_by": "王某（书记员）"}
    org = yaml.safe_load(files["lu0502/2025-lu0502-zhi-2.yaml"])
    assert org["grounds"] == ["obstructs_by_force", "violates_asset_report"]
    assert org["listed_on"] == date(2025, 6, 1)
    assert Decimal(str(org["outstanding"])) == Decimal("1234.50")
    assert org["debtor"]["uscc"] == make_uscc()

    # everything import wrote passes the check for drafts, and is a draft for the strict one
    assert check_paths([out_dir], drafts_ok=True).errors == []
    strict = check_paths([out_dir]).errors
    assert {e.code for e in strict} == {"E040"} and len(strict) == 3
    assert main(["check", "--drafts", str(out_dir)]) == 0


def test_region_code_younger_than_the_debtor_is_accepted(tmp_path, capsys):
    # 东营区 (370502) exists since 1983; IDs keep the code of where they were issued
    number = full_id("370502", "19700203", "456")
    with pytest.raises(Exception):  # noqa: B017 — stdnum's whole validate() refuses it
        ric.validate(number)
    source = write_csv(tmp_path / "export.csv", [person_row(9, 证件号码=number)])
    code, out, _err = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 0, out
    rec = yaml.safe_load((tmp_path / "d/lu0502/2025-lu0502-zhi-9.yaml").read_text(encoding="utf-8"))
    assert rec["debtor"]["id_masked"] == "3705021970****" + number[14:]
    assert rec["debtor"]["age"] == 55 and rec["debtor"]["gender"] == ("男" if int(number[16]) % 2 else "女")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_give_the_same_files(tmp_path, capsys, encoding):
    rows, numbers = mixed_rows()
    rows = [r for r in rows if r is not None]  # no blank line here: the last row is 10
    results = {}
    for enc in ("utf-8", encoding):
        folder = tmp_path / enc
        folder.mkdir()
        source = write_csv(folder / "export.csv", rows, encoding=enc)
        code, out, _err = run(capsys, "import", str(source), "-o", str(folder / "debtors"))
        assert code == 1
        assert refusals(out) == EXPECTED_REFUSALS
        assert_no_full_id(folder / "debtors", numbers)
        assert check_paths([folder / "debtors"], drafts_ok=True).errors == []
        results[enc] = written(folder / "debtors")
    assert set(results[encoding]) == EXPECTED_FILES
    assert results[encoding] == results["utf-8"]  # byte-identical whatever the encoding


def test_missing_required_column_is_one_error_and_writes_nothing(tmp_path, capsys):
    headers = [h for h in HEADERS if h != "证件号码"]
    source = write_csv(tmp_path / "export.csv", [person_row(1)], headers=headers)
    code, _out, err = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 1
    lines = [line for line in err.splitlines() if "E100" in line]
    assert len(lines) == 1 and "证件号码" in lines[0] and "身份证号码/统一社会信用代码" in lines[0]
    assert not (tmp_path / "d").exists()


def test_header_aliases_and_entered_by_option(tmp_path, capsys):
    aliases = {"证件号码": "身份证号码/统一社会信用代码", "法定代表人或负责人": "法定代表人", "期限（年）": "期限(年)"}
    headers = [aliases.get(h, h) for h in HEADERS if h != "录入人"]
    rows = [{aliases.get(k, k): v for k, v in r.items()} for r in (person_row(1), org_row(2))]
    source = write_csv(tmp_path / "export.csv", rows, headers=headers)
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 1 and "E100" in _ and "--entered-by" in _
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"), "--entered-by", "刘某（书记员）")
    assert code == 0, out
    for text in written(tmp_path / "d").values():
        assert yaml.safe_load(text)["vetting"]["entered_by"] == "刘某（书记员）"


def test_existing_record_is_kept_and_update_preserves_comments(tmp_path, capsys):
    out_dir = tmp_path / "d"
    source = write_csv(tmp_path / "export.csv", [person_row(1)])
    assert main(["import", str(source), "-o", str(out_dir)]) == 0
    path = out_dir / "lu0502/2025-lu0502-zhi-1.yaml"
    # a judge vets it and someone annotates it by hand
    assert main(["vet", str(path), "--by", "李某（执行法官）", "--on", "2025-05-30"]) == 0
    text = path.read_text(encoding="utf-8").replace(
        "obligation: 支付货款120000元及利息",
        "obligation: 支付货款120000元及利息  # 见判决书第 2 页\n# 履行情况经电话核实",
    )
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()

    # the same row again: refused without --update, file untouched
    code, out, _ = run(capsys, "import", str(source), "-o", str(out_dir))
    assert code == 1 and refusals(out) == {2: {"E102"}} and "--update" in out
    assert path.read_text(encoding="utf-8") == text

    # --update with identical content: nothing changes, the vetting stays
    code, out, _ = run(capsys, "import", str(source), "-o", str(out_dir), "--update")
    assert code == 0 and "未变 1 条" in out
    assert path.read_text(encoding="utf-8") == text

    # --update with a new amount: changed in place, comments and key order kept, back to draft
    write_csv(source, [person_row(1, 未履行金额="80000.5", 履行情况="部分未履行")])
    code, out, err = run(capsys, "import", str(source), "-o", str(out_dir), "--update")
    assert code == 0 and "更新 1 条" in out and "须重新审核" in err
    new = path.read_text(encoding="utf-8")
    assert "# 见判决书第 2 页\n# 履行情况经电话核实\nperformance: 部分未履行\noutstanding: 80000.50\n" in new
    assert new.startswith("# 由 chenglai import 从 export.csv 第 2 行导入；导入时为草稿")
    keys = [line.split(":")[0] for line in new.splitlines() if re.match(r"^[a-z_]+:", line)]
    assert keys == [line.split(":")[0] for line in text.splitlines() if re.match(r"^[a-z_]+:", line)]
    vetting = yaml.safe_load(new)["vetting"]
    assert "vetted_by" not in vetting and "vetted_on" not in vetting
    assert check_paths([out_dir], drafts_ok=True).errors == []


def test_duplicate_of_a_record_elsewhere_in_the_folder(tmp_path, capsys):
    out_dir = tmp_path / "d"
    write(out_dir, "hand/typed.yaml", record(case_number="(2025)鲁0502执1号"))
    source = write_csv(tmp_path / "export.csv", [person_row(1), person_row(2)])
    code, out, _ = run(capsys, "import", str(source), "-o", str(out_dir))
    assert code == 1 and refusals(out) == {2: {"E102"}}
    assert "hand/typed.yaml" in out
    assert set(written(out_dir)) == {"hand/typed.yaml", "lu0502/2025-lu0502-zhi-2.yaml"}
    assert check_paths([out_dir], drafts_ok=True).errors == []


def test_court_name_must_match_existing_records(tmp_path, capsys):
    out_dir = tmp_path / "d"
    write(out_dir, "lu0502/existing.yaml", record())
    source = write_csv(tmp_path / "export.csv", [person_row(5, 执行法院="东营区法院")])
    code, out, _ = run(capsys, "import", str(source), "-o", str(out_dir))
    assert code == 1 and refusals(out) == {2: {"E022"}}
    assert set(written(out_dir)) == {"lu0502/existing.yaml"}


def test_what_check_would_reject_is_never_written(tmp_path, capsys):
    rows = [
        person_row(1, 生效法律文书确定的义务=f"偿还借款（借款人身份证 {full_id(seq='777')}）"),  # E085
        person_row(2, 地区代码="999999"),  # E072 unknown region
        person_row(3, 立案时间="2025-07-01"),  # E030 filed after listed
        person_row(4, 失信情形="evades_by_fraud", **{"期限（年）": ""}),  # E051 term missing
        person_row(5, 证件号码=full_id(region="990101")),  # E081 unknown region in the ID
    ]
    source = write_csv(tmp_path / "export.csv", rows)
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 1
    assert refusals(out) == {2: {"E085"}, 3: {"E072"}, 4: {"E030"}, 5: {"E051"}, 6: {"E081"}}
    assert written(tmp_path / "d") == {}


def test_excel_number_id_and_bad_cells(tmp_path, capsys):
    number = next(n for s in range(800, 900) if not (n := full_id(seq=str(s))).endswith("X"))
    rows = [
        person_row(1, 证件号码=int(number)),
        person_row(2, 被执行人类型="公司"),
        person_row(3, 证件号码="3705021985****1234"),
        person_row(4, 未履行金额="12.345"),
        person_row(5, 执行案号="2025鲁0502执5号"),
        person_row(6, **{"被执行人姓名/名称": ""}),
    ]
    source = write_xlsx(tmp_path / "export.xlsx", rows)
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 1
    assert refusals(out) == {2: {"E087"}, 3: {"E012"}, 4: {"E087"}, 5: {"E070"}, 6: {"E020"}, 7: {"E011"}}
    assert "设为“文本”格式" in out
    assert number not in out and number[10:14] not in out  # refusals never echo a full number


def test_unreadable_files(tmp_path, capsys):
    bad = tmp_path / "export.xlsx"
    bad.write_bytes(b"not a zip")
    code, _out, err = run(capsys, "import", str(bad), "-o", str(tmp_path / "d"))
    assert code == 1 and "E101" in err
    old = tmp_path / "export.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    code, _out, err = run(capsys, "import", str(old), "-o", str(tmp_path / "d"))
    assert code == 1 and "另存为" in err
    code, _out, err = run(capsys, "import", str(tmp_path / "missing.csv"))
    assert code == 2


def test_sample_file_imports_cleanly(tmp_path, capsys):
    from scripts.make_import_sample import write_sample

    sample = write_sample(tmp_path / "import-sample.csv", date(2026, 3, 1))
    code, out, err = run(capsys, "import", str(sample), "-o", str(tmp_path / "d"))
    assert code == 0, out + err
    assert len(written(tmp_path / "d")) >= 3
    assert check_paths([tmp_path / "d"], drafts_ok=True).errors == []


def test_parse_grounds():
    assert parse_grounds("以伪造证据、暴力、威胁等方法妨碍、抗拒执行、违反财产报告制度") == [
        "obstructs_by_force",
        "violates_asset_report",
    ]
    assert parse_grounds("evades_by_fraud; violates_consumption_ban") == ["evades_by_fraud", "violates_consumption_ban"]
    assert parse_grounds("其他有履行能力而拒不履行生效法律文书确定义务") == ["able_but_refuses"]
    with pytest.raises(ValueError, match="未知的失信情形“逃债”"):
        parse_grounds("违反限制消费令，逃债")


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "20240305",
        "2024-03-05 00:00:00",
        datetime(2024, 3, 5),
        45356,
    ],
)
def test_parse_date(value):
    assert parse_date(value) == date(2024, 3, 5)


@pytest.mark.parametrize("value", ["2024-02-30", "05/03/2024", "明天", 12])
def test_parse_date_refuses(value):
    with pytest.raises(ValueError, match="不是有效日期"):
        parse_date(value)


def test_text_that_yaml_1_1_would_misread_stays_text(tmp_path, capsys):
    # ruamel writes YAML 1.2, the checker reads YAML 1.1: `No` would come back as false, `10:30` as 630
    rows = [org_row(1, **{"被执行人姓名/名称": "No", "法定代表人或负责人": "yes", "生效法律文书确定的义务": "10:30"})]
    source = write_csv(tmp_path / "export.csv", rows)
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 0, out
    (text,) = written(tmp_path / "d").values()
    rec = yaml.safe_load(text)
    assert (rec["debtor"]["name"], rec["debtor"]["legal_representative"], rec["obligation"]) == ("No", "yes", "10:30")


def test_extension_reason_and_service_dates_are_imported(tmp_path, capsys):
    # SPEC §6: 延长理由 (art. 2 ¶1) in words or as the code; 决定书作出日期 and 送达日期 (art. 5)
    rows = [org_row(1, **{"延长理由": "多项失信行为"}), org_row(2, **{"延长理由": "violence"}), org_row(3, **{"延长理由": "情节严重"})]
    headers = [*HEADERS, "决定书作出日期", "送达日期"]
    for row in rows:
        row.update({"决定书作出日期": "2025-05-28", "送达日期": "2025/5/29"})
    source = write_csv(tmp_path / "export.csv", rows, headers=headers)
    code, out, _ = run(capsys, "import", str(source), "-o", str(tmp_path / "d"))
    assert code == 1 and "第 4 行" in out and "E012 term_extension:" in out and "第二条第一款" in out
    recs = sorted((yaml.safe_load(t) for t in written(tmp_path / "d").values()), key=lambda r: r["case_number"])
    assert [r["term_extension"] for r in recs] == ["multiple_acts", "violence"]
    assert recs[0]["vetting"]["decided_on"] == date(2025, 5, 28) and recs[0]["vetting"]["served_on"] == date(2025, 5, 29)
