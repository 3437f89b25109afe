"""Working days for the three-working-day deadlines of art. 10 (`chenglai remove`, `expiring`).

The State Council announces each year's public holidays and the weekends worked in exchange
(调休); chinese-calendar keeps that table (never a hand-typed one here). For a year it does not
know yet, the count falls back to Monday–Friday and says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import chinese_calendar


class Deadline(NamedTuple):
    """The last day of a deadline, and whether the holiday calendar knew every day counted."""

    day: date
    calendar_known: bool


def is_working_day(d: date) -> tuple[bool, bool]:
    """(a working day, the calendar knows this year); unknown years: Monday–Friday."""
    try:
        return chinese_calendar.is_workday(d), True
    except NotImplementedError:  # the package's message: no data for this year
        return d.weekday() < 5, False


def add_working_days(start: date, days: int) -> Deadline:
    """The `days`-th working day after `start` (the day the cause arose is not counted)."""
    d, known = start, True
    while days:
        d += timedelta(days=1)
        working, this_known = is_working_day(d)
        known = known and this_known
        if working:
            days -= 1
    return Deadline(d, known)


def describe(deadline: Deadline) -> str:
    """How the deadline was counted, for staff messages."""
    if deadline.calendar_known:
        return "按国务院公布的节假日与调休安排计算"
    return (
        f"{deadline.day.year} 年的节假日安排尚未收入 chinese-calendar（请升级该依赖），"
        "暂按周一至周五计算，遇法定节假日或调休请自行顺延或提前"
    )
