"""The award's numbers as the trade's rule set states them (trading/rules/sets.py: award_limits), and the
periods they make, counted as the e-supervision norms count them (民法典 201, 203; trading.rules.norms.Span)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trading.rules.days import load_calendar
from trading.rules.model import Limit, Unit
from trading.rules.norms import Span
from trading.trades.models import Trade

#: what a tender-flow rule set without award numbers gets (a land tender): no publicity minimum, the
#: candidates the committee ranked, no rank-one rule; everything else as for works
DEFAULTS = {"candidates_max": 3, "publicity_period": 0}


def limit(trade: Trade, code: str) -> Limit | None:
    return trade.rule_set.limits.get(code)


def value(trade: Trade, code: str, default=None):
    found = limit(trade, code)
    return found.value if found is not None else DEFAULTS.get(code, default)


def span(trade: Trade, code: str) -> Span | None:
    found = limit(trade, code)
    if found is None or not isinstance(found.unit, Unit):
        return None
    return Span(int(found.value), found.unit)


def period_end(trade: Trade, code: str, start: datetime) -> datetime:
    """The first instant after the period `code` counted from `start` (the start day not counted; a last
    day on a holiday moves to the next working day); `start` itself when the rule set sets no period."""
    found = span(trade, code)
    if found is None or found.amount <= 0:
        return start
    return found.end(start, load_calendar(), trade.accelerator if trade.sandbox else 1)


def rank_one_wins(trade: Trade) -> bool:
    return limit(trade, "rank_one_wins") is not None


def bond_share(trade: Trade) -> Decimal:
    return Decimal(value(trade, "performance_bond_max", Decimal(10)))


def source(trade: Trade, code: str) -> str:
    found = limit(trade, code)
    return str(found.source) if found is not None else ""
