"""The other kinds' rules (SPEC §7): each problem one line `path:line: CODE field: message`, in
`chenglai check` (default folders and a content folder) and in a build, never a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from generator.cli import main
from generator.domain.kindmodels import parse_item
from generator.domain.kindrules import check_item
from generator.errors import CODES, WARNINGS, ContentErrors
from generator.read.kinds import check_items, kind_of

from .factory import record, write
from .kindsfactory import batch, org, restriction, reward, write_kinds
from .sitefixture import make_site
from .test_cli_check import located


def problems(kind: str, item: dict, path: str = "x.yaml", drafts_ok: bool = False) -> list[str]:
    from generator.staff.demo import to_yaml

    src, errors = parse_item(path, kind, to_yaml(item).encode())
    if src is not None:
        errors = check_item(src, drafts_ok)
    return [f"{e.code} {e.field}" for e in errors]


def test_valid_items_pass():
    assert problems("restriction", restriction()) == []
    assert problems("restriction", restriction(debtor=org("某公司"), restricted_persons=["甲某"])) == []
    assert problems("reward", reward()) == []
    assert problems("batch", batch(), "exposure/2026-11-20.yaml") == []


@pytest.mark.parametrize(
    ("kind", "item", "expected"),
    [
        ("restriction", restriction(vetting__vetted_by=None, vetting__vetted_on=None), "E150 vetting"),
        ("restriction", restriction(vetting__vetted_by="王某（执行法官）"), "E151 vetting.vetted_by"),
        ("restriction", restriction(vetting__vetted_on=date(2025, 9, 2)), "E152 vetting.vetted_on"),
        ("restriction", restriction(restricted_persons=["甲某"]), "E153 restricted_persons"),
        ("restriction", restriction(debtor=org("某公司"), restricted_persons=["甲某 证件尾号1234"]),
         "E154 restricted_persons.0"),
        ("restriction", restriction(status="lifted"), "E155 lifted_on"),
        ("restriction", restriction(lift_reason="performed"), "E156 lift_reason"),
        ("restriction", restriction(status="lifted", lifted_on=date(2025, 1, 1), lift_reason="other"),
         "E157 lifted_on"),
        ("restriction", restriction(status="revoked"), "E012 status"),
        ("restriction", restriction(case_number="2025鲁0502执1号"), "E020 case_number"),
        ("restriction", restriction(debtor__age=16), "E084 debtor.age"),
        ("restriction", restriction(ordr_no="x"), "E010 ordr_no"),
        ("reward", reward(valid_until=date(2026, 1, 1)), "E160 valid_until"),
        ("reward", reward(contact={"phone": "找法院", "address": "某地"}), "E161 contact.phone"),
        ("reward", reward(contact={"phone": "12368", "address": "请扫码填写 https://x.example.cn/form"}),
         "E162 contact.address"),
        ("reward", reward(reward=None), "E011 reward"),
        ("batch", batch(published_on=date(2026, 11, 21)), "E180 published_on"),
        ("batch", batch(records=None), "E181 records"),
        ("batch", batch(records=None, selection={"court": "某院", "listed_from": date(2026, 2, 1),
                                                  "listed_to": date(2026, 1, 1)}), "E182 selection.listed_from"),
        ("batch", batch(records=["a", "a"]), "E183 records"),
    ],
)  # fmt: skip
def test_each_rule(kind, item, expected):
    assert expected in problems(kind, item, "exposure/2026-11-20.yaml" if kind == "batch" else "x.yaml")
    code = expected.split()[0]
    assert code in CODES


def test_drafts_accepted_with_drafts_ok():
    item = restriction(vetting__vetted_by=None, vetting__vetted_on=None)
    assert problems("restriction", item, drafts_ok=True) == []


def test_full_id_in_a_restricted_person_is_e085_and_never_echoed(tmp_path):
    items = {"restrictions/a.yaml": restriction(debtor=org("某公司"), restricted_persons=["370502198001011237"])}
    write_kinds(tmp_path, items)
    checked = check_items([tmp_path / "restrictions"], False, None)
    assert [e.code for e in checked.errors] == ["E085"]
    assert "370502198001011237" not in str(checked.errors[0])


def test_kind_of_paths():
    assert kind_of("content/restrictions/lu0502/a.yaml") == "restriction"
    assert kind_of("content/rewards") == "reward"
    assert kind_of("content/exposure/2026-11-20.yaml") == "batch"
    assert kind_of("content/debtors/lu0502/a.yaml") is None


def _content(tmp_path, kinds):
    content = tmp_path / "content"
    write(content / "debtors", "lu0502/person.yaml", record())
    write_kinds(content, kinds)
    return content


def test_check_covers_the_new_folders_by_default(tmp_path, monkeypatch, capsys):
    _content(tmp_path, {
        "restrictions/lu0502/a.yaml": restriction(status="lifted"),
        "rewards/a.yaml": reward(valid_until=date(2020, 1, 1)),
        "exposure/2026-11-20.yaml": batch(records=["2024-lu0502-zhi-1234", "2024-lu0502-zhi-9999"]),
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert located(out) == [
        "content/exposure/2026-11-20.yaml:6: E184 records.1",
        "content/restrictions/lu0502/a.yaml:12: E155 lift_reason",
        "content/restrictions/lu0502/a.yaml:12: E155 lifted_on",
        "content/rewards/a.yaml:17: E160 valid_until",
    ]
    # a content folder stands for all its folders; an exposure folder alone still knows the records
    assert main(["check", "content"]) == 1
    assert "E184" in capsys.readouterr().out
    assert main(["check", "content/exposure"]) == 1
    assert located(capsys.readouterr().out) == ["content/exposure/2026-11-20.yaml:6: E184 records.1"]


def test_check_passes_and_counts_the_items(tmp_path, monkeypatch, capsys):
    _content(tmp_path, {"restrictions/a.yaml": restriction(), "rewards/a.yaml": reward(),
                        "exposure/2026-11-20.yaml": batch()})  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    assert "4 条记录全部通过检查" in capsys.readouterr().err


def test_warning_w150_fails_nothing(tmp_path, monkeypatch, capsys):
    _content(tmp_path, {"rewards/a.yaml": reward(conditions="=HYPERLINK(1)")})
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    assert "W150 conditions:" in capsys.readouterr().out
    assert "W150" in WARNINGS


def test_a_build_stops_on_the_kinds_problems_with_the_debtors(tmp_path):
    site = make_site(tmp_path)
    write(site.records, "lu0502/bad.yaml", record(case_number="（2025）鲁0502执55号", outstanding=-1))
    write_kinds(site.content, {"exposure/2026-11-20.yaml": batch(records=["2024-lu0502-zhi-9999"]),
                               "rewards/a.yaml": reward(valid_until=date(2020, 1, 1))})  # fmt: skip
    with pytest.raises(ContentErrors) as failed:
        site.build()
    codes = sorted(e.code for e in failed.value.errors)
    assert "E070" in codes and "E160" in codes  # debtors' and kinds' problems in one run
    assert not site.output.exists()
    (site.records / "lu0502" / "bad.yaml").unlink()
    with pytest.raises(ContentErrors) as failed:
        site.build()
    assert sorted(e.code for e in failed.value.errors) == ["E160", "E184"]


def test_vet_records_the_second_person_on_a_restriction(tmp_path, capsys):
    (path,) = write_kinds(
        tmp_path, {"restrictions/a.yaml": restriction(vetting__vetted_by=None, vetting__vetted_on=None)}
    )
    assert [e.code for e in check_items([path], False, None).errors] == ["E150"]
    assert main(["vet", str(path), "--by", "王某（执行局长）"]) == 1  # the clerk who entered it
    assert "E041" in capsys.readouterr().out
    assert main(["vet", str(path), "--by", "李某（执行法官）", "--on", "2025-09-01"]) == 0
    assert check_items([path], False, None).errors == []
    assert "vetted_by: 李某（执行法官）" in path.read_text(encoding="utf-8")
    # a vetting that would break the kind's own rules is refused, the file untouched
    (late,) = write_kinds(tmp_path, {"rewards/b.yaml": reward(vetting__vetted_by=None, vetting__vetted_on=None)})
    before = late.read_bytes()
    assert main(["vet", str(late), "--by", "李某（执行法官）", "--on", "2026-10-05"]) == 1
    assert "E152" in capsys.readouterr().out and late.read_bytes() == before


def test_demo_kinds_are_what_make_demo_writes_and_say_they_are_fictitious(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "content" / "debtors", tmp_path / "debtors")
    script = [sys.executable, str(root / "scripts" / "make_demo.py"), "--kinds-only", "-o", str(tmp_path / "debtors")]
    subprocess.run(script, check=True, capture_output=True)
    for folder in ("restrictions", "rewards", "exposure"):
        written = sorted(p.relative_to(tmp_path) for p in (tmp_path / folder).rglob("*.yaml"))
        committed = sorted(p.relative_to(root / "content") for p in (root / "content" / folder).rglob("*.yaml"))
        assert written == committed and written, folder
        for rel in written:
            data = (tmp_path / rel).read_text(encoding="utf-8")
            assert data == (root / "content" / rel).read_text(encoding="utf-8"), rel
            assert data.startswith("# 演示数据：") and "虚构" in data.splitlines()[0]
