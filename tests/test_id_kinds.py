"""SPEC §6: identity documents other than the resident ID (debtor.id_kind), each with its own
shape, check and mask, and the 组织机构代码 (debtor.org_code, GB 11714) for organisations without
a uscc (art. 6). Full numbers of the 18-character kinds in disguise are found by `check` (E085)
and the leak gate alike."""

from __future__ import annotations

import pytest

from generator.build import leakcheck
from generator.domain import ids

from .factory import ORG_DEBTOR, record
from .test_leak_disguises import THEME, WIDE, _container, _view
from .test_rules import check


def full(first17: str) -> str:
    return first17 + ids.check_digit(first17)


HK = full("81000019850101123")  # 17th digit 3: 男
TAIWAN = full("83000019850101124")  # 17th digit 4: 女
FOREIGN = full("93684019850101123")  # 2023 card: 9, province 36, nationality 840


@pytest.mark.parametrize(
    ("kind", "masked", "gender"),
    [
        ("hk_macao_permit", ids.mask(HK), "男"),
        ("hk_macao_permit", "8200001985****1232", "男"),
        ("taiwan_permit", ids.mask(TAIWAN), "女"),
        ("foreign_permanent", ids.mask(FOREIGN), "男"),
        ("foreign_permanent", "USA3601****0016", "男"),  # the 2017 card: 3 letters + 12 digits
        ("passport", "E1****78", "女"),
        ("resident", "3705021985****1234", "男"),
    ],
)
def test_each_kind_takes_its_masked_form(tmp_path, kind, masked, gender):
    rec = record(debtor__id_kind=kind, debtor__id_masked=masked, debtor__gender=gender)
    assert check(tmp_path, rec) == []


@pytest.mark.parametrize(
    ("kind", "masked"),
    [
        ("hk_macao_permit", "3705021985****1234"),  # a resident ID's region
        ("taiwan_permit", ids.mask(HK)),
        ("foreign_permanent", "3705021985****1234"),
        ("passport", "E12345678"),  # not masked
        ("passport", "E1**78"),
        ("foreign_permanent", "USA360119850101"[:15]),  # the 2017 card, not masked
    ],
)
def test_a_number_that_does_not_fit_its_kind_is_refused(tmp_path, kind, masked):
    assert check(tmp_path, record(debtor__id_kind=kind, debtor__id_masked=masked)) == [("E117", "debtor.id_masked")]


def test_the_birth_year_and_gender_rules_apply_to_the_permits(tmp_path):
    rec = record(debtor__id_kind="taiwan_permit", debtor__id_masked=ids.mask(TAIWAN), debtor__gender="男")
    assert check(tmp_path, rec) == [("E083", "debtor.gender")]
    rec = record(debtor__id_kind="hk_macao_permit", debtor__id_masked=ids.mask(HK), debtor__age=25)
    assert check(tmp_path, rec) == [("E082", "debtor.age")]


def test_id_kind_is_for_persons_and_org_code_for_organisations(tmp_path):
    assert check(tmp_path, record(debtor=dict(ORG_DEBTOR, id_kind="passport"))) == [("E086", "debtor.id_kind")]
    assert check(tmp_path, record(debtor__org_code="12345678-8")) == [("E086", "debtor.org_code")]


def test_a_full_permit_number_in_a_record_is_refused_like_a_resident_id(tmp_path):
    assert ("E085", "debtor.id_masked") in check(tmp_path, record(debtor__id_kind="hk_macao_permit", debtor__id_masked=HK))


@pytest.mark.parametrize(
    ("kind", "number", "masked"),
    [
        ("hk_macao_permit", HK, HK[:10] + "****" + HK[14:]),
        ("foreign_permanent", "USA360185010100", "USA3601****0100"),
        ("passport", "E12345678", "E1****78"),
        ("passport", "e 1234 5678", "E1****78"),
    ],
)
def test_masks(kind, number, masked):
    assert ids.mask_any(number, kind) == masked


# -- 组织机构代码 ----------------------------------------------------------------------------------
ORG_WITHOUT_USCC = {k: v for k, v in ORG_DEBTOR.items() if k != "uscc"}


def test_gb_11714_check_character():
    assert ids.org_code_check("12345678") == "8"  # the SPEC's example
    assert ids.is_org_code_valid("12345678-8")
    assert not ids.is_org_code_valid("12345678-7") and not ids.is_org_code_valid("123456788")
    # the organisation code inside a real-shaped USCC (its 9th–17th characters) checks the same way
    assert ids.org_code_check("MA3C0ABC") in "0123456789X"


def test_an_organisation_may_carry_an_org_code_instead_of_a_uscc(tmp_path):
    assert check(tmp_path, record(debtor=ORG_WITHOUT_USCC | {"org_code": "12345678-8"})) == []


def test_an_organisation_with_neither_code_is_told_of_both(tmp_path):
    from generator.read.checker import check_paths

    from .factory import write

    write(tmp_path, "r.yaml", record(debtor=ORG_WITHOUT_USCC))
    (err,) = check_paths([tmp_path]).errors
    assert (err.code, err.field) == ("E011", "debtor.uscc") and "org_code" in err.message and "第六条" in err.message


@pytest.mark.parametrize("code", ["12345678-7", "1234567-8", "12345678 8", "abcdefgh-1"])
def test_a_wrong_org_code_is_refused(tmp_path, code):
    assert check(tmp_path, record(debtor=ORG_WITHOUT_USCC | {"org_code": code})) == [("E118", "debtor.org_code")]


def test_a_page_names_the_document(tmp_path):
    from generator.domain.policy import decide_records
    from generator.read.checker import check_paths

    from .factory import AS_OF, write

    write(tmp_path, "a.yaml", record(debtor__id_kind="hk_macao_permit", debtor__id_masked=ids.mask(HK)))
    write(tmp_path, "b.yaml", record(case_number="（2024）鲁0502执1235号", debtor=ORG_WITHOUT_USCC | {"org_code": "12345678-8"}))
    view = decide_records(check_paths([tmp_path]).records, AS_OF)
    person = next(r for r in view.public if r.kind == "person")
    org = next(r for r in view.public if r.kind == "organization")
    assert person.id_label == "港澳居民居住证号码" and person.id_kind == "hk_macao_permit"
    assert org.org_code == "12345678-8" and org.uscc is None


# -- the leak gate ------------------------------------------------------------------------------
@pytest.mark.parametrize("number", [HK, TAIWAN, FOREIGN])
@pytest.mark.parametrize("kind", ["html", "atom", "json", "csv"])
@pytest.mark.parametrize(
    "disguise",
    [
        lambda n: n,
        lambda n: n.translate(WIDE),
        lambda n: f"{n[:6]} {n[6:14]} {n[14:]}",
        lambda n: f"{n[:6]}-{n[6:10]}-{n[10:14]}-{n[14:]}",
        lambda n: "\u200b".join(n),
    ],
)
def test_full_numbers_of_every_18_character_kind_in_disguise_fail_the_gate(number, kind, disguise):
    data = _container(kind, f"证件号码{disguise(number)}，")
    for gate in (leakcheck.LeakGate(_view("某某"), THEME).compile(), leakcheck.LeakGate(_view("某某"), THEME)):
        assert [leak.kind for leak in gate.scan(data, "page")] == ["身份证号码"], (number, kind)
