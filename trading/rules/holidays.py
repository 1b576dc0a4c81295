"""The shipped holiday schedule (data/holidays-cn.json), loading it, and where the calendar ends.

Legal periods counted in working days need the State Council's schedule of the year they run in.
The platform ships the schedules it knows as data; the decision branch edits the calendar after
that. Past the calendar's end, days are counted as plain Monday-to-Friday weeks, which may be
wrong by a whole holiday week: the decision branch is warned wherever it approves such a trade.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import get_locale, gettext as _

from trading.extensions import db
from trading.rules.days import CalendarDay, DayKind, local_date

DATA = Path(__file__).resolve().parent / "data" / "holidays-cn.json"


@lru_cache(maxsize=1)
def shipped() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def provisional_years() -> set[int]:
    """Years whose shipped schedule is not the State Council's notice yet (statutory days only)."""
    return {int(y) for y, data in shipped()["years"].items() if data["status"] != "official"}


def load_schedule() -> int:
    """Add every shipped day the calendar does not have yet (an edited day is never overwritten)."""
    have = set(db.session.scalars(sa.select(CalendarDay.day)))
    added = 0
    for data in shipped()["years"].values():
        for first, last, name in data["holidays"]:
            d, end = date.fromisoformat(first), date.fromisoformat(last)
            while d <= end:
                if d not in have:
                    db.session.add(CalendarDay(day=d, kind=DayKind.HOLIDAY, name=name))
                    have.add(d)
                    added += 1
                d += timedelta(days=1)
        for day, name in data["workdays"]:
            d = date.fromisoformat(day)
            if d not in have:
                db.session.add(CalendarDay(day=d, kind=DayKind.WORKDAY, name=name))
                have.add(d)
                added += 1
    db.session.flush()
    return added


def calendar_end() -> date | None:
    """The last day the calendar covers: 31 December of the last year that has holidays in it
    (every year has New Year's Day), or None for an empty calendar."""
    last = db.session.scalar(sa.select(sa.func.max(CalendarDay.day)).where(CalendarDay.kind == DayKind.HOLIDAY))
    return date(last.year, 12, 31) if last else None


def _listed(names) -> str:
    """Names as a list in the reader's language (、 in Chinese)."""
    return ("、" if str(get_locale() or "zh_CN").startswith("zh") else ", ").join(str(n) for n in names)


def deadline_warnings(trade) -> list[str]:
    """What the decision branch must know before approving: milestones past the calendar's end, or in
    a year whose schedule is still provisional. Empty when the calendar covers every milestone."""
    from trading.rules.model import milestone_label

    dates = {m: local_date(trade.milestone(m)) for m in trade.rule_set.milestones if trade.milestone(m)}
    if not dates:
        return []
    end = calendar_end()
    out = []
    beyond = [m for m, d in dates.items() if end is None or d > end]
    if beyond:
        last = max(dates[m] for m in beyond)
        names = _listed(milestone_label(m) for m in beyond)
        if end is None:
            out.append(_("The holiday calendar is empty: the working days of %(names)s (up to %(day)s) are "
                         "counted over plain Monday-to-Friday weeks. Load the State Council's holiday schedule "
                         "before approving.",
                         names=names, day=last.isoformat()))
        else:
            out.append(_("Beyond the end of the holiday calendar (%(end)s): %(names)s (up to %(day)s). Their "
                         "working days are counted over plain Monday-to-Friday weeks. Add the State Council's "
                         "schedule for %(year)d to the calendar before approving.",
                         names=names, day=last.isoformat(), end=end.isoformat(), year=last.year))
    pending = provisional_years()
    for year in sorted({d.year for m, d in dates.items() if m not in beyond and d.year in pending}):
        names = _listed(milestone_label(m) for m, d in dates.items() if d.year == year and m not in beyond)
        out.append(_("In %(year)d, whose holiday schedule is provisional (the statutory holidays only, pending "
                     "the State Council's notice): %(names)s. Check these dates against the notice.",
                     names=names, year=year))
    return out
