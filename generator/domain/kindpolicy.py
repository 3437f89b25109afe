"""The publication policy of the other kinds of exposure (SPEC §7), on the debtor view's date.

The same law as SPEC §2: an item is public only when valid, fully vetted by a second person,
dated on or before the build date and still in force; everything else leaves no trace. What
is withheld (names, the art. 3 ¶2 persons of an order, case numbers) joins the debtors' withheld
strings in the one PublicView, so the leak gate looks for them too.

- 限制消费令: public from issued_on while in force; a lifted order is public until lifted_on, then
  a 解除限制消费令公告 (which may name the debtor: it is the debtor's benefit, art. 9) is shown for
  the removal notice period. The persons restricted under art. 3 ¶2 are never in the notice.
- 悬赏执行公告: public only while open and published_on ≤ D ≤ valid_until; no notice after.
- 集中曝光: a batch is public from published_on; it shows the debtor records named (or selected)
  that are public on D — a record that stops being public leaves every batch at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from generator.domain import casenumber, ids
from generator.domain.kindmodels import LIFT_REASONS, Batch, Restriction, Reward, SourceItem
from generator.domain.policy import PublicRecord, PublicView
from generator.domain.records import KINDS

UNNAMED_APPLICANT = frozenset({"申请执行人", "申请人"})
DISCLAIMER = "限制消费令与失信被执行人名单是两项不同的措施：被限制消费的被执行人并不因此成为失信被执行人。"


class PublicRestriction(NamedTuple):
    """The published fields of a 限制消费令: the order, the debtor (ID masked), the art. 3 ¶2 persons."""

    id: str
    case_number: str
    court: str
    court_slug: str
    region_code: str
    region_name: str
    order_no: str
    issued_on: date
    kind: str  # person | organization
    name: str
    id_masked: str | None
    uscc: str | None
    legal_representative: str | None
    restricted_persons: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"restrictions/{self.id}/"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


class LiftNotice(NamedTuple):
    """解除限制消费令公告: announced in the scope of the order (art. 9); the debtor, never the
    art. 3 ¶2 persons or an ID."""

    id: str
    case_number: str
    court: str
    court_slug: str
    order_no: str
    name: str
    lifted_on: date
    reason: str

    @property
    def url(self) -> str:
        return f"restrictions/lifted/{self.id}/"

    @property
    def reason_label(self) -> str:
        return LIFT_REASONS[self.reason]


class PublicReward(NamedTuple):
    """The published fields of a 悬赏执行公告 (arts. 21–24): no informant, no web form."""

    id: str
    case_number: str
    court: str
    court_slug: str
    region_code: str
    region_name: str
    kind: str
    name: str
    id_masked: str | None
    uscc: str | None
    legal_representative: str | None
    applicant: str
    reward: str
    conditions: str
    phone: str
    address: str
    published_on: date
    valid_until: date

    @property
    def url(self) -> str:
        return f"rewards/{self.id}/"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


class PublicBatch(NamedTuple):
    """A 集中曝光 batch as published on D: the debtor records of it that are public on D."""

    date: date  # the batch's published_on: its address
    title: str
    court: str
    published_on: date
    records: tuple[PublicRecord, ...]  # in the order of the public list (newest listing first)

    @property
    def url(self) -> str:
        return f"exposure/{self.date.isoformat()}/"


def _vetted(item: Restriction | Reward | Batch) -> bool:
    v = item.vetting
    return v.vetted_by is not None and v.vetted_on is not None and v.vetted_by != v.entered_by


def _adult(item: Restriction | Reward) -> bool:
    d = item.debtor
    return d.kind != "person" or (d.age is not None and d.age >= 18)


def _restriction(src: SourceItem) -> PublicRestriction | None:
    r: Restriction = src.item
    case = casenumber.parse(r.case_number)
    if case is None or not _vetted(r) or not _adult(r):
        return None
    d = r.debtor
    return PublicRestriction(
        id=casenumber.record_id(case, r.debtor_seq), case_number=case.text, court=r.court,
        court_slug=case.court_slug, region_code=r.region_code, region_name=ids.region_name(r.region_code) or r.region_code,
        order_no=r.order_no, issued_on=r.issued_on, kind=d.kind, name=d.name, id_masked=d.id_masked, uscc=d.uscc,
        legal_representative=d.legal_representative,
        restricted_persons=tuple(r.restricted_persons or ()) if d.kind == "organization" else (),
    )  # fmt: skip


def _reward(src: SourceItem) -> PublicReward | None:
    r: Reward = src.item
    case = casenumber.parse(r.case_number)
    if case is None or not _vetted(r) or not _adult(r):
        return None
    d = r.debtor
    return PublicReward(
        id=casenumber.record_id(case, r.debtor_seq), case_number=case.text, court=r.court,
        court_slug=case.court_slug, region_code=r.region_code, region_name=ids.region_name(r.region_code) or r.region_code,
        kind=d.kind, name=d.name, id_masked=d.id_masked, uscc=d.uscc, legal_representative=d.legal_representative,
        applicant=r.applicant, reward=r.reward, conditions=r.conditions, phone=r.contact.phone,
        address=r.contact.address, published_on=r.published_on, valid_until=r.valid_until,
    )  # fmt: skip


def _names(item: Restriction | Reward) -> set[str]:
    out = {item.debtor.name}
    if item.debtor.legal_representative:
        out.add(item.debtor.legal_representative)
    if isinstance(item, Restriction):
        out.update(item.restricted_persons or ())
    elif item.applicant not in UNNAMED_APPLICANT:
        out.add(item.applicant)  # a named applicant; "申请执行人" alone names no one
    return out


def _case_text(item: Restriction | Reward) -> str | None:
    case = casenumber.parse(item.case_number)
    return case.text if case is not None else None


def batch_records(b: Batch, public: Iterable[PublicRecord]) -> tuple[PublicRecord, ...]:
    """The debtor records of a batch among the public ones, in the public list's order."""
    if b.records is not None:
        wanted = set(b.records)
        return tuple(r for r in public if r.id in wanted)
    s = b.selection
    assert s is not None
    return tuple(r for r in public if r.court == s.court and s.listed_from <= r.listed_on <= s.listed_to)


def decide_kinds(view: PublicView, items: Iterable[SourceItem], notice_days: int) -> PublicView:
    """The debtors' view with the kinds public on its date added, and their withheld strings."""
    as_of = view.as_of
    notice_from = as_of - timedelta(days=notice_days)
    restrictions: list[PublicRestriction] = []
    lifts: list[LiftNotice] = []
    rewards: list[PublicReward] = []
    batches: list[PublicBatch] = []
    withheld_names: set[str] = set()
    withheld_cases: set[str] = set()
    shown_names: set[str] = set()
    shown_cases: set[str] = set()
    for src in items:
        item = src.item
        if src.kind == "batch":
            if _vetted(item) and item.published_on <= as_of:
                batches.append(PublicBatch(item.published_on, item.title, item.court, item.published_on,
                                           batch_records(item, view.public)))  # fmt: skip
            continue
        shown = None
        if src.kind == "restriction":
            p = _restriction(src)
            ends = item.lifted_on if item.status == "lifted" else None
            if p is not None and p.issued_on <= as_of and (ends is None or as_of < ends):
                restrictions.append(shown := p)
            elif p is not None and ends is not None and p.issued_on <= as_of and notice_from < ends <= as_of:
                n = LiftNotice(p.id, p.case_number, p.court, p.court_slug, p.order_no, p.name, ends, item.lift_reason)
                lifts.append(n)
                shown_names.add(n.name)
                shown_cases.add(n.case_number)
        else:
            p = _reward(src)
            if p is not None and item.status == "open" and p.published_on <= as_of <= p.valid_until:
                rewards.append(shown := p)
        if shown is not None:
            shown_names.update(_names(item))
            shown_cases.add(shown.case_number)
            continue
        withheld_names.update(_names(item))
        case = _case_text(item)
        if case is not None:
            withheld_cases.add(case)
    restrictions.sort(key=lambda r: (-r.issued_on.toordinal(), r.id))
    lifts.sort(key=lambda n: (-n.lifted_on.toordinal(), n.id))
    rewards.sort(key=lambda r: (-r.published_on.toordinal(), r.id))
    batches.sort(key=lambda b: -b.date.toordinal())
    # a string shown anywhere (a debtor record, a notice, another kind) is public; one withheld
    # anywhere and shown nowhere is a needle of the leak gate
    shown_names |= {p.name for p in view.public}
    shown_cases |= {p.case_number for p in view.public} | {n.case_number for n in view.notices}
    names = (view.withheld_names | withheld_names) - shown_names
    cases = (view.withheld_case_numbers | withheld_cases) - shown_cases
    # (the legal representative of a unit, applicant and art. 3 ¶2 persons of a shown item are
    # public texts too: the gate exempts them as it exempts a debtor record's legal representative)
    return dataclasses.replace(
        view, restrictions=tuple(restrictions), lifts=tuple(lifts), rewards=tuple(rewards), batches=tuple(batches),
        withheld_names=frozenset(names), withheld_case_numbers=frozenset(cases),
    )  # fmt: skip


def kind_texts(view: PublicView) -> Iterable[str]:
    """Every text the kinds publish (the leak gate's exemptions: a withheld string inside one of
    them is no leak)."""
    for r in view.restrictions:
        yield from (r.name, r.court, r.region_name, r.case_number, r.order_no, *r.restricted_persons)
        if r.legal_representative:
            yield r.legal_representative
    for n in view.lifts:
        yield from (n.name, n.court, n.case_number, n.order_no)
    for w in view.rewards:
        yield from (w.name, w.court, w.region_name, w.case_number, w.applicant, w.reward, w.conditions, w.address)
        if w.legal_representative:
            yield w.legal_representative
    for b in view.batches:
        yield from (b.title, b.court)


def kind_counts(view: PublicView) -> dict[str, int]:
    """What the home page and /publicity/ say of the kinds."""
    return {"restrictions": len(view.restrictions), "lifts": len(view.lifts), "rewards": len(view.rewards),
            "batches": len(view.batches)}  # fmt: skip
