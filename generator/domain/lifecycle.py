"""The rules of a record's life under SPEC §6: decision and service (art. 5), the term and its
extension (art. 2), removal (art. 10 ¶2) and re-listing (art. 10 ¶3).

Called by rules.check_record (one record) and rules.check_across (re-listings); each problem has
a stable code (E110–E119, W110–W111) and a Chinese message naming the article.
"""

from __future__ import annotations

from collections.abc import Callable

from generator.domain.records import REMOVAL_REASONS, TERM_REMOVAL_REASONS, SourceRecord
from generator.errors import RecordError

Err = Callable[..., None]
MIN_TERM, MAX_TERM = 2, 5
_ART_10_2 = "《规定》第十条第二款：有纳入期限的，不适用第一款的删除情形"


def check(src: SourceRecord, err: Err) -> None:
    """The §6 rules one record can break on its own."""
    r = src.record
    # art. 10 ¶2: a term record leaves by early deletion, correction or its term's end only
    if r.has_term and r.removal_reason is not None and r.removal_reason not in (*TERM_REMOVAL_REASONS, "term_expired"):
        label = REMOVAL_REASONS[r.removal_reason]
        err(
            "E110",
            "removal_reason",
            f"本记录有纳入期限（{r.term_years or 2} 年），不能以 {r.removal_reason}（{label}）删除（{_ART_10_2}）："
            "被执行人积极履行、主动纠正失信行为的，请写 removal_reason: early_deletion（提前删除，第二条第二款）；"
            "不应纳入的写 corrected（纠正）；否则期限届满后自动下线",
        )
    if r.removal_reason == "term_expired":
        err("E110", "removal_reason", "term_expired（期限届满）由系统按 listed_on 与 term_years 计算，不能写入记录：请删除"
            " status/removed_on/removal_reason，或按实际情形写 early_deletion、corrected")  # fmt: skip

    # art. 2 ¶1: more than two years only for violence or several acts, and it must say which
    if r.term_years is not None and r.has_term:
        if MIN_TERM < r.term_years <= MAX_TERM and r.term_extension is None:
            err(
                "E111",
                "term_extension",
                f"期限 {r.term_years} 年超过二年，须写明延长理由（《规定》第二条第一款）：term_extension: violence"
                "（以暴力、威胁方法妨碍、抗拒执行情节严重）或 multiple_acts（具有多项失信行为）；"
                "无延长理由的请把 term_years 改为 2",
                "term_years",
            )
        elif r.term_years <= MIN_TERM and r.term_extension is not None:
            err(
                "E111",
                "term_extension",
                f"期限为 {r.term_years} 年，未延长：请删除 term_extension（《规定》第二条第一款）",
            )
    elif r.term_extension is not None:
        err("E111", "term_extension", "没有纳入期限的记录不能写延长理由：请删除 term_extension（《规定》第二条第一款）")
    if r.term_extension == "violence" and "obstructs_by_force" not in r.grounds:
        err(
            "E112",
            "term_extension",
            "延长理由 violence（以暴力、威胁方法妨碍、抗拒执行情节严重）要求失信情形含 obstructs_by_force"
            "（《规定》第一条第二项、第二条第一款）：请在 grounds 中补上，或改写为 multiple_acts",
        )

    # art. 10 ¶3: a re-listing is numbered 2, 3…
    if r.listing_no is not None and r.listing_no < 2:
        err("E113", "listing_no", f"listing_no 为再次纳入的序次，应为 2 及以上（《规定》第十条第三款），实际为 {r.listing_no}；"
            "首次纳入的记录不写 listing_no")  # fmt: skip

    # art. 5: decision, then service, then publication
    v = r.vetting
    if v.decided_on is not None and v.served_on is not None and v.served_on < v.decided_on:
        err("E116", "vetting.served_on", f"送达日期 {v.served_on} 早于决定书作出日期 {v.decided_on}（《规定》第五条）")
    if v.decided_on is not None and v.decided_on < r.filed_on:
        err("E116", "vetting.decided_on", f"决定书作出日期 {v.decided_on} 早于立案时间 {r.filed_on}")
    if v.served_on is not None and r.listed_on < v.served_on:
        err(
            "E115",
            "listed_on",
            f"发布时间 {r.listed_on} 早于决定书送达日期 {v.served_on}：纳入决定送达后才能公布（《规定》第五条）；"
            f"请把 listed_on 改为 {v.served_on} 或之后",
        )
    if r.grace_until is not None and v.decided_on is not None and r.grace_until < v.decided_on:
        err("E116", "grace_until", f"宽限期 {r.grace_until} 早于决定书作出日期 {v.decided_on}（法发〔2019〕35号）")


def warnings(src: SourceRecord) -> list[RecordError]:
    """W110: no served_on, so the check cannot see that publication waited for service."""
    r = src.record
    if r.vetting.served_on is not None:
        return []
    return [
        RecordError(
            src.path,
            src.line("vetting"),
            "W110",
            "vetting.served_on",
            "未填写纳入决定书送达日期：公布不得早于送达（《规定》第五条），请补填 vetting.served_on"
            "（以及 vetting.decided_on 决定书作出日期）",
        )
    ]

