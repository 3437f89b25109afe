"""One focused test per rule of SPEC §1 / issue 2: each code raised where it should be, and
not raised on the nearest valid record. Records are real YAML files checked by check_paths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generator.domain import ids
from generator.domain.rules import same_person
from generator.read.checker import check_paths

from .factory import ORG_DEBTOR, record, write


def check(tmp_path: Path, *recs: dict, drafts_ok: bool = False) -> list[tuple[str, str]]:
    """(code, field) of every problem in the given records, each written to its own file."""
    for i, rec in enumerate(recs):
        write(tmp_path, f"r{i}.yaml", rec)
    return [(e.code, e.field) for e in check_paths([tmp_path], drafts_ok=drafts_ok).errors]


def full_id(first17: str) -> str:
    """A full-ID-shaped number that no one holds: its GB 11643 check digit is deliberately wrong
    (the refusal of E085 must not depend on the check digit)."""
    return first17 + ("0" if ids.check_digit(first17) != "0" else "1")


def line_of(path: Path, start: str) -> int:
    """Line number of the first line of the file that starts (after indentation) with `start`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.lstrip().startswith(start))


def without(rec: dict, *keys: str) -> dict:
    """rec without the given keys; "vetting.vetted_by" reaches into a nested mapping."""
    for key in keys:
        *outer, last = key.split(".")
        target = rec
        for part in outer:
            target = target[part]
        del target[last]
    return rec


def test_valid_person_and_organization_pass(tmp_path):
    org = record(case_number="（2024）鲁0502执1235号", debtor=dict(ORG_DEBTOR))
    assert check(tmp_path, record(), org) == []


# --- E010 unknown keys ----------------------------------------------------------------


def test_unknown_key_suggests_the_near_miss(tmp_path):
    rec = record()
    rec["listed_om"] = rec.pop("listed_on")
    path = write(tmp_path, "r.yaml", rec)
    errors = check_paths([tmp_path]).errors
    unknown = [e for e in errors if e.code == "E010"]
    assert [(e.field, e.line) for e in unknown] == [("listed_om", line_of(path, "listed_om:"))]
    assert "是不是 listed_on" in unknown[0].message
    # the missing field is reported where its misspelling stands, not at line 1
    assert ("E011", "listed_on", line_of(path, "listed_om:")) in [(e.code, e.field, e.line) for e in errors]


def test_unknown_nested_key_suggests_within_its_mapping(tmp_path):
    rec = record()
    rec["debtor"]["nmae"] = rec["debtor"].pop("name")
    errors = check_paths([write(tmp_path, "r.yaml", rec)]).errors
    e = next(e for e in errors if e.code == "E010")
    assert e.field == "debtor.nmae" and "是不是 name" in e.message


def test_unknown_key_far_from_any_lists_the_fields(tmp_path):
    errors = check_paths([write(tmp_path, "r.yaml", record(remarks="备注"))]).errors
    assert [(e.code, e.field) for e in errors] == [("E010", "remarks")]
    assert "可用字段" in errors[0].message


# --- E011 / E012 / E013 model --------------------------------------------------------


def test_missing_required_field(tmp_path):
    assert check(tmp_path, without(record(), "court")) == [("E011", "court")]


def test_wrong_value_or_type(tmp_path):
    assert check(tmp_path, record(performance="未履行")) == [("E012", "performance")]
    assert check(tmp_path, record(status="active")) == [("E012", "status")]


def test_age_must_be_an_integer(tmp_path):
    assert check(tmp_path, record(debtor__age="40")) == [("E012", "debtor.age")]


def test_debtor_seq_starts_at_one(tmp_path):
    assert check(tmp_path, record(debtor_seq=0)) == [("E012", "debtor_seq")]
    assert check(tmp_path, record(debtor_seq=1)) == []


def test_empty_text_is_refused(tmp_path):
    assert check(tmp_path, record(obligation="  ")) == [("E012", "obligation")]


@pytest.mark.parametrize("value", ["2024-02-30", "2024/03/05", "去年三月", "2024-03-05 10:00:00"])
def test_invalid_date(tmp_path, value):
    rec = record()
    path = write(tmp_path, "r.yaml", rec)
    path.write_text(path.read_text(encoding="utf-8").replace("filed_on: 2024-03-05", f"filed_on: {value}"), "utf-8")
    assert [(e.code, e.field) for e in check_paths([path]).errors] == [("E013", "filed_on")]


def test_quoted_iso_date_is_still_a_date(tmp_path):
    path = write(tmp_path, "r.yaml", record())
    path.write_text(path.read_text(encoding="utf-8").replace("filed_on: 2024-03-05", "filed_on: '2024-03-05'"), "utf-8")
    result = check_paths([path])
    assert result.errors == [] and result.records[0].record.filed_on == date(2024, 3, 5)


# --- E020 / E021 / E022 case numbers ---------------------------------------------------


@pytest.mark.parametrize(
    "case", ["（2024）鲁0502执1234", "2024鲁0502执1234号", "（24）鲁0502执1234号", "（2024）XX执1234号", ""]
)
def test_bad_case_number(tmp_path, case):
    expected = ("E012", "case_number") if not case else ("E020", "case_number")
    assert check(tmp_path, record(case_number=case)) == [expected]


@pytest.mark.parametrize(
    "case",
    ["(2024)鲁0502执1234号", "〔2024〕鲁0502执1234号", "（２０２４）鲁0502执１２３４号", " （2024） 鲁0502执1234号 "],
)
def test_case_number_forms_are_normalised(tmp_path, case):
    result = check_paths([write(tmp_path, "r.yaml", record(case_number=case))])
    assert result.errors == []


def test_duplicate_across_files_in_any_bracket_form(tmp_path):
    problems = check(tmp_path, record(), record(case_number="(2024)鲁0502执１２３４号"))
    assert problems == [("E021", "case_number")]


def test_same_case_different_debtor_seq_is_not_a_duplicate(tmp_path):
    assert check(tmp_path, record(debtor_seq=1), record(debtor_seq=2, debtor__name="李四")) == []


def test_duplicate_is_reported_even_when_the_file_has_other_problems(tmp_path):
    problems = check(tmp_path, record(), record(term_years=9))
    assert sorted(problems) == [("E021", "case_number"), ("E052", "term_years")]


def test_two_case_numbers_with_one_record_id(tmp_path):
    # 津 (Tianjin) and 晋 (Shanxi) are both "jin": the pages would overwrite each other
    tianjin = record(case_number="（2024）津0101执1号", court="天津市和平区人民法院", region_code="120101")
    shanxi = record(case_number="（2024）晋0101执1号", court="某某人民法院", region_code="140105")
    assert check(tmp_path, tianjin, shanxi) == [("E021", "case_number")]


def test_one_court_code_one_court_name(tmp_path):
    other = record(case_number="（2024）鲁0502执1235号", court="东营区人民法院")
    assert check(tmp_path, record(), other) == [("E022", "court")]


# --- E030–E032 dates in order ---------------------------------------------------------


def test_filed_after_listed(tmp_path):
    problems = check(tmp_path, record(filed_on=date(2025, 7, 1)))
    assert ("E030", "filed_on") in problems


def test_vetted_after_listed(tmp_path):
    assert check(tmp_path, record(vetting__vetted_on=date(2025, 6, 2))) == [("E031", "vetting.vetted_on")]


def test_vetted_before_filed(tmp_path):
    assert check(tmp_path, record(vetting__vetted_on=date(2024, 3, 4))) == [("E032", "vetting.vetted_on")]


def test_dates_may_fall_on_one_day(tmp_path):
    day = date(2025, 6, 1)
    assert check(tmp_path, record(filed_on=day, listed_on=day, vetting__vetted_on=day)) == []


# --- E040 / E041 vetting ----------------------------------------------------------------


def draft() -> dict:
    return without(record(), "vetting.vetted_by", "vetting.vetted_on")


def test_draft_is_an_error_unless_drafts_are_accepted(tmp_path):
    assert check(tmp_path, draft()) == [("E040", "vetting")]
    assert check(tmp_path, draft(), drafts_ok=True) == []


def test_half_vetted_is_an_error_even_with_drafts(tmp_path):
    assert check(tmp_path, without(record(), "vetting.vetted_on"), drafts_ok=True) == [("E011", "vetting.vetted_on")]
    assert check(tmp_path, without(record(), "vetting.vetted_by"), drafts_ok=True) == [("E011", "vetting.vetted_by")]


def test_vetter_must_not_be_the_clerk(tmp_path):
    assert check(tmp_path, record(vetting__vetted_by="王某（书记员）")) == [("E041", "vetting.vetted_by")]


def test_a_role_in_brackets_does_not_make_a_second_person(tmp_path):
    assert check(tmp_path, record(vetting__vetted_by="王某（执行法官）")) == [("E041", "vetting.vetted_by")]
    assert same_person("王某（书记员）", " 王某 ") and same_person("王某(书记员)", "王某（法官）")
    assert not same_person("王某", "王某某")


# --- E050–E053 grounds and terms ----------------------------------------------------------


def test_unknown_ground(tmp_path):
    assert check(tmp_path, record(grounds=["refuses"])) == [("E050", "grounds")]


def test_grounds_must_be_a_non_empty_list_without_repeats(tmp_path):
    assert check(tmp_path, record(grounds=[])) == [("E050", "grounds")]
    assert check(tmp_path, record(grounds="evades_by_fraud")) == [("E050", "grounds")]
    assert check(tmp_path, record(grounds=["evades_by_fraud", "evades_by_fraud"])) == [("E050", "grounds")]


def test_term_required_for_fixed_term_grounds(tmp_path):
    assert check(tmp_path, record(term_years=None)) == [("E051", "term_years")]
    mixed = record(grounds=["able_but_refuses", "violates_asset_report"], term_years=None)
    assert check(tmp_path, mixed) == [("E051", "term_years")]


def test_able_but_refuses_alone_needs_no_term(tmp_path):
    assert check(tmp_path, record(grounds=["able_but_refuses"], term_years=None)) == []


@pytest.mark.parametrize("term", [0, 1, 6, 10])
def test_term_out_of_range(tmp_path, term):
    assert check(tmp_path, record(term_years=term)) == [("E052", "term_years")]


@pytest.mark.parametrize("term", [2, 3, 4, 5])
def test_term_in_range(tmp_path, term):
    extension = {"term_extension": "multiple_acts"} if term > 2 else {}
    assert check(tmp_path, record(term_years=term, **extension)) == []


def test_no_term_may_be_written_for_able_but_refuses_alone(tmp_path):
    assert check(tmp_path, record(grounds=["able_but_refuses"], term_years=2)) == [("E053", "term_years")]


# --- E060–E062 status and removal ---------------------------------------------------------


def test_removed_needs_date_and_reason(tmp_path):
    assert sorted(check(tmp_path, record(status="removed"))) == [("E060", "removal_reason"), ("E060", "removed_on")]


def test_removed_with_date_and_reason_is_valid(tmp_path):
    assert check(tmp_path, record(status="removed", removed_on=date(2026, 1, 5), removal_reason="early_deletion")) == []


def test_listed_must_not_carry_removal_fields(tmp_path):
    problems = check(tmp_path, record(removed_on=date(2026, 1, 5), removal_reason="corrected"))
    assert sorted(problems) == [("E061", "removal_reason"), ("E061", "removed_on")]


def test_removal_reason_from_the_list(tmp_path):
    rec = record(status="removed", removed_on=date(2026, 1, 5), removal_reason="paid")
    assert check(tmp_path, rec) == [("E012", "removal_reason")]


def test_removed_before_listed(tmp_path):
    rec = record(status="removed", removed_on=date(2025, 5, 31), removal_reason="corrected")
    assert check(tmp_path, rec) == [("E062", "removed_on")]


# --- E070–E072 amount and region ----------------------------------------------------------


@pytest.mark.parametrize("amount", [-1, -0.01, 12.345, "十万元", float("inf")])
def test_outstanding_not_a_non_negative_amount(tmp_path, amount):
    assert check(tmp_path, record(outstanding=amount)) == [("E070", "outstanding")]


@pytest.mark.parametrize("amount", [0, 0.0, 120000, 99.5, "120000.00", None])
def test_outstanding_valid_amounts(tmp_path, amount):
    assert check(tmp_path, record(outstanding=amount)) == []


@pytest.mark.parametrize("code", ["37050", "3705021", "37050A", "鲁0502", "３７０５０２"])
def test_region_code_not_six_digits(tmp_path, code):
    assert check(tmp_path, record(region_code=code)) == [("E071", "region_code")]


def test_region_code_unknown(tmp_path):
    assert check(tmp_path, record(region_code="379999")) == [("E072", "region_code")]


def test_region_code_unquoted_and_former_codes_accepted(tmp_path):
    # 370521 垦利县 became 垦利区 (370505) in 2016; old records keep the old code
    assert (
        check(tmp_path, record(region_code=370502), record(case_number="（2024）鲁0502执1235号", region_code="370521"))
        == []
    )


# --- E080–E086 identity --------------------------------------------------------------------


@pytest.mark.parametrize(
    "masked",
    ["3705021985**1234", "370502198501011234X", "3705021985****123x", "370502****1234", "３７０５０２1985****1234"],
)
def test_masked_id_shape(tmp_path, masked):
    assert check(tmp_path, record(debtor__id_masked=masked)) == [("E080", "debtor.id_masked")]


def test_unmasked_18_digits_that_are_no_valid_id(tmp_path):
    # month 13: not a birth date, so not caught as a full ID; still not a masked one
    assert check(tmp_path, record(debtor__id_masked="370502198513011234")) == [("E080", "debtor.id_masked")]


def test_masked_id_region_unknown(tmp_path):
    assert check(tmp_path, record(debtor__id_masked="9999991985****1234")) == [("E081", "debtor.id_masked")]


def test_masked_id_region_may_be_a_former_code(tmp_path):
    assert check(tmp_path, record(debtor__id_masked="3705211985****1234")) == []


def test_age_and_birth_year_must_agree(tmp_path):
    # listed 2025-06-01, born 1985: 39 or 40; ±1 is allowed
    assert check(tmp_path, record(debtor__age=42)) == [("E082", "debtor.age")]
    assert check(tmp_path, record(debtor__age=37)) == [("E082", "debtor.age")]
    for age in (39, 40, 41):
        assert check(tmp_path, record(debtor__age=age)) == []


def test_gender_matches_the_17th_character(tmp_path):
    # 3705021985****1234: 17th character 3, odd = 男
    assert check(tmp_path, record(debtor__gender="女")) == [("E083", "debtor.gender")]
    assert check(tmp_path, record(debtor__gender="女", debtor__id_masked="3705021985****1244")) == []


def test_minor_by_age(tmp_path):
    rec = record(debtor__age=17, debtor__id_masked="3705022008****1234")
    assert check(tmp_path, rec) == [("E084", "debtor.age")]


def test_minor_by_birth_year(tmp_path):
    # born 2007, listed 2025: 17 or 18 at most; an age of 18 written by hand does not make an adult
    rec = record(debtor__age=18, debtor__id_masked="3705022008****1234")
    assert check(tmp_path, rec) == [("E084", "debtor.id_masked")]
    adult = record(debtor__age=18, debtor__id_masked="3705022007****1234")
    assert check(tmp_path, adult) == []


def test_full_id_in_id_masked_names_chenglai_mask(tmp_path):
    path = write(tmp_path, "r.yaml", record(debtor__id_masked=full_id("37050219850101123")))
    errors = check_paths([path]).errors
    assert [(e.code, e.field, e.line) for e in errors] == [("E085", "debtor.id_masked", line_of(path, "id_masked:"))]
    assert "chenglai mask" in errors[0].message


def test_full_id_anywhere_in_the_file(tmp_path):
    number = full_id("37050219850101123")
    path = write(tmp_path, "r.yaml", record(obligation=f"支付货款（被执行人身份证号{number}）"))
    path.write_text(f"# 原始号码 {number}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    errors = check_paths([path]).errors
    assert [(e.code, e.field, e.line) for e in errors] == [
        ("E085", "-", 1),
        ("E085", "obligation", line_of(path, "obligation:")),
    ]


def test_person_fields_on_an_organization_and_back(tmp_path):
    org_with_gender = record(debtor={**ORG_DEBTOR, "gender": "男"})
    assert check(tmp_path, org_with_gender) == [("E086", "debtor.gender")]
    person_with_uscc = record(debtor__uscc=ORG_DEBTOR["uscc"])
    assert check(tmp_path, person_with_uscc) == [("E086", "debtor.uscc")]


def test_kind_specific_fields_are_required(tmp_path):
    assert check(tmp_path, without(record(), "debtor.gender")) == [("E011", "debtor.gender")]
    org = without(record(debtor=dict(ORG_DEBTOR)), "debtor.legal_representative")
    assert check(tmp_path, org) == [("E011", "debtor.legal_representative")]


# --- E090 USCC -------------------------------------------------------------------------------


def test_uscc_check_character(tmp_path):
    good = ORG_DEBTOR["uscc"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert check(tmp_path, record(debtor={**ORG_DEBTOR, "uscc": bad})) == [("E090", "debtor.uscc")]
    assert check(tmp_path, record(debtor={**ORG_DEBTOR, "uscc": good})) == []


def test_problems_carry_the_line_of_their_field(tmp_path):
    path = write(tmp_path, "r.yaml", record(term_years=7))
    (err,) = check_paths([path]).errors
    line = path.read_text(encoding="utf-8").splitlines()[err.line - 1]
    assert line.startswith("term_years:")
    assert str(err) == f"{path}:{err.line}: E052 term_years: {err.message}"


def test_uscc_must_be_written_as_published(tmp_path):
    good = ORG_DEBTOR["uscc"]
    for written in (good.lower(), f"{good[:8]} {good[8:]}", good[:-1]):
        assert check(tmp_path, record(debtor={**ORG_DEBTOR, "uscc": written})) == [("E090", "debtor.uscc")]


def test_uscc_check_agrees_with_stdnum():
    import random

    from stdnum.cn import uscc

    rng = random.Random(32100)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    valid = 0
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(rng.choice(alphabet) for _ in range(9))
        number = body + (uscc.calc_check_digit(body) if rng.random() < 0.5 else rng.choice(alphabet))
        assert ids.is_uscc_valid(number) == uscc.is_valid(number), number
        valid += ids.is_uscc_valid(number)
    assert 2000 < valid < 3000
