"""Publication policy (SPEC §2) on fixture records."""

from datetime import date

from generator.domain.policy import decide_records
from generator.read.checker import check_paths
from generator.staff import demo

from .factory import AS_OF, record, write


def _view(tmp_path, *recs, as_of=AS_OF):
    for i, rec in enumerate(recs):
        write(tmp_path, f"r{i}.yaml", rec)
    result = check_paths([tmp_path], drafts_ok=True)
    assert not result.errors, result.errors
    return decide_records(result.records, as_of)


def test_listed_record_is_public(tmp_path):
    view = _view(tmp_path, record())
    assert [p.id for p in view.public] == ["2024-lu0502-zhi-1234"]
    assert view.public[0].term_ends_on == date(2027, 6, 1)


def test_term_end_is_exclusive_and_gives_notice(tmp_path):
    view = _view(tmp_path, record(), as_of=date(2027, 6, 1))
    assert view.public == ()
    assert [(n.reason, n.removed_on) for n in view.notices] == [("term_expired", date(2027, 6, 1))]
    assert "张三丰" in view.withheld_names


def test_notice_disappears_after_notice_days(tmp_path):
    view = _view(tmp_path, record(), as_of=date(2027, 9, 1))
    assert view.notices == ()


def test_removed_future_draft(tmp_path):
    removed = record(status="removed", removed_on=date(2026, 11, 1), removal_reason="performed")
    future = record(
        case_number="（2024）鲁0502执1235号", listed_on=date(2026, 12, 1), vetting__vetted_on=date(2026, 11, 30)
    )
    draft = record(case_number="（2024）鲁0502执1236号", vetting__vetted_by=None, vetting__vetted_on=None)
    del draft["vetting"]["vetted_by"], draft["vetting"]["vetted_on"]
    view = _view(tmp_path, removed, future, draft)
    assert view.public == ()
    assert [n.reason for n in view.notices] == ["performed"]
    assert view.withheld_case_numbers == {"（2024）鲁0502执1235号", "（2024）鲁0502执1236号"}


def test_public_records_newest_first_then_by_id(tmp_path):
    demo.write_records(tmp_path, demo.make_records(300, seed=11, as_of=AS_OF))
    view = decide_records(check_paths([tmp_path], jobs=1).records, AS_OF)
    assert len({p.listed_on for p in view.public}) < len(view.public)  # equal dates: ordered by id
    assert list(view.public) == sorted(view.public, key=lambda p: (-p.listed_on.toordinal(), p.id))
    assert list(view.notices) == sorted(view.notices, key=lambda n: (-n.removed_on.toordinal(), n.id))
    assert view.notices
