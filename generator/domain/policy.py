"""The one place that decides what is public on a date (SPEC §2).

Everything the site, feeds, data files and search index show is rendered from the
PublicView this module returns; renderers never see a non-public record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from generator.domain import casenumber, ids
from generator.domain.certificates import CERTIFIED_REASONS
from generator.domain.records import GROUNDS, ID_KINDS, NO_FIXED_TERM, REMOVAL_REASONS, Record, SourceRecord

DEFAULT_REMOVAL_NOTICE_DAYS = 90


def add_years(d: date, years: int) -> date:
    """The corresponding day `years` later; with no such day (29 February) the month's last day
    (民法典 art. 202)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def term_last_day(listed_on: date, term_years: int | None, grounds: Iterable[str]) -> date | None:
    """The last day a record is public by its term; None: no fixed term (art. 2).

    Counted as the Civil Code counts (arts. 201–202): the listing day itself is not counted,
    and the corresponding day of the last year is the term's last day. Listed 2024-10-30 for
    2 years: public through 2026-10-30, gone on 2026-10-31."""
    if term_years is None or all(g == NO_FIXED_TERM for g in grounds):
        return None
    return add_years(listed_on, term_years)


def term_end(listed_on: date, term_years: int | None, grounds: Iterable[str]) -> date | None:
    """First day the record is no longer public by lapse of its term; None: no fixed term."""
    last = term_last_day(listed_on, term_years, grounds)
    return None if last is None else last + timedelta(days=1)


def public_from(record: Record) -> date | None:
    """The first day a record may be public, or None when it never may: publication waits for
    the decision's service (art. 5: listed_on ≥ vetting.served_on) and for the grace period of
    法发〔2019〕35号 (grace_until), each when given."""
    served = record.vetting.served_on
    if served is not None and record.listed_on < served:
        return None
    if record.grace_until is not None and record.grace_until > record.listed_on:
        return record.grace_until
    return record.listed_on


class PublicRecord(NamedTuple):
    """The published fields of one record (art. 6), ID masked; nothing staff-internal.

    A tuple (not a dataclass): 100,000 of them are kept in the state store between builds and
    unpickled at C speed, a tenth of the time and memory of objects with a __dict__."""

    id: str
    case_number: str  # normalised
    court: str
    court_slug: str
    region_code: str
    region_name: str
    filed_on: date
    basis_issuer: str
    basis_document: str
    kind: str  # person | organization
    name: str
    id_masked: str | None
    gender: str | None
    age: int | None
    uscc: str | None
    legal_representative: str | None
    debtor_seq: int | None
    obligation: str
    performance: str
    outstanding: Decimal | None
    grounds: tuple[str, ...]
    listed_on: date
    term_years: int | None
    term_ends_on: date | None  # the term's last public day (民法典 art. 202)
    listing_no: int | None = None  # 2, 3…: a re-listing (art. 10 ¶3)
    id_kind: str | None = None  # person: None is a resident ID (records.ID_KINDS)
    org_code: str | None = None  # organization without a uscc: 组织机构代码 (art. 6)

    @property
    def id_label(self) -> str:
        """What the person's number is (证件号码 of art. 6)."""
        return "身份证号码" if self.id_kind is None else ID_KINDS[self.id_kind] + "号码"

    @property
    def url(self) -> str:
        return f"debtors/{self.id}/"

    @property
    def kind_label(self) -> str:
        return "自然人" if self.kind == "person" else "法人或其他组织"

    @property
    def ground_labels(self) -> tuple[str, ...]:
        return tuple(GROUNDS[g] for g in self.grounds)


@dataclass(frozen=True)
class RemovalNotice:
    """What is said of a record that was public and is no longer: never name or ID."""

    id: str  # the record id the listing had (for feed tombstones)
    case_number: str
    court: str
    court_slug: str
    region_code: str
    removed_on: date
    reason: str  # code from REMOVAL_REASONS

    @property
    def reason_label(self) -> str:
        return REMOVAL_REASONS[self.reason]


@dataclass(frozen=True)
class PublicView:
    """Everything that may be published on `as_of`, and what must never appear."""

    as_of: date
    public: tuple[PublicRecord, ...]  # newest listing first, then by id
    notices: tuple[RemovalNotice, ...]  # newest removal first, then by id
    withheld_names: frozenset[str] = field(default_factory=frozenset)
    withheld_case_numbers: frozenset[str] = field(default_factory=frozenset)
    # removals a 信用修复证明 attests, whose /verify/ page is kept (certificate_of): newest first
    certified: tuple[RemovalNotice, ...] = ()
    # the other kinds of SPEC §7, public on as_of (kindpolicy.decide_kinds: the same law; their
    # withheld names and case numbers are in the two sets above)
    restrictions: tuple[Any, ...] = ()  # kindpolicy.PublicRestriction, newest order first
    lifts: tuple[Any, ...] = ()  # kindpolicy.LiftNotice (解除限制消费令公告), newest first
    rewards: tuple[Any, ...] = ()  # kindpolicy.PublicReward, newest first
    batches: tuple[Any, ...] = ()  # kindpolicy.PublicBatch (集中曝光), newest first
    # the groupings, made once per view: pages, feeds, sitemaps and the index all ask
    _groups: dict[str, dict[str, list[PublicRecord]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def by_court(self) -> dict[str, list[PublicRecord]]:
        if "court" not in self._groups:
            self._groups["court"] = _group(self.public, lambda r: r.court_slug)
        return dict(self._groups["court"])

    def by_region(self) -> dict[str, list[PublicRecord]]:
        if "region" not in self._groups:
            self._groups["region"] = _group(self.public, lambda r: r.region_code)
        return dict(self._groups["region"])

    def by_ground(self) -> dict[str, list[PublicRecord]]:
        if "ground" not in self._groups:
            out: dict[str, list[PublicRecord]] = {}
            for r in self.public:
                for g in r.grounds:
                    out.setdefault(g, []).append(r)
            self._groups["ground"] = dict(sorted(out.items()))
        return dict(self._groups["ground"])


def _group(items, key):  # type: ignore[no-untyped-def]
    out: dict = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return dict(sorted(out.items()))


def _public_record(src: SourceRecord, case: casenumber.CaseNumber, end: date | None) -> PublicRecord:
    r, d = src.record, src.record.debtor
    return PublicRecord(
        id=casenumber.record_id(case, r.debtor_seq, r.listing_no),
        case_number=case.text,
        court=r.court,
        court_slug=case.court_slug,
        region_code=r.region_code,
        region_name=ids.region_name(r.region_code) or r.region_code,
        filed_on=r.filed_on,
        basis_issuer=r.basis.issuer,
        basis_document=r.basis.document,
        kind=d.kind,
        name=d.name,
        id_masked=d.id_masked,
        gender=d.gender,
        age=d.age,
        uscc=d.uscc,
        legal_representative=d.legal_representative,
        debtor_seq=r.debtor_seq,
        obligation=r.obligation,
        performance=r.performance,
        outstanding=r.outstanding,
        grounds=tuple(r.grounds),
        listed_on=r.listed_on,
        term_years=r.term_years,
        term_ends_on=end,
        listing_no=r.listing_no,
        id_kind=d.id_kind if d.id_kind != "resident" else None,
        org_code=d.org_code,
    )


class Facts(NamedTuple):
    """What `decide` needs of one record, whatever the date: a pure function of the file's
    bytes (a build keeps it by content hash, generator.read.view), and plain values (a checker
    process sends it back pickled)."""

    record: PublicRecord | None  # as it would be published; None: never public (not eligible)
    listed: bool  # status is listed
    public_from: date  # the first day it may be public: listed_on, or grace_until when later
    removed: tuple[date, str] | None  # (removed_on, removal_reason) of a removed record
    name: str  # the debtor's name (withheld when not public)
    case_text: str | None  # the normalised case number; None when it does not parse


def facts(src: SourceRecord) -> Facts:
    """The date-independent part of `decide` for one record."""
    r = src.record
    case = casenumber.parse(r.case_number)
    start = public_from(r)
    eligible = (
        case is not None
        and start is not None
        and not r.is_draft
        and r.vetting.vetted_by != r.vetting.entered_by
        and not (r.debtor.kind == "person" and (r.debtor.age is None or r.debtor.age < 18))
    )
    public = None
    if eligible:
        assert case is not None
        public = _public_record(src, case, term_last_day(r.listed_on, r.term_years, r.grounds))
    removed = None
    if r.status == "removed" and r.removed_on is not None and r.removal_reason is not None:
        removed = (r.removed_on, r.removal_reason)
    return Facts(public, r.status == "listed", start or r.listed_on, removed, r.debtor.name, case.text if case else None)


def newest_first(r: PublicRecord) -> tuple[int, str]:
    """The order of PublicView.public and of every list made from it: newest listing first, then
    by id (what decide sorts by; a key for bisect and heapq over those lists)."""
    return -r.listed_on.toordinal(), r.id


def newest_removal_first(n: RemovalNotice) -> tuple[int, str]:
    """The order of PublicView.notices: newest removal first, then by id."""
    return -n.removed_on.toordinal(), n.id


def place(f: Facts, as_of: date, notice_from: date) -> tuple[PublicRecord | None, RemovalNotice | None]:
    """One record on `as_of`: (its PublicRecord when public, else None; its removal notice when
    it was public and is no longer, within the notice period)."""
    p = f.record  # None: not eligible
    last = p.term_ends_on if p is not None else None
    if p is not None and f.listed and f.public_from <= as_of and (last is None or as_of <= last):
        return p, None
    if p is None or f.public_from > as_of:
        return None, None  # never public: nothing to announce
    # was public and is no longer: the earlier of removal and term end
    ends = [(last + timedelta(days=1), "term_expired")] if last is not None else []
    if f.removed is not None:
        ends.append(f.removed)
    ends = [(d, why) for d, why in ends if d <= as_of]
    if not ends:
        return None, None
    gone_on, reason = min(ends)
    # removed on its first public day (a wrongly listed person, `corrected`) it was still public
    # for hours: exactly the record whose re-users most need the notice and the tombstone
    if gone_on >= f.public_from and notice_from < gone_on:
        return None, RemovalNotice(
            id=p.id, case_number=p.case_number, court=p.court,
            court_slug=p.court_slug, region_code=p.region_code, removed_on=gone_on, reason=reason,
        )  # fmt: skip
    return None, None


def certificate_of(f: Facts, as_of: date, years: int) -> RemovalNotice | None:
    """What a 信用修复证明 of this record attests on `as_of` (its removal, for the /verify/ page),
    or None: only a record that was public and left the list by its own removal as
    early_deletion or performed (not by its term's end first), within `years` of that removal."""
    p = f.record
    if p is None or f.removed is None or years <= 0:
        return None
    removed_on, reason = f.removed
    if reason not in CERTIFIED_REASONS or not f.public_from <= removed_on <= as_of:
        return None
    if p.term_ends_on is not None and p.term_ends_on < removed_on:
        return None  # the term (term_ends_on: its last public day) had ended: the record was no longer public to remove
    if add_years(removed_on, years) <= as_of:
        return None
    return RemovalNotice(
        id=p.id, case_number=p.case_number, court=p.court,
        court_slug=p.court_slug, region_code=p.region_code, removed_on=removed_on, reason=reason,
    )  # fmt: skip


def decide(
    known: Iterable[Facts], as_of: date, notice_days: int = DEFAULT_REMOVAL_NOTICE_DAYS, certificate_years: int = 0
) -> PublicView:
    """Split valid records (their Facts) into public ones and removal notices for `as_of`.

    Callers pass only records that passed `chenglai check`; the conditions that validity
    already guarantees (vetting, age) are tested again (in `facts`), because a leak costs
    more than a comparison. `certificate_years` > 0: also the removals whose certificate
    verify page is kept (certificate_of; the build passes 0 when it writes no /verify/ pages).
    """
    public: list[PublicRecord] = []
    notices: list[RemovalNotice] = []
    withheld: list[Facts] = []
    certified: list[RemovalNotice] = []
    notice_from = as_of - timedelta(days=notice_days)
    for f in known:
        shown, notice = place(f, as_of, notice_from)
        if shown is not None:
            public.append(shown)
            continue
        withheld.append(f)
        if notice is not None:
            notices.append(notice)
        if certificate_years and (cert := certificate_of(f, as_of, certificate_years)) is not None:
            certified.append(cert)
    # newest first, then by id: two stable sorts (the second keeps the first's order among
    # equal dates) cost half of one sort by a tuple per record
    public.sort(key=attrgetter("id"))
    public.sort(key=attrgetter("listed_on"), reverse=True)
    notices.sort(key=attrgetter("id"))
    notices.sort(key=attrgetter("removed_on"), reverse=True)
    certified.sort(key=newest_removal_first)
    # what the leak gate must never find; a case number a public record, notice or verify page
    # shares is public (a verify page shows the case number, never the name)
    shown_cases = {p.case_number for p in public} | {n.case_number for n in (*notices, *certified)}
    shown_names = {p.name for p in public}
    names = frozenset(f.name for f in withheld) - shown_names
    cases = frozenset(f.case_text for f in withheld if f.case_text is not None) - shown_cases
    return PublicView(as_of, tuple(public), tuple(notices), names, cases, tuple(certified))


def decide_records(
    records: Iterable[SourceRecord], as_of: date, notice_days: int = DEFAULT_REMOVAL_NOTICE_DAYS
) -> PublicView:
    """`decide` of parsed records (staff tools and tests that hold SourceRecords)."""
    return decide(map(facts, records), as_of, notice_days)
