"""SPEC §6 rules of a record's life: removal reasons (art. 10 ¶2), term extensions (art. 2 ¶1),
re-listing (art. 10 ¶3), decision and service (art. 5), and the warnings W110/W111. Real YAML
files checked by check_paths and `chenglai check`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generator.read.checker import check_paths

from .factory import ORG_DEBTOR, record, write
from .test_rules import check

REMOVED = {"status": "removed", "removed_on": date(2026, 1, 5)}
ART_10_1 = ("performed", "settlement_performed", "applicant_request", "no_assets_found",
            "suspended", "not_enforced", "terminated")  # fmt: skip


def warnings(tmp_path: Path, *recs: dict) -> list[tuple[str, str]]:
    for i, rec in enumerate(recs):
        write(tmp_path, f"r{i}.yaml", rec)
    return [(w.code, w.field) for w in check_paths([tmp_path]).warnings]


# --- E110 art. 10 ¶2 ---------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ART_10_1)
def test_art_10_1_reasons_are_refused_on_a_term_record_naming_early_deletion(tmp_path, reason):
    write(tmp_path, "r.yaml", record(removal_reason=reason, **REMOVED))
    (err,) = check_paths([tmp_path]).errors
    assert (err.code, err.field) == ("E110", "removal_reason")
    assert "early_deletion" in err.message and "第十条第二款" in err.message


@pytest.mark.parametrize("reason", ["early_deletion", "corrected"])
def test_early_deletion_and_correction_end_a_term_record(tmp_path, reason):
    assert check(tmp_path, record(removal_reason=reason, **REMOVED)) == []


@pytest.mark.parametrize("reason", [*ART_10_1, "early_deletion", "corrected"])
def test_every_reason_ends_a_record_without_a_term(tmp_path, reason):
    rec = record(grounds=["able_but_refuses"], term_years=None, removal_reason=reason, **REMOVED)
    assert check(tmp_path, rec) == []


def test_a_mixed_record_has_a_term(tmp_path):
    rec = record(grounds=["able_but_refuses", "evades_by_fraud"], removal_reason="performed", **REMOVED)
    assert check(tmp_path, rec) == [("E110", "removal_reason")]


def test_term_expired_is_never_written(tmp_path):
    assert check(tmp_path, record(removal_reason="term_expired", **REMOVED)) == [("E110", "removal_reason")]


# --- E111/E112 art. 2 ¶1 -----------------------------------------------------------------------
@pytest.mark.parametrize("term", [3, 4, 5])
def test_an_extended_term_needs_its_reason(tmp_path, term):
    write(tmp_path, "r.yaml", record(term_years=term))
    (err,) = check_paths([tmp_path]).errors
    assert (err.code, err.field) == ("E111", "term_extension")
    assert "第二条第一款" in err.message and "multiple_acts" in err.message and "violence" in err.message


def test_a_reason_without_an_extension_is_refused(tmp_path):
    assert check(tmp_path, record(term_extension="multiple_acts")) == [("E111", "term_extension")]
    no_term = record(grounds=["able_but_refuses"], term_years=None, term_extension="multiple_acts")
    assert check(tmp_path, no_term) == [("E111", "term_extension")]


def test_violence_needs_obstruction_by_force(tmp_path):
    assert check(tmp_path, record(term_years=4, term_extension="violence")) == [("E112", "term_extension")]
    ok = record(grounds=["obstructs_by_force"], term_years=4, term_extension="violence")
    assert check(tmp_path, ok) == []


def test_an_unknown_extension_reason_is_named(tmp_path):
    assert check(tmp_path, record(term_years=3, term_extension="serious")) == [("E012", "term_extension")]


# --- E021/E113/E114 art. 10 ¶3 -----------------------------------------------------------------
FIRST = record(removal_reason="early_deletion", **REMOVED)
AGAIN = record(listing_no=2, listed_on=date(2026, 2, 3), vetting__vetted_on=date(2026, 2, 2))


def test_a_relisting_after_removal_is_valid(tmp_path):
    assert check(tmp_path, FIRST, AGAIN) == []


def test_a_relisting_needs_listing_no(tmp_path):
    write(tmp_path, "r0.yaml", FIRST)
    write(tmp_path, "r1.yaml", {k: v for k, v in AGAIN.items() if k != "listing_no"})
    (err,) = check_paths([tmp_path]).errors
    assert (err.code, err.field) == ("E113", "listing_no") and "listing_no: 2" in err.message


def test_a_relisting_must_follow_the_removal(tmp_path):
    early = record(listing_no=2, listed_on=date(2026, 1, 5), vetting__vetted_on=date(2026, 1, 4))
    assert check(tmp_path, FIRST, early) == [("E114", "listed_on")]


def test_a_relisting_while_the_first_is_listed(tmp_path):
    assert check(tmp_path, record(), AGAIN) == [("E114", "listed_on")]


def test_two_listed_records_of_one_case_are_a_duplicate_without_the_debtor_seq_hint(tmp_path):
    write(tmp_path, "r0.yaml", record())
    write(tmp_path, "r1.yaml", record())
    (err,) = check_paths([tmp_path]).errors
    assert err.code == "E021" and "在列" in err.message and "重复录入" in err.message


def test_listing_no_is_2_or_more(tmp_path):
    assert check(tmp_path, record(listing_no=1)) == [("E113", "listing_no")]


# --- E115/E116 art. 5 --------------------------------------------------------------------------
def test_listing_before_service_is_refused(tmp_path):
    write(tmp_path, "r.yaml", record(vetting__decided_on=date(2025, 5, 28), vetting__served_on=date(2025, 6, 2)))
    (err,) = check_paths([tmp_path]).errors
    assert (err.code, err.field) == ("E115", "listed_on") and "第五条" in err.message and "2025-06-02" in err.message


def test_service_before_decision_is_refused(tmp_path):
    rec = record(vetting__decided_on=date(2025, 5, 29), vetting__served_on=date(2025, 5, 28))
    assert check(tmp_path, rec) == [("E116", "vetting.served_on")]


def test_grace_before_decision_is_refused(tmp_path):
    rec = record(vetting__decided_on=date(2025, 5, 29), grace_until=date(2025, 5, 1))
    assert check(tmp_path, rec) == [("E116", "grace_until")]


# --- W110/W111 ---------------------------------------------------------------------------------
def test_missing_service_date_is_a_warning_not_an_error(tmp_path, capsys):
    from generator.cli import main

    assert warnings(tmp_path, record()) == [("W110", "vetting.served_on")]
    path = tmp_path / "r0.yaml"
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:" in out and "W110 vetting.served_on:" in out and "第五条" in out
    assert warnings(tmp_path / "b", record(vetting__served_on=date(2025, 5, 30))) == []


def test_a_legal_representative_listed_as_a_person_in_the_same_case_is_warned(tmp_path):
    org = record(debtor=dict(ORG_DEBTOR), debtor_seq=1)
    person = record(debtor_seq=2, debtor__name="李四")
    found = [w for w in warnings(tmp_path, org, person) if w[0] == "W111"]
    assert found == [("W111", "debtor.name")]
    other_case = record(case_number="（2024）鲁0502执1299号", debtor__name="李四")
    assert [w for w in warnings(tmp_path / "b", org, other_case) if w[0] == "W111"] == []
