"""vet, mask, remove, expiring and the round-trip editing under them, on real record files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from generator.cli import main, today_shanghai
from generator.domain import ids
from generator.domain.policy import decide_records
from generator.read.checker import check_paths
from generator.staff.editing import Document

from .factory import ORG_DEBTOR, record, write
from .staff_fixtures import bad_check_digit, full_id

ROOT = Path(__file__).parent.parent


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# A draft as a clerk might leave it: comments everywhere, a flow list, 4-space indent.
DRAFT = """\
# 录入自执行案件系统，已核对纸质卷宗
case_number: （2024）鲁0502执1234号   # 执行案号
court: 东营市东营区人民法院
region_code: "370502"
filed_on: 2024-03-05
basis:
    issuer: 东营市东营区人民法院
    document: （2023）鲁0502民初5678号
debtor:
    kind: person
    name: 张三丰
    id_masked: {id}
    gender: 男
    age: 40
obligation: 支付货款120000元及利息
performance: 全部未履行
outstanding: 120000.00
grounds: [evades_by_fraud]   # 隐匿财产
listed_on: 2025-06-01
term_years: 2
status: listed   # 在列
# 以下为审核信息
vetting:
    decision: （2024）鲁0502执1234号之一
    entered_by: 王某（书记员）   # 录入
# 文件结束
"""


def draft(tmp_path: Path, id_masked: str = "3705021985****1235", name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(DRAFT.format(id=id_masked), encoding="utf-8")
    return path


# -- editing ---------------------------------------------------------------------------------


def test_round_trip_leaves_every_demo_file_byte_identical():
    files = sorted((ROOT / "content" / "debtors").rglob("*.yaml"))
    assert len(files) >= 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert Document(text).dumps() == text, path


def test_inserted_and_deleted_keys_keep_comments_in_place():
    doc = Document(DRAFT.format(id="3705021985****1235"))
    doc.set(("removed_on",), date(2026, 1, 1))  # goes after status, before the vetting comment
    doc.set(("vetting", "vetted_by"), "李某")  # goes after the last key, before the end comment
    text = doc.dumps()
    assert "status: listed   # 在列\nremoved_on: 2026-01-01\n# 以下为审核信息\nvetting:" in text
    assert "    entered_by: 王某（书记员）   # 录入\n    vetted_by: 李某\n# 文件结束\n" in text
    doc.delete(("vetting", "vetted_by"))
    doc.delete(("removed_on",))
    assert doc.dumps() == DRAFT.format(id="3705021985****1235")


# -- vet -------------------------------------------------------------------------------------


def test_vet_records_the_second_person_and_keeps_the_file(tmp_path, capsys):
    path = draft(tmp_path)
    assert check_paths([path]).errors[0].code == "E040"
    code, out, _ = run(capsys, "vet", str(path), "--by", "李某（执行法官）", "--on", "2025-05-30")
    assert code == 0, out
    expected = DRAFT.format(id="3705021985****1235").replace(
        "    entered_by: 王某（书记员）   # 录入\n",
        "    entered_by: 王某（书记员）   # 录入\n    vetted_by: 李某（执行法官）\n    vetted_on: 2025-05-30\n",
    )
    assert path.read_text(encoding="utf-8") == expected
    assert check_paths([path]).errors == []
    # again by the same person: nothing to do
    code, out, _ = run(capsys, "vet", str(path), "--by", "李某（执行法官）", "--on", "2025-05-31")
    assert code == 0 and "未变 1 条" in out
    assert path.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("by", ["王某（书记员）", "王某", " 王某(书记员) "])
def test_vet_refuses_the_clerk_who_entered_it(tmp_path, capsys, by):
    path = draft(tmp_path)
    before = path.read_bytes()
    code, out, _ = run(capsys, "vet", str(path), "--by", by, "--on", "2025-05-30")
    assert code == 1 and "E041" in out and "须由另一人审核" in out
    assert path.read_bytes() == before


def test_vet_refuses_a_record_vetted_by_someone_else_but_skips_it_in_a_folder(tmp_path, capsys):
    vetted = write(tmp_path, "a.yaml", record())  # vetted by 李某（执行法官）
    other = draft(tmp_path, name="b.yaml")
    before = vetted.read_bytes()
    code, out, _ = run(capsys, "vet", str(vetted), "--by", "赵某（执行法官）", "--on", "2025-05-30")
    assert code == 1 and "E041" in out and "已由 李某（执行法官）" in out
    code, out, _ = run(capsys, "vet", str(tmp_path), "--by", "赵某（执行法官）", "--on", "2025-05-30")
    assert code == 0 and "审核 1 条" in out and "跳过 1 条" in out
    assert vetted.read_bytes() == before
    assert yaml.safe_load(other.read_text(encoding="utf-8"))["vetting"]["vetted_by"] == "赵某（执行法官）"


def test_vet_refuses_what_check_would_reject(tmp_path, capsys):
    path = draft(tmp_path)
    before = path.read_bytes()
    code, out, _ = run(capsys, "vet", str(path), "--by", "李某", "--on", "2025-06-02")  # after listed_on
    assert code == 1 and "E031" in out
    full = draft(tmp_path, id_masked=full_id(born="19850101", seq="123"), name="full.yaml")
    code, out, _ = run(capsys, "vet", str(full), "--by", "李某", "--on", "2025-05-30")
    assert code == 1 and "E085" in out and "chenglai mask" in out
    assert path.read_bytes() == before


def test_vet_defaults_to_today_in_shanghai(tmp_path, capsys):
    future = record(
        debtor=dict(ORG_DEBTOR), listed_on=date(2099, 1, 1), vetting={"decision": "决定", "entered_by": "王某"}
    )
    path = write(tmp_path, "r.yaml", future)
    code, out, _ = run(capsys, "vet", str(path), "--by", "李某")
    assert code == 0, out
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["vetting"]["vetted_on"] == today_shanghai()


# -- mask ------------------------------------------------------------------------------------


def test_mask_rewrites_full_ids_everywhere_and_derives_gender_and_age(tmp_path, capsys):
    number = full_id(born="19850101", seq="124")  # 17th digit 4: 女
    other = full_id(born="19600505", seq="777")
    text = DRAFT.format(id=number).replace("    gender: 男\n    age: 40\n", "") + f"# 旧卷宗所载号码 {other}\n"
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    assert {e.code for e in check_paths([path], drafts_ok=True).errors} >= {"E085"}

    code, out, _ = run(capsys, "mask", str(tmp_path))
    assert code == 0 and "已脱敏" in out
    new = path.read_text(encoding="utf-8")
    assert not ids.FULL_ID_RE.search(new) and number not in new and other not in new
    assert f"    id_masked: {ids.mask(number)}\n    gender: 女\n    age: 40\n" in new
    assert f"# 旧卷宗所载号码 {ids.mask(other)}\n" in new
    assert "case_number: （2024）鲁0502执1234号   # 执行案号\n" in new and "# 以下为审核信息\nvetting:" in new
    assert check_paths([path], drafts_ok=True).errors == []
    # a second run has nothing to do
    code, out, _ = run(capsys, "mask", str(path))
    assert code == 0 and "脱敏 0 个文件" in out and path.read_text(encoding="utf-8") == new


def test_mask_accepts_a_region_younger_than_the_debtor_and_an_unquoted_number(tmp_path, capsys):
    number = next(n for s in range(100, 200) if not (n := full_id("370502", "19700203", str(s))).endswith("X"))
    path = write(tmp_path, "r.yaml", record(debtor__id_masked=int(number), debtor__age=55))
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8"))["debtor"]["id_masked"], int)
    code, out, _ = run(capsys, "mask", str(path))
    assert code == 0, out
    debtor = yaml.safe_load(path.read_text(encoding="utf-8"))["debtor"]
    assert debtor["id_masked"] == ids.mask(number) and debtor["age"] == 55


@pytest.mark.parametrize(
    ("number", "gender", "code", "line"),
    [
        (bad_check_digit(full_id(seq="123")), "男", "E087", 12),  # check digit
        (full_id(born="19850230", seq="123"), "男", "E087", 12),  # no such birth date
        (full_id(born="20100101", seq="123"), "男", "E084", 12),  # 15 on listed_on
        (full_id(born="19850101", seq="123"), "女", "E083", 13),  # 17th digit odd: 男
    ],
)
def test_mask_refuses_and_leaves_the_file(tmp_path, capsys, number, gender, code, line):
    path = draft(tmp_path, id_masked=number)
    path.write_text(path.read_text(encoding="utf-8").replace("gender: 男", f"gender: {gender}"), encoding="utf-8")
    before = path.read_bytes()
    status, out, _ = run(capsys, "mask", str(path))
    assert status == 1 and f"{path}:{line}: {code} " in out, out
    assert path.read_bytes() == before
    assert number not in out and number[10:14] not in out  # nor what the mask hides


# -- remove ----------------------------------------------------------------------------------


def test_remove_finds_the_record_by_normalised_case_number(tmp_path, capsys):
    folder = tmp_path / "debtors"
    folder.mkdir()
    path = draft(folder)
    assert main(["vet", str(path), "--by", "李某", "--on", "2025-05-30"]) == 0
    before = path.read_text(encoding="utf-8")
    capsys.readouterr()
    code, out, _ = run(
        capsys, "remove", "(２０２４) 鲁0502执１２３４号", "--reason", "early_deletion", "--on", "2026-11-27", str(folder)
    )
    assert code == 0, out
    assert "三个工作日" in out and "2026-12-02" in out  # Friday + 3 working days
    after = path.read_text(encoding="utf-8")
    assert after == before.replace(
        "status: listed   # 在列\n",
        "status: removed  # 在列\nremoved_on: 2026-11-27\nremoval_reason: early_deletion\n",
    )
    result = check_paths([folder])
    assert result.errors == []
    view = decide_records(result.records, date(2026, 11, 28))
    assert view.public == () and [(n.reason, n.removed_on) for n in view.notices] == [("early_deletion", date(2026, 11, 27))]
    # the same again: nothing to change; a different reason: refused
    assert (
        run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "提前删除（信用修复）", "--on", "2026-11-27", str(folder))[0]
        == 0
    )
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "terminated", str(folder))
    assert code == 1 and path.read_text(encoding="utf-8") == after


def test_remove_with_several_debtors_needs_seq(tmp_path, capsys):
    folder = tmp_path / "debtors"
    one = write(folder, "a-1.yaml", record(debtor_seq=1))
    two = write(folder, "a-2.yaml", record(debtor_seq=2, debtor=dict(ORG_DEBTOR)))
    code, _out, err = run(
        capsys, "remove", "（2024）鲁0502执1234号", "--reason", "performed", "--on", "2026-01-05", str(folder)
    )
    assert code == 2 and "--seq 1  张三丰" in err and "--seq 2  东营鑫盛商贸有限公司" in err
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "corrected", "--seq", "2", "--on", "2026-01-05", str(folder))  # fmt: skip
    assert code == 0, out
    assert yaml.safe_load(two.read_text(encoding="utf-8"))["status"] == "removed"
    assert yaml.safe_load(one.read_text(encoding="utf-8"))["status"] == "listed"
    code, _out, err = run(
        capsys, "remove", "（2024）鲁0502执1234号", "--reason", "performed", "--seq", "3", str(folder)
    )
    assert code == 2 and "未找到" in err


def test_remove_refusals(tmp_path, capsys):
    folder = tmp_path / "debtors"
    path = write(folder, "a.yaml", record())
    before = path.read_bytes()
    code, _out, err = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "term_expired", str(folder))
    assert code == 2 and "自动计算" in err
    code, _out, err = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "paid", str(folder))
    assert code == 2 and "settlement_performed" in err
    code, _out, err = run(capsys, "remove", "（2024）鲁0502执9999号", "--reason", "performed", str(folder))
    assert code == 2 and "未找到" in err
    code, _out, err = run(capsys, "remove", "鲁0502执1234", "--reason", "performed", str(folder))
    assert code == 2 and "格式不正确" in err
    code, out, _ = run(
        capsys, "remove", "（2024）鲁0502执1234号", "--reason", "performed", "--on", "2025-01-01", str(folder)
    )
    assert code == 1 and "E062" in out  # removed before it was listed
    assert path.read_bytes() == before


def test_remove_defaults_to_today_in_shanghai(tmp_path, capsys):
    folder = tmp_path / "debtors"
    path = write(folder, "a.yaml", record())
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", str(folder), "--reason", "early_deletion")
    assert code == 0, out
    rec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert (rec["removed_on"], rec["removal_reason"]) == (today_shanghai(), "early_deletion")


# -- expiring --------------------------------------------------------------------------------


def test_expiring_lists_terms_ending_in_the_window_sorted(tmp_path, capsys):
    def rec(n: int, listed: date, term: int | None, **changes):
        grounds = ["able_but_refuses"] if term is None else ["evades_by_fraud"]
        if term is not None and term > 2:
            changes["term_extension"] = "multiple_acts"
        return record(
            case_number=f"（2024）鲁0502执{n}号", filed_on=date(2023, 1, 1), listed_on=listed, term_years=term,
            grounds=grounds, vetting__vetted_on=listed, **changes,
        )  # fmt: skip

    folder = tmp_path / "debtors"
    write(folder, "a.yaml", rec(1, date(2024, 12, 1), 2))  # ends 2026-12-01: 6 days
    write(folder, "b.yaml", rec(2, date(2024, 11, 25), 2))  # ends today: off the site from today on
    write(
        folder, "c.yaml", rec(3, date(2023, 12, 25), 3, debtor=dict(ORG_DEBTOR))
    )  # ends 2026-12-25: 30 days, the edge
    write(folder, "d.yaml", rec(4, date(2023, 12, 26), 3, debtor=dict(ORG_DEBTOR)))  # ends 2026-12-26: 31 days, outside
    write(folder, "e.yaml", rec(5, date(2024, 11, 24), 2))  # ended yesterday
    write(folder, "f.yaml", rec(6, date(2024, 12, 2), None))  # no fixed term
    write(folder, "g.yaml", rec(7, date(2024, 12, 3), 2, status="removed", removed_on=date(2025, 1, 1), removal_reason="early_deletion"))  # fmt: skip
    write(folder, "h.yaml", rec(8, date(2024, 12, 10), 2, debtor_seq=2))

    code, out, err = run(capsys, "expiring", str(folder), "--as-of", "2026-11-25", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    rows = [(r["case_number"], r["term_ends_on"], r["days_left"]) for r in data["records"]]
    assert rows == [
        ("（2024）鲁0502执2号", "2026-11-25", 0),
        ("（2024）鲁0502执1号", "2026-12-01", 6),
        ("（2024）鲁0502执8号", "2026-12-10", 15),
        ("（2024）鲁0502执3号", "2026-12-25", 30),
    ]
    assert data["records"][2]["id"] == "2024-lu0502-zhi-8-2"

    code, out, _ = run(capsys, "expiring", str(folder), "--as-of", "2026-11-25", "--within", "7")
    assert code == 0
    lines = [line for line in out.splitlines() if "还有" in line]
    assert [line.split()[0] for line in lines] == ["2026-11-25", "2026-12-01"]
    assert "张三丰" in lines[0] and "7 天内期限届满的记录：2 条" in out


# -- schema and hooks ------------------------------------------------------------------------


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def _schema():
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "record.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema, jsonschema.Draft7Validator(schema)


def test_every_demo_record_validates_against_the_schema():
    _schema_, validator = _schema()
    files = sorted((ROOT / "content" / "debtors").rglob("*.yaml"))
    for path in files:
        data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], path


def test_schema_fields_and_enums_match_the_model():
    from generator.domain.records import GROUNDS, REMOVAL_REASONS, Basis, Debtor, Record, Vetting

    schema, _v = _schema()
    props = schema["properties"]
    assert list(props) == list(Record.model_fields)
    for key, model in (("basis", Basis), ("debtor", Debtor), ("vetting", Vetting)):
        assert list(props[key]["properties"]) == list(model.model_fields), key
    assert props["grounds"]["items"]["enum"] == list(GROUNDS)
    assert props["removal_reason"]["enum"] == list(REMOVAL_REASONS)


BREAKAGES = {
    "unknown key": lambda r: r.update(extra=1),
    "unknown ground": lambda r: r.update(grounds=["lazy"]),
    "person without age": lambda r: r["debtor"].pop("age"),
    "person with uscc": lambda r: r["debtor"].update(uscc=ORG_DEBTOR["uscc"]),
    "full ID": lambda r: r["debtor"].update(id_masked="370502198501011235"),
    "removed without date": lambda r: r.update(status="removed"),
    "term missing": lambda r: r.pop("term_years"),
    "slashed date": lambda r: r.update(listed_on="2025/6/1"),
    "minor": lambda r: r["debtor"].update(age=17),
    "extension without reason": lambda r: r.update(term_years=4),
    "violence without force": lambda r: r.update(term_years=4, term_extension="violence"),
    "listing_no 1": lambda r: r.update(listing_no=1),
    "unknown id kind": lambda r: r["debtor"].update(id_kind="driving_licence"),
    "organization without any code": lambda r: r.update(debtor={k: v for k, v in ORG_DEBTOR.items() if k != "uscc"}),
    "slashed service date": lambda r: r["vetting"].update(served_on="2025/5/30"),
}


def test_schema_takes_the_new_optional_fields():
    _schema_, validator = _schema()
    org = {k: v for k, v in ORG_DEBTOR.items() if k != "uscc"} | {"org_code": "12345678-8"}
    rec = _json_ready(record(debtor=org, term_years=4, term_extension="multiple_acts", listing_no=2,
                             grace_until=date(2025, 6, 8), vetting__decided_on=date(2025, 5, 28),
                             vetting__served_on=date(2025, 5, 29)))  # fmt: skip
    assert list(validator.iter_errors(rec)) == []


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_schema_rejects_broken_records(breakage):
    _schema_, validator = _schema()
    rec = _json_ready(record())
    assert list(validator.iter_errors(rec)) == []
    BREAKAGES[breakage](rec)
    assert list(validator.iter_errors(rec)), breakage


def test_pre_commit_config_of_this_repository_runs_chenglai_check():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [h["entry"] for repo in config["repos"] for h in repo["hooks"]]
    assert "chenglai check content/debtors" in entries
    example = yaml.safe_load((ROOT / "docs/ci/pre-commit-config.yaml").read_text(encoding="utf-8"))
    offered = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert {h["id"] for h in example["repos"][0]["hooks"]} <= offered


def test_pre_commit_hook_entries_work_on_the_demo_content(monkeypatch, capsys):
    import re

    monkeypatch.chdir(ROOT)
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    for hook_id in ("chenglai-check", "chenglai-check-drafts"):
        hook = hooks[hook_id]
        assert hook["pass_filenames"] is False  # cross-record rules need every record
        assert main([*hook["entry"].split()[1:], *hook["args"]]) == 0, hook_id
        assert re.search(hook["files"], "content/debtors/lu0502/2024-lu0502-zhi-1.yaml")
    exports = hooks["chenglai-no-exports"]
    assert exports["language"] == "fail"
    assert re.search(exports["files"], "导出/失信名单.XLSX") and not re.search(exports["files"], "content/a.yaml")
    capsys.readouterr()


def test_ci_examples_check_pull_requests_and_publish_daily():
    gh = yaml.safe_load((ROOT / "docs/ci/github-actions.yml").read_text(encoding="utf-8"))
    triggers = gh.get("on", gh.get(True))  # YAML 1.1 reads the key `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    assert triggers["schedule"][0]["cron"] == "5 16 * * *"  # 00:05 in Shanghai
    check_steps = " ".join(s.get("run", "") for s in gh["jobs"]["check"]["steps"])
    assert "chenglai check content/debtors" in check_steps and "--drafts" not in check_steps
    publish_steps = " ".join(s.get("run", "") for s in gh["jobs"]["publish"]["steps"])
    assert "chenglai build" in publish_steps and "chenglai publish" in publish_steps
    assert "pull_request" in gh["jobs"]["publish"]["if"]

    gl = yaml.safe_load((ROOT / "docs/ci/gitlab-ci.yml").read_text(encoding="utf-8"))
    assert "chenglai check content/debtors" in gl["check"]["script"]
    assert "schedule" in gl["publish"]["rules"][0]["if"]
    assert any("chenglai publish" in line for line in gl["publish"]["script"])
    # the CI pattern for full IDs finds what the project's own pattern finds
    import re

    pattern = re.compile(gh["env"]["FULL_ID"])
    number = full_id()
    assert pattern.search(f"id_masked: {number}\n") and pattern.search(f"x{number}y") is None
    assert pattern.search(f"id_masked: {ids.mask(number)}") is None


needs_rsync = pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync not installed")


@needs_rsync
def test_publish_and_rollback_scripts(tmp_path):
    def site(n: int) -> tuple[Path, Path]:
        out, index = tmp_path / f"out{n}", tmp_path / f"index{n}"
        (out / "debtors").mkdir(parents=True)
        (out / "index.html").write_text(f"<h1>build {n}</h1>", encoding="utf-8")
        (out / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
        if n == 1:
            (out / "debtors" / "gone.html").write_text("removed later", encoding="utf-8")
        index.mkdir()
        (index / "MAIN_1.toc").write_bytes(bytes([n]))
        return out, index

    dest = tmp_path / "srv"
    publish = ROOT / "docs/ci/publish.sh"
    rollback = ROOT / "docs/ci/rollback.sh"

    def sh(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        full_env = {"PATH": os.environ["PATH"], "DEPLOY_PATH": str(dest), **env}
        return subprocess.run(["bash", str(script), *args], env=full_env, capture_output=True, text=True, cwd=tmp_path)

    for n in (1, 2, 3):
        result = sh(publish, *map(str, site(n)), RELEASE_ID=f"2026112{n}T000000Z-test", KEEP="2")
        assert result.returncode == 0, result.stderr
    current = dest / "current"
    assert os.readlink(current) == "releases/20261123T000000Z-test"
    assert (current / "site/index.html").read_text(encoding="utf-8") == "<h1>build 3</h1>"
    assert not (current / "site/debtors/gone.html").exists()  # --delete: no stale pages
    assert (current / "index/MAIN_1.toc").read_bytes() == b"\x03"
    # unchanged files are hard links to the previous release
    assert (current / "site/robots.txt").stat().st_ino == (
        dest / "releases/20261122T000000Z-test/site/robots.txt"
    ).stat().st_ino
    assert sorted(p.name for p in (dest / "releases").iterdir()) == ["20261122T000000Z-test", "20261123T000000Z-test"]
    # a release name is never reused
    assert sh(publish, *map(str, site(4)), RELEASE_ID="20261123T000000Z-test").returncode == 1

    result = sh(rollback)
    assert result.returncode == 0, result.stderr
    assert os.readlink(current) == "releases/20261122T000000Z-test"
    assert (current / "site/index.html").read_text(encoding="utf-8") == "<h1>build 2</h1>"
    # a release older than a day may show removed records: refused without --force
    old = dest / "releases/20261123T000000Z-test/RELEASE"
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 3 * 86400))
    result = sh(rollback, "20261123T000000Z-test")
    assert result.returncode == 1 and "--force" in result.stderr
    assert sh(rollback, "--force", "20261123T000000Z-test").returncode == 0
    assert os.readlink(current) == "releases/20261123T000000Z-test"
    assert "* 20261123T000000Z-test" in sh(rollback, "--list").stdout


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\ngrounds:\n- x\n- y\nb:\n  c: 1\n",
        "a: 1\ngrounds:\n  - x  # first\n  - y\nb:\n  c: 1\n",
        "a: 1\nb:\n    c: 1\n    d: 2   # note\ngrounds:\n    - x\n",
    ],
)
def test_edits_keep_the_file_own_indentation(text):
    doc = Document(text)
    assert doc.dumps() == text
    doc.set(("b", "e"), 3)
    doc.set(("grounds",), ["x", "y", "z"])
    out = doc.dumps()
    nested = text.split("c: 1")[0].rsplit("\n", 1)[1]  # the indentation of `c:`
    dash = [line for line in text.splitlines() if line.lstrip().startswith("- ")][0].split("-")[0]
    assert f"\n{nested}e: 3\n" in out and f"\n{dash}- z\n" in out


# -- SPEC §6: remove and art. 10 ¶2; working days ------------------------------------------


@pytest.mark.parametrize("reason", ["performed", "applicant_request", "suspended"])
def test_remove_refuses_art_10_1_reasons_on_a_term_record(tmp_path, capsys, reason):
    folder = tmp_path / "debtors"
    path = write(folder, "a.yaml", record())
    before = path.read_bytes()
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", reason, "--on", "2026-01-05", str(folder))
    assert code == 1 and "E110 removal_reason:" in out and "early_deletion" in out and "第十条第二款" in out
    assert path.read_bytes() == before


def test_remove_takes_art_10_1_reasons_on_a_record_without_a_term(tmp_path, capsys):
    folder = tmp_path / "debtors"
    path = write(folder, "a.yaml", record(grounds=["able_but_refuses"], term_years=None))
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "performed", "--on", "2026-01-05", str(folder))
    assert code == 0, out
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["removal_reason"] == "performed"


def test_remove_counts_the_state_councils_holidays_and_working_weekends(tmp_path, capsys):
    folder = tmp_path / "debtors"
    write(folder, "a.yaml", record())
    # 2025-09-30 (Tuesday): 1–8 October are the National Day and Mid-Autumn holidays, Saturday
    # 11 October is worked (调休): 9, 10, 11 October are the three working days
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "corrected", "--on", "2025-09-30", str(folder))
    assert code == 0 and "2025-10-11 前" in out and "调休" in out


def test_working_days_outside_the_calendar_say_so_and_count_monday_to_friday():
    from generator.domain import workdays

    assert workdays.add_working_days(date(2024, 9, 27), 3) == (date(2024, 10, 8), True)  # 29 Sep worked, 国庆
    assert workdays.add_working_days(date(2024, 9, 26), 2) == (date(2024, 9, 29), True)  # a worked Sunday
    late = workdays.add_working_days(date(2099, 9, 30), 3)  # Wednesday
    assert late == (date(2099, 10, 5), False)
    assert "周一至周五" in workdays.describe(late) and "2099" in workdays.describe(late)


def test_expiring_gives_the_art_10_deadline_in_working_days(tmp_path, capsys):
    folder = tmp_path / "debtors"
    write(folder, "a.yaml", record(listed_on=date(2024, 9, 28), filed_on=date(2024, 1, 1),
                                   vetting__vetted_on=date(2024, 9, 28)))  # fmt: skip
    code, out, _ = run(capsys, "expiring", str(folder), "--as-of", "2026-09-20", "--json")
    (row,) = json.loads(out)["records"]
    # public through 2026-09-28 (民法典 art. 202); 1–8 October 2026 are holidays
    assert (row["term_ends_on"], row["calendar_known"]) == ("2026-09-28", True)
    assert row["delete_by"] == "2026-10-08"  # 29, 30 September, then 8 October


def test_remove_finds_the_listed_record_of_a_relisted_debtor(tmp_path, capsys):
    folder = tmp_path / "debtors"
    first = write(folder, "a.yaml", record(status="removed", removed_on=date(2026, 1, 5), removal_reason="early_deletion"))
    again = write(folder, "a-n2.yaml", record(listing_no=2, listed_on=date(2026, 2, 3), vetting__vetted_on=date(2026, 2, 2)))
    before = first.read_bytes()
    code, out, _ = run(capsys, "remove", "（2024）鲁0502执1234号", "--reason", "corrected", "--on", "2026-03-01", str(folder))
    assert code == 0, out
    assert yaml.safe_load(again.read_text(encoding="utf-8"))["status"] == "removed" and first.read_bytes() == before


def test_expiring_says_when_the_holiday_calendar_does_not_know_the_year(tmp_path, capsys):
    folder = tmp_path / "debtors"
    write(folder, "a.yaml", record(listed_on=date(2097, 12, 1), filed_on=date(2097, 1, 1),
                                   vetting__vetted_on=date(2097, 12, 1), debtor__age=40,
                                   debtor__id_masked="3705022057****1234"))  # fmt: skip
    code, out, _ = run(capsys, "expiring", str(folder), "--as-of", "2099-11-20")
    assert code == 0 and "最迟删除 2099-12-04" in out  # Tuesday 1 December + 3 days, Monday–Friday
    assert "2099 年的节假日安排尚未收入 chinese-calendar" in out and "周一至周五" in out
