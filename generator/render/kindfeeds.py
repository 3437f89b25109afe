"""The feeds of the other kinds of exposure (SPEC §7): /feeds/restrictions.atom (orders and
解除限制消费令公告, with an RFC 6721 tombstone for a lifted order's entry) and
/feeds/rewards.atom (open 悬赏执行公告). Made from the PublicView like every other feed, and
serialised, listed in the OPML and on /feeds/ by generator.render.feeds (feeds.MORE_FEEDS).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.domain.kindpolicy import DISCLAIMER, LiftNotice, PublicRestriction, PublicReward
from generator.domain.policy import PublicView
from generator.render.feeds import Entry, Feed, Tombstone, lines_html
from generator.render.siteurls import setting, site_url, tag_uri

GROUP = "其他公示"


def restriction_id(settings: dict[str, Any], r_id: str) -> str:
    return tag_uri(settings, f"restriction/{r_id}")


def restriction_entry(settings: dict[str, Any], r: PublicRestriction) -> Entry:
    number = ("证件号码", r.id_masked) if r.kind == "person" else ("统一社会信用代码", r.uscc)
    summary = lines_html([
        ("被执行人", r.name), ("类型", r.kind_label), number, ("法定代表人或负责人", r.legal_representative),
        ("同受限制的人员", "、".join(r.restricted_persons)), ("执行案号", r.case_number), ("执行法院", r.court),
        ("限制消费令文号", r.order_no), ("发布日期", r.issued_on.isoformat()), ("说明", DISCLAIMER),
    ])  # fmt: skip
    return Entry(
        id=restriction_id(settings, r.id), title=f"限制消费令 · {r.name} · {r.case_number}", day=r.issued_on,
        link=site_url(settings, r.url), summary_html=summary, categories=(("restriction", "限制消费令"),),
    )  # fmt: skip


def lift_entry(settings: dict[str, Any], n: LiftNotice) -> Entry:
    summary = lines_html([
        ("被执行人", n.name), ("执行案号", n.case_number), ("执行法院", n.court), ("限制消费令文号", n.order_no),
        ("解除日期", n.lifted_on.isoformat()), ("解除原因", n.reason_label),
    ])  # fmt: skip
    return Entry(
        id=tag_uri(settings, f"restriction-lift/{n.id}/{n.lifted_on.isoformat()}"),
        title=f"解除限制消费令公告 · {n.name} · {n.case_number}", day=n.lifted_on, link=site_url(settings, n.url),
        summary_html=summary, categories=(("lift", "解除限制消费令"),),
    )  # fmt: skip


def reward_entry(settings: dict[str, Any], w: PublicReward) -> Entry:
    summary = lines_html([
        ("被执行人", w.name), ("执行案号", w.case_number), ("执行法院", w.court), ("悬赏金额或方式", w.reward),
        ("悬赏条件", w.conditions), ("联系电话", w.phone), ("联系地址", w.address),
        ("有效期至", w.valid_until.isoformat()),
    ])  # fmt: skip
    return Entry(
        id=tag_uri(settings, f"reward/{w.id}"), title=f"悬赏执行公告 · {w.name} · {w.case_number}",
        day=w.published_on, link=site_url(settings, w.url), summary_html=summary,
        categories=(("reward", "悬赏执行公告"),),
    )  # fmt: skip


def feeds(view: PublicView, settings: dict[str, Any]) -> Iterator[tuple[str, Feed]]:
    limit = int(setting(settings, "PORTAL_FEED_LIMIT"))
    entries = [restriction_entry(settings, r) for r in view.restrictions[:limit]]
    entries += [lift_entry(settings, n) for n in view.lifts]
    entries.sort(key=lambda e: (-e.day.toordinal(), e.id))
    stones = [Tombstone(restriction_id(settings, n.id), n.lifted_on, f"已解除：{n.reason_label}") for n in view.lifts]
    yield GROUP, Feed(
        "feeds/restrictions", "限制消费令", "限制消费令与解除限制消费令公告（不是失信被执行人名单）", "restrictions/",
        entries, ("atom",), stones,
    )  # fmt: skip
    yield GROUP, Feed(
        "feeds/rewards", "悬赏执行公告", "有效期内的悬赏执行公告", "rewards/",
        [reward_entry(settings, w) for w in view.rewards[:limit]], ("atom",),
    )  # fmt: skip
