"""Counting legal days: calendar and working days over an editable holiday calendar (民法典 201, 203)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trading.clock import local_tz, now
from trading.extensions import db
from trading.types import UTCDateTime


class DayKind(str, enum.Enum):
    HOLIDAY = "holiday"  # a public holiday, including a weekday made free by the State Council
    WORKDAY = "workday"  # a weekend day made a working day (调休上班)


class CalendarDay(db.Model):
    """One exception to the Monday-to-Friday week, edited by the decision branch."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    kind: Mapped[DayKind] = mapped_column(sa.Enum(DayKind, native_enum=False, length=16))
    name: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: weekdays, minus holidays, plus make-up workdays."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def period_end(self, start: date, amount: int, working_days: bool) -> date:
        """Last day of a period of `amount` days beginning the day after `start`.

        The start day is not counted (民法典 201). A period of calendar days whose last day is a
        rest day ends on the next working day (民法典 203); a period of working days counts
        only working days.
        """
        if amount < 0:
            raise ValueError("a period cannot be negative")
        if not working_days:
            return self.next_working_day(start + timedelta(days=amount)) if amount else start
        day, counted = start, 0
        while counted < amount:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def load_calendar() -> WorkCalendar:
    """The calendar as the decision branch last edited it."""
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar(
        holidays=frozenset(d for d, k in rows if k is DayKind.HOLIDAY),
        workdays=frozenset(d for d, k in rows if k is DayKind.WORKDAY),
    )


def local_date(moment: datetime) -> date:
    """The legal date of an instant, in the platform's time zone."""
    return moment.astimezone(local_tz()).date()


def at_local_time(day: date, like: datetime) -> datetime:
    """`day` at the same local wall-clock time as `like` (used when a deadline moves)."""
    tz = local_tz()
    local = like.astimezone(tz)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
