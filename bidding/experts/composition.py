"""The specialty code list (data: specialties.json, with its source) and the committee's composition
checked against the trade's rule set (size, odd, experts' share, the larger committee)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from flask_babel import get_locale, gettext as _

from trading.rules.model import RuleSet, registry

DATA = Path(__file__).with_name("specialties.json")


@dataclass(frozen=True)
class Specialty:
    code: str
    zh: str
    en: str

    @property
    def name(self) -> str:
        return self.zh if str(get_locale() or "zh_CN").startswith("zh") else self.en


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def specialties() -> dict[str, Specialty]:
    """Every code of the list, in its order."""
    return {s["code"]: Specialty(s["code"], s["zh"], s["en"]) for s in _data()["specialties"]}


def source() -> dict:
    return _data()["source"]


def label(code: str) -> str:
    s = specialties().get(code)
    return f"{code} {s.name}" if s else code


def rule_set_of(trade) -> RuleSet | None:
    return registry.get(trade.method) if trade.method in registry else None


def limit_value(trade, code: str, default=None):
    rs = rule_set_of(trade)
    limit = rs.limit(code) if rs else None
    return limit.value if limit is not None else default


def required_size(trade, complex_project: bool) -> int | None:
    """The least number of members the rule set asks of this trade's committee (None: no committee rule)."""
    rs = rule_set_of(trade)
    if rs is None or rs.limit("committee_min_size") is None:
        return None
    size = int(rs.limit("committee_min_size").value)
    large, budget = rs.limit("committee_large_min_size"), rs.limit("committee_large_budget")
    if large is not None and (complex_project or (budget is not None and Decimal(trade.estimated_price or 0)
                                                  >= Decimal(budget.value))):
        size = max(size, int(large.value))
    return size


def check(trade, experts: int, representatives: int, complex_project: bool) -> dict[str, list[str]]:
    """The composition's breaches, by field, each message citing its source; empty when it is lawful."""
    rs = rule_set_of(trade)
    errors: dict[str, list[str]] = {}
    if rs is None or rs.limit("committee_min_size") is None:
        return {"trade": [_("this trade's rule set has no evaluation committee")]}
    size = experts + representatives
    least = required_size(trade, complex_project)
    min_limit = rs.limit("committee_min_size")
    large = rs.limit("committee_large_min_size")
    if size < least:
        cited = large.source if large is not None and least == int(large.value) else min_limit.source
        errors.setdefault("size", []).append(
            _("the committee has %(size)d members; at least %(least)d are required (%(source)s)",
              size=size, least=least, source=str(cited)))
    odd = rs.limit("committee_odd")
    if odd is not None and size % 2 == 0:
        errors.setdefault("size", []).append(
            _("the committee has %(size)d members; the number must be odd (%(source)s)", size=size,
              source=str(odd.source)))
    share = rs.limit("committee_expert_share")
    if share is not None and size and Fraction(experts, size) < Fraction(share.value):
        errors.setdefault("representatives", []).append(
            _("%(experts)d experts of %(size)d members is less than %(share)s: the tenderer's representatives are "
              "too many (%(source)s)", experts=experts, size=size, share=str(share.value), source=str(share.source)))
    return errors
