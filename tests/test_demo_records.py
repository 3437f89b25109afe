"""Every record the demo generator makes is valid: benchmarks build 100,000 of them, and a
build refuses any invalid record."""

from __future__ import annotations

from generator.domain import rules
from generator.domain.records import Record, SourceRecord
from generator.staff import demo


def test_100k_demo_records_pass_every_rule() -> None:
    records = demo.make_records(100_000)
    sources = [SourceRecord(f"{i}.yaml", Record.model_validate(r), {}) for i, r in enumerate(records)]
    errors = [e for src in sources for e in rules.check_record(src)]
    errors += rules.check_across(map(rules.across_entry, sources))
    assert errors == []
    # the second debtors of shared cases (debtor_seq 2) are there, and adults on listed_on
    seconds = [r for r in records if r.get("debtor_seq") == 2 and r["debtor"]["kind"] == "person"]
    assert len(seconds) > 2000
    assert min(r["debtor"]["age"] for r in seconds) >= 18
