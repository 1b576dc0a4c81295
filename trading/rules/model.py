"""Rule sets as data: every rule names its source, so checks, alarms and pages read one table."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from flask_babel import get_locale, gettext as _, lazy_gettext as _l, ngettext

from trading.rules.days import WorkCalendar, local_date


class Unit(str, enum.Enum):
    DAYS = "days"
    WORKING_DAYS = "working_days"

    @property
    def label(self) -> str:
        return _("days") if self is Unit.DAYS else _("working days")

    def count(self, n: int) -> str:
        """`n` of this unit, with the plural the reader's language needs ("1 day", "2 days")."""
        if self is Unit.DAYS:
            return ngettext("%(num)d day", "%(num)d days", n)
        return ngettext("%(num)d working day", "%(num)d working days", n)


@dataclass(frozen=True)
class Source:
    """A legal source: Chinese and English citation; certainty as in RULES.md (✓ ~ ?)."""

    zh: str
    en: str
    certainty: str = "✓"
    note: str = ""

    def __str__(self) -> str:
        locale = str(get_locale() or "zh_CN")
        return self.zh if locale.startswith("zh") else self.en


MILESTONE_LABELS = {
    "issue_at": _l("documents are issued"),
    "docs_until": _l("document sale ends"),
    "bid_deadline": _l("bid deadline"),
    "opening_at": _l("opening time"),
    "listing_from": _l("listing starts"),
}

FIELD_LABELS = {
    "bid_security": _l("bid security"),
    "estimated_price": _l("estimated price"),
}


def milestone_label(name: str) -> str:
    return str(MILESTONE_LABELS.get(name, name))


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field to fix, the rule code, and a message citing the source."""

    field: str
    code: str
    message: str


class TradeLike(Protocol):
    sandbox: bool
    accelerator: int

    def milestone(self, name: str) -> datetime | None: ...


@dataclass(frozen=True)
class MinPeriod:
    """`end` must come at least `amount` days (or working days) after `start`."""

    code: str
    start: str
    end: str
    amount: int
    unit: Unit
    source: Source

    def earliest_end(self, start: datetime, calendar: WorkCalendar, accelerator: int = 1) -> datetime | None:
        """For sandbox trades the period's real length is divided by the accelerator."""
        first = local_date(start)
        last = calendar.period_end(first, self.amount, self.unit is Unit.WORKING_DAYS)
        if accelerator > 1:
            return start + timedelta(days=(last - first).days) / accelerator
        return None  # real trades compare dates, see check()

    def last_day(self, start: datetime, calendar: WorkCalendar):
        return calendar.period_end(local_date(start), self.amount, self.unit is Unit.WORKING_DAYS)

    def check(self, trade: TradeLike, calendar: WorkCalendar) -> Violation | None:
        start, end = trade.milestone(self.start), trade.milestone(self.end)
        if start is None or end is None:
            return None
        if trade.sandbox and trade.accelerator > 1:
            ok = end >= self.earliest_end(start, calendar, trade.accelerator)
        else:
            ok = local_date(end) >= self.last_day(start, calendar)
        if ok:
            return None
        return Violation(self.end, self.code, self.describe())

    def describe(self) -> str:
        return _(
            "%(end)s must be at least %(span)s after %(start)s (%(source)s)",
            end=milestone_label(self.end), span=self.unit.count(self.amount),
            start=milestone_label(self.start), source=str(self.source),
        )


@dataclass(frozen=True)
class SameMoment:
    """Two milestones must be the same instant (e.g. opening at the deadline, Law 34)."""

    code: str
    first: str
    second: str
    source: Source

    def check(self, trade: TradeLike, calendar: WorkCalendar) -> Violation | None:
        a, b = trade.milestone(self.first), trade.milestone(self.second)
        if a is None or b is None or a == b:
            return None
        return Violation(self.second, self.code, self.describe())

    def describe(self) -> str:
        return _("%(second)s must be the same moment as the %(first)s (%(source)s)",
                 second=milestone_label(self.second), first=milestone_label(self.first), source=str(self.source))


@dataclass(frozen=True)
class Order:
    """`end` may not come before `start` (no legal minimum, but time runs forwards)."""

    code: str
    start: str
    end: str
    source: Source

    def check(self, trade: TradeLike, calendar: WorkCalendar) -> Violation | None:
        a, b = trade.milestone(self.start), trade.milestone(self.end)
        if a is None or b is None or b >= a:
            return None
        return Violation(self.end, self.code, self.describe())

    def describe(self) -> str:
        return _("%(end)s may not be before %(start)s (%(source)s)",
                 end=milestone_label(self.end), start=milestone_label(self.start), source=str(self.source))


@dataclass(frozen=True)
class MaxShare:
    """An amount may not exceed a percentage of another (e.g. bid security ≤ 2%, Reg 26)."""

    code: str
    field: str
    of: str
    percent: Decimal
    source: Source

    def check(self, trade: Any, calendar: WorkCalendar) -> Violation | None:
        amount, base = getattr(trade, self.field, None), getattr(trade, self.of, None)
        if amount is None or base is None:
            return None
        if amount * 100 <= base * self.percent:
            return None
        return Violation(self.field, self.code, self.describe())

    def describe(self) -> str:
        return _("%(field)s may not exceed %(pct)s%% of the %(of)s (%(source)s)",
                 field=str(FIELD_LABELS[self.field]), pct=self.percent, of=str(FIELD_LABELS[self.of]),
                 source=str(self.source))


#: checks of rules whose facts live in a layer above trading (the appraisal and pre-disclosure of a
#: property transfer: bidding.auctions.property): code -> fn(rule, trade, calendar) -> Violation | None
RULE_CHECKS: dict[str, Any] = {}


def rule_check(code: str):
    """Register the check of a `Provided` rule (the layer that holds its facts does, at import)."""
    def register(fn):
        RULE_CHECKS[code] = fn
        return fn

    return register


@dataclass(frozen=True)
class Provided:
    """A rule stated here with its source, checked by the layer that holds its facts (`rule_check`): the
    data stays in the rule set, the facts (a sale's appraisal, a pre-disclosure notice) stay where they are
    kept. Unregistered (a layer not loaded), it finds nothing."""

    code: str
    field: str
    source: Source
    text: Any  # lazy string: what the rule says

    def check(self, trade: Any, calendar: WorkCalendar) -> Violation | None:
        fn = RULE_CHECKS.get(self.code)
        return fn(self, trade, calendar) if fn is not None else None

    def describe(self) -> str:
        return _("%(rule)s (%(source)s)", rule=str(self.text), source=str(self.source))


@dataclass(frozen=True)
class Limit:
    """A number the services and e-supervision use: a lead time, a minimum count, a term."""

    code: str
    value: int | Decimal | Fraction
    unit: Unit | str
    source: Source
    description: Any  # lazy string


Rule = MinPeriod | SameMoment | Order | MaxShare | Provided


@dataclass(frozen=True)
class RuleSet:
    """The rules of one trade method; `flow` names the lifecycle it follows."""

    key: str
    name: Any  # lazy string
    flow: str
    milestones: tuple[str, ...]
    rules: tuple[Rule, ...]
    limits: dict[str, Limit] = field(default_factory=dict)
    kind: str = "works"  # works | procurement | land | property
    #: what electronic supervision watches (trading/rules/norms.py): time limits, required records,
    #: minimum intervals, the order of steps, deposit refunds; read by monitor/cards/esupervision.py
    norms: tuple[Any, ...] = ()
    #: whether bids come sealed to an opening key (so keyholders are needed before approval);
    #: None: every method of the tender flow does, unless it says otherwise (single source takes none)
    sealed_bids: bool | None = None
    #: the evaluation methods the rule set allows (trading/rules/scoring.py), read by bidding/scoring
    scoring: tuple[Any, ...] = ()

    @property
    def takes_sealed_bids(self) -> bool:
        return self.flow == "tender" if self.sealed_bids is None else self.sealed_bids

    def check(self, trade: TradeLike, calendar: WorkCalendar) -> list[Violation]:
        missing = [
            Violation(m, "required", _("%(field)s is required", field=milestone_label(m)))
            for m in self.milestones if trade.milestone(m) is None
        ]
        found = [v for rule in self.rules if (v := rule.check(trade, calendar))]
        return missing + found

    def limit(self, code: str) -> Limit | None:
        return self.limits.get(code)

    def scoring_method(self, key: str):
        return next((m for m in self.scoring if m.key == key), None)

    def norm(self, code: str):
        return next((n for n in self.norms if n.code == code), None)


class RuleRegistry:
    """All rule sets known to the app; packages register theirs in the composition root."""

    def __init__(self) -> None:
        self._sets: dict[str, RuleSet] = {}

    def register(self, *rule_sets: RuleSet) -> None:
        for rs in rule_sets:
            if rs.key in self._sets and self._sets[rs.key] is not rs:
                raise ValueError(f"rule set {rs.key} registered twice")
            self._sets[rs.key] = rs

    def get(self, key: str) -> RuleSet:
        return self._sets[key]

    def __contains__(self, key: str) -> bool:
        return key in self._sets

    def all(self) -> list[RuleSet]:
        return list(self._sets.values())


registry = RuleRegistry()
