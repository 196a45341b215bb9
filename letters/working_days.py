"""Working days in England and Wales: weekends and bank holidays do not count."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share one list of bank holidays; "ENG" is that list.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def bank_holiday_name(day: date) -> str | None:
    return _bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and bank_holiday_name(day) is None


@dataclass(frozen=True)
class DueDateCount:
    """How a due date was counted, for showing to people."""

    start: date
    working_days: int
    due: date
    weekend_days: int
    bank_holidays: list[tuple[date, str]] = field(default_factory=list)


def count_working_days(start: date, working_days: int) -> DueDateCount:
    """The date `working_days` working days after `start` (the start day itself not counted)."""
    day = start
    counted = weekend_days = 0
    skipped = []
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            weekend_days += 1
        elif name := bank_holiday_name(day):
            skipped.append((day, name))
        else:
            counted += 1
    return DueDateCount(start, working_days, day, weekend_days, skipped)


def add_working_days(start: date, working_days: int) -> date:
    return count_working_days(start, working_days).due


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start)."""
    day, counted = start, 0
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return counted
