"""Counting legal days (民法典 201, 203): the start day is not counted, rest days extend calendar periods."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import CST
from trading.rules.days import CalendarDay, DayKind, WorkCalendar, at_local_time, load_calendar, local_date

PLAIN = WorkCalendar()
# March 2026: Mon 2, Fri 6, Sat 7, Sun 8, Mon 9, ... Sat 28, Sun 29, Mon 30; April: Sat 4, Sun 5, Mon 6.
MON, TUE, FRI, SAT, SUN = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)
NEXT_MON = date(2026, 3, 9)


def test_march_2026_weekdays_are_what_the_tests_assume():
    assert [d.weekday() for d in (MON, TUE, FRI, SAT, SUN, NEXT_MON)] == [0, 1, 4, 5, 6, 0]


# --- is_working_day / next_working_day -------------------------------------------------------------

def test_plain_week():
    assert [PLAIN.is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


def test_holiday_and_makeup_workday():
    cal = WorkCalendar(holidays=frozenset({date(2026, 3, 4)}), workdays=frozenset({SAT}))
    assert not cal.is_working_day(date(2026, 3, 4))  # a Wednesday made free
    assert cal.is_working_day(SAT)  # 调休: a Saturday made a working day
    assert not cal.is_working_day(SUN)


def test_next_working_day():
    assert PLAIN.next_working_day(FRI) == FRI
    assert PLAIN.next_working_day(SAT) == NEXT_MON
    assert PLAIN.next_working_day(SUN) == NEXT_MON
    cal = WorkCalendar(holidays=frozenset({NEXT_MON, date(2026, 3, 10)}))
    assert cal.next_working_day(SAT) == date(2026, 3, 11)


# --- calendar-day periods ---------------------------------------------------------------------------

@pytest.mark.parametrize("amount, expected", [
    (1, TUE),  # the start day (Monday) is not counted
    (4, FRI),
    (5, NEXT_MON),  # would end Saturday 7 → next working day (民法典 203)
    (6, NEXT_MON),  # would end Sunday 8 → Monday 9
    (7, NEXT_MON),  # ends on Monday 9 itself
    (8, date(2026, 3, 10)),
    (20, date(2026, 3, 23)),  # Sunday 22 → Monday 23
    (25, date(2026, 3, 27)),
])
def test_calendar_days_from_monday(amount, expected):
    assert PLAIN.period_end(MON, amount, working_days=False) == expected


def test_start_day_not_counted_even_late_in_the_day():
    # the period is counted in dates: starting Friday, one day ends Saturday → extended to Monday
    assert PLAIN.period_end(FRI, 1, working_days=False) == NEXT_MON
    assert PLAIN.period_end(date(2026, 3, 5), 1, working_days=False) == FRI


def test_calendar_period_ending_on_a_holiday_moves_to_next_working_day():
    cal = WorkCalendar(holidays=frozenset({date(2026, 3, 10)}))
    assert cal.period_end(MON, 8, working_days=False) == date(2026, 3, 11)
    # a period that merely spans the holiday is not extended
    assert cal.period_end(MON, 9, working_days=False) == date(2026, 3, 11)
    assert cal.period_end(MON, 10, working_days=False) == date(2026, 3, 12)


def test_holiday_joined_to_weekend():
    # 清明-style block: Sat 4, Sun 5 and Mon 6 April free
    cal = WorkCalendar(holidays=frozenset({date(2026, 4, 6)}))
    assert cal.period_end(MON, 33, working_days=False) == date(2026, 4, 7)  # Sat 4 → Tue 7
    assert cal.period_end(MON, 35, working_days=False) == date(2026, 4, 7)  # Mon 6 → Tue 7


def test_calendar_period_ending_on_makeup_workday_is_not_extended():
    cal = WorkCalendar(workdays=frozenset({SUN}))
    assert cal.period_end(MON, 6, working_days=False) == SUN
    assert cal.period_end(MON, 5, working_days=False) == SUN  # Saturday is still a rest day


def test_year_boundary_and_new_year_holiday():
    cal = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}))
    assert cal.period_end(date(2026, 12, 31), 1, working_days=False) == date(2027, 1, 4)  # Fri holiday, weekend
    assert cal.period_end(date(2026, 12, 30), 1, working_days=False) == date(2026, 12, 31)


# --- working-day periods ----------------------------------------------------------------------------

@pytest.mark.parametrize("start, amount, expected", [
    (MON, 1, TUE),
    (MON, 4, FRI),
    (MON, 5, NEXT_MON),  # skips Saturday and Sunday
    (FRI, 1, NEXT_MON),
    (SAT, 1, NEXT_MON),  # starting on a rest day: the first working day after it is day 1
    (SUN, 5, date(2026, 3, 13)),
    (MON, 20, date(2026, 3, 30)),
])
def test_working_days_skip_weekends(start, amount, expected):
    assert PLAIN.period_end(start, amount, working_days=True) == expected


def test_working_days_skip_holidays():
    cal = WorkCalendar(holidays=frozenset({NEXT_MON, date(2026, 3, 10)}))
    assert cal.period_end(FRI, 1, working_days=True) == date(2026, 3, 11)
    assert cal.period_end(MON, 5, working_days=True) == date(2026, 3, 11)
    assert cal.period_end(MON, 20, working_days=True) == date(2026, 4, 1)


def test_makeup_workdays_count_as_working_days():
    cal = WorkCalendar(workdays=frozenset({SAT}))
    assert cal.period_end(FRI, 1, working_days=True) == SAT
    assert cal.period_end(MON, 5, working_days=True) == SAT
    assert cal.period_end(MON, 6, working_days=True) == NEXT_MON


def test_a_makeup_workday_listed_as_holiday_too_counts_as_workday():
    cal = WorkCalendar(holidays=frozenset({SAT}), workdays=frozenset({SAT}))
    assert cal.is_working_day(SAT)


# --- period 0 and bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("working", [False, True])
@pytest.mark.parametrize("start", [MON, SAT])
def test_period_zero_is_the_start_day(start, working):
    assert PLAIN.period_end(start, 0, working_days=working) == start


@pytest.mark.parametrize("working", [False, True])
def test_negative_period_refused(working):
    with pytest.raises(ValueError):
        PLAIN.period_end(MON, -1, working_days=working)


# --- working_days_between ---------------------------------------------------------------------------

def test_working_days_between():
    assert PLAIN.working_days_between(MON, MON) == 0
    assert PLAIN.working_days_between(MON, TUE) == 1
    assert PLAIN.working_days_between(FRI, SUN) == 0
    assert PLAIN.working_days_between(FRI, NEXT_MON) == 1
    assert PLAIN.working_days_between(MON, date(2026, 3, 30)) == 20
    cal = WorkCalendar(holidays=frozenset({NEXT_MON}), workdays=frozenset({SAT}))
    assert cal.working_days_between(FRI, NEXT_MON) == 1  # Saturday counts, Monday does not


@pytest.mark.parametrize("amount", [0, 1, 3, 5, 10, 20])
def test_working_days_between_inverts_period_end(amount):
    cal = WorkCalendar(holidays=frozenset({date(2026, 3, 10), date(2026, 3, 18)}), workdays=frozenset({SUN}))
    end = cal.period_end(MON, amount, working_days=True)
    assert cal.working_days_between(MON, end) == amount
    if amount:
        assert cal.working_days_between(MON, end - timedelta(days=1)) == amount - 1
        assert cal.is_working_day(end)


# --- local dates -------------------------------------------------------------------------------------

def test_local_date_is_the_beijing_date():
    late_utc = datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc)  # 00:30 on 3 March in Beijing
    assert local_date(late_utc) == date(2026, 3, 3)
    assert local_date(datetime(2026, 3, 2, 15, 59, 59, tzinfo=timezone.utc)) == date(2026, 3, 2)


def test_at_local_time_keeps_wall_clock_time():
    like = datetime(2026, 3, 27, 1, 30, tzinfo=timezone.utc)  # 09:30 Beijing
    moved = at_local_time(date(2026, 3, 30), like)
    assert moved.astimezone(CST).date() == date(2026, 3, 30)
    assert moved.astimezone(CST).time() == time(9, 30)
    assert moved == datetime(2026, 3, 30, 1, 30, tzinfo=timezone.utc)


# --- the calendar as data in the database ----------------------------------------------------------

def test_empty_database_means_plain_week(db):
    cal = load_calendar()
    assert cal.holidays == frozenset() and cal.workdays == frozenset()
    assert cal.period_end(MON, 8, working_days=False) == date(2026, 3, 10)


def test_calendar_edited_through_the_database(db):
    db.session.add_all([
        CalendarDay(day=date(2026, 3, 10), kind=DayKind.HOLIDAY, name="test holiday"),
        CalendarDay(day=SAT, kind=DayKind.WORKDAY, name="调休上班"),
    ])
    db.session.commit()
    cal = load_calendar()
    assert cal.holidays == frozenset({date(2026, 3, 10)})
    assert cal.workdays == frozenset({SAT})
    assert cal.period_end(MON, 8, working_days=False) == date(2026, 3, 11)
    assert cal.period_end(MON, 5, working_days=True) == SAT

    # the decision branch changes its mind: the holiday becomes an ordinary day, the Saturday a rest day
    row = db.session.scalar(sa.select(CalendarDay).where(CalendarDay.day == date(2026, 3, 10)))
    db.session.delete(row)
    db.session.scalar(sa.select(CalendarDay).where(CalendarDay.day == SAT)).kind = DayKind.HOLIDAY
    db.session.commit()
    cal = load_calendar()
    assert cal.holidays == frozenset({SAT}) and cal.workdays == frozenset()
    assert cal.period_end(MON, 8, working_days=False) == date(2026, 3, 10)
    assert cal.period_end(MON, 5, working_days=True) == NEXT_MON


def test_calendar_day_is_unique(db):
    db.session.add(CalendarDay(day=SAT, kind=DayKind.WORKDAY, name="a"))
    db.session.commit()
    db.session.add(CalendarDay(day=SAT, kind=DayKind.HOLIDAY, name="b"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert load_calendar().workdays == frozenset({SAT})
