"""Norms of the social supervisor scheme as data: how many are drawn per trade, and the length of a term.

These are local practice, not national law (RULES.md, "Supervision practice"): the figures come
from the field reports the platform is modelled on and are configurable per platform:
`SOCIAL_SUPERVISOR_COUNTS` (a list of [threshold yuan, count], highest first, a trade whose
estimated price is strictly above a threshold gets that count), `SOCIAL_SUPERVISOR_DEFAULT_COUNT`
and `SOCIAL_SUPERVISOR_TERM_YEARS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, Source

LOCAL_PRACTICE = Source("社会监督员管理（地方实践，非国家法律，可配置）",
                        "social supervisor scheme (local practice, not national law; configurable)", "?",
                        "RULES.md 'Supervision practice': e.g. 2 for projects over 5M yuan; 2-year renewable terms")

#: (threshold in yuan, count): strictly above the threshold -> count; the first that applies wins
COUNTS: tuple[tuple[Decimal, int], ...] = ((Decimal("5000000"), 2),)
DEFAULT_COUNT = 1
TERM_YEARS = 2

LIMITS = {
    "social_supervisors_above": Limit("social_supervisors_above", COUNTS[0][0], "yuan", LOCAL_PRACTICE,
                                      _l("above this estimated price, two social supervisors are drawn")),
    "social_supervisors_default": Limit("social_supervisors_default", DEFAULT_COUNT, "supervisors", LOCAL_PRACTICE,
                                        _l("social supervisors drawn for any other trade")),
    "social_supervisor_term": Limit("social_supervisor_term", TERM_YEARS, "years", LOCAL_PRACTICE,
                                    _l("length of a social supervisor's term, renewable")),
}


@dataclass(frozen=True)
class CountRule:
    """Why a trade needs `count` supervisors: the threshold that applied (None: the default)."""

    count: int
    above: Decimal | None
    source: Source

    def as_json(self) -> dict:
        return {"count": self.count, "above": str(self.above) if self.above is not None else None,
                "source": self.source.en, "source_zh": self.source.zh}


def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def count_for(estimated_price: Decimal | None) -> CountRule:
    """The number of social supervisors to draw for a trade of this estimated price."""
    table = _config("SOCIAL_SUPERVISOR_COUNTS", COUNTS)
    rows = sorted(((Decimal(str(t)), int(c)) for t, c in table), reverse=True)
    price = Decimal(str(estimated_price)) if estimated_price is not None else Decimal(0)
    for threshold, count in rows:
        if price > threshold:
            return CountRule(count, threshold, LOCAL_PRACTICE)
    return CountRule(int(_config("SOCIAL_SUPERVISOR_DEFAULT_COUNT", DEFAULT_COUNT)), None, LOCAL_PRACTICE)


def term_years() -> int:
    return int(_config("SOCIAL_SUPERVISOR_TERM_YEARS", TERM_YEARS))


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_end(start: date) -> date:
    """The last day (inclusive) of a term starting on `start`."""
    return add_years(start, term_years()) - timedelta(days=1)


def renewed_end(end: date) -> date:
    """A renewal extends the term by a full term from its current end."""
    return add_years(end, term_years())
