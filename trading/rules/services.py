"""Editing the holiday calendar: a change that can move legal deadlines, so it is signalled."""
from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from trading.clock import local_tz, now
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.rules.days import CalendarDay, DayKind
from trading.signals import calendar_changed
from trading.trades.flows import TradeState
from trading.trades.models import Trade

LIVE = (TradeState.SUBMITTED, TradeState.APPROVED, TradeState.ANNOUNCED, TradeState.BIDDING, TradeState.LISTING)


def affected_trades(day: date) -> list[Trade]:
    """Trades under way whose legal periods run over `day`: their checks may now read differently."""
    start = datetime.combine(day, time.min, tzinfo=local_tz())
    return list(db.session.scalars(sa.select(Trade).where(
        Trade.state.in_(LIVE), Trade.issue_at.is_not(None), Trade.issue_at <= start,
        Trade.bid_deadline.is_not(None), Trade.bid_deadline >= start)))


def set_day(actor, day: date, kind: str, name: str) -> tuple[CalendarDay, list[Trade]]:
    require("calendar.edit", user=actor)
    errors: dict[str, list[str]] = {}
    if kind not in (DayKind.HOLIDAY.value, DayKind.WORKDAY.value):
        errors["kind"] = [_("choose holiday or make-up working day")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("a name is required")]
    if errors:
        raise InvalidInput(errors)
    row = db.session.scalar(sa.select(CalendarDay).where(CalendarDay.day == day)) or CalendarDay(day=day)
    row.kind, row.name, row.updated_at = DayKind(kind), name[:100], now()
    db.session.add(row)
    db.session.flush()
    affected = affected_trades(day)
    calendar_changed.send(None, day=day, kind=row.kind, name=row.name, actor=actor, affected=affected)
    return row, affected


def remove_day(actor, day: date) -> list[Trade]:
    require("calendar.edit", user=actor)
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.day == day))
    affected = affected_trades(day)
    calendar_changed.send(None, day=day, kind=None, name=None, actor=actor, affected=affected)
    return affected
