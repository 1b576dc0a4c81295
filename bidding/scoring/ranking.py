"""Totals and ranks: the plan's method applied to the passed bids and the submitted sheets.

Total (scoring methods) = the platform's price score + the mean of the members' sheet totals for the bid,
each rounded to 0.01 half up (bidding/scoring/methods.py). Lowest evaluated price: the bid price plus the
committee's adjustments. Ties per O87 Arts. 54-55: the lower bid price first, then ranked equal. A land tender
sells (O39 Art. 13): the highest price first, or a comprehensive total whose price score favours the highest."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from bidding.evaluation.services import passed_bids
from bidding.scoring import methods
from bidding.scoring.models import ScoringPlan
from bidding.scoring.services import adjustments, plan_of, replaced_prices, submitted_sheets
from trading.rules.scoring import BENCHMARK, COMPREHENSIVE, COMPREHENSIVE_HIGHEST, HIGHEST_PRICE, LOWEST_EVALUATED_PRICE
from trading.trades.models import Trade


#: hooks of the layers above that lower the price a bid is *evaluated* at, never its contract price (e.g.
#: procurement.results: the small and micro enterprise deduction, 财库〔2020〕46号 Art. 9). Each is
#: fn(trade, entry, price) -> the price to evaluate, or None to leave it; used by the lowest evaluated price
#: (the committee's adjustments apply on top) and by comprehensive scoring's price score.
PRICE_ADJUSTERS: list[Callable[[Trade, object, Decimal], Decimal | None]] = []


def price_for_evaluation(trade: Trade, entry, price: Decimal) -> Decimal:
    for adjuster in PRICE_ADJUSTERS:
        adjusted = adjuster(trade, entry, price)
        if adjusted is not None:
            price = Decimal(adjusted)
    return price


@dataclass
class Row:
    entry: object  # OpeningEntry
    price: Decimal
    rank: int = 0
    price_score: Decimal | None = None
    expert_mean: Decimal | None = None
    #: user_id -> that member's sheet total for this bid
    member_totals: dict[int, Decimal] = field(default_factory=dict)
    total: Decimal | None = None
    evaluated_price: Decimal | None = None
    adjustments: list = field(default_factory=list)


@dataclass
class Results:
    plan: ScoringPlan | None
    rows: list[Row]  # in rank order
    benchmark: Decimal | None = None
    kept: list[Decimal] = field(default_factory=list)  # the prices the benchmark averaged

    @property
    def candidates(self) -> list[Row]:
        """Up to three ranked candidates (Reg 53-54)."""
        return [r for r in self.rows if r.rank <= 3][:3]


def results(trade: Trade) -> Results:
    """The ranking from the sheets submitted so far (complete once every member has submitted)."""
    plan = plan_of(trade)
    entries = [e for e in passed_bids(trade) if e.price is not None]
    rows = {e.id: Row(entry=e, price=Decimal(e.price)) for e in entries}
    replaced = replaced_prices(trade)  # final quotes of a negotiation or consultation, for one
    if replaced is not None:
        rows = {e.id: Row(entry=e, price=Decimal(replaced[e.organisation_id])) for e in entries
                if e.organisation_id in replaced}
    if plan is None or not rows:
        return Results(plan, list(rows.values()))
    prices = {k: r.price for k, r in rows.items()}
    # ties still go to the lower *bid* price (O87 Arts. 54-55); the evaluation reads the adjusted one
    evaluation = {k: price_for_evaluation(trade, r.entry, r.price) for k, r in rows.items()}
    out = Results(plan, [])
    if plan.method == LOWEST_EVALUATED_PRICE:
        adj: dict[int, list[Decimal]] = {}
        for a in adjustments(trade):
            if a.entry_id in rows:
                adj.setdefault(a.entry_id, []).append(Decimal(a.amount))
                rows[a.entry_id].adjustments.append(a)
        evaluated = methods.evaluated_prices(evaluation, adj)
        for k, r in rows.items():
            r.evaluated_price = evaluated[k]
        order = methods.rank(sorted(rows), methods.by_evaluated_price(evaluated, prices))
    elif plan.method == HIGHEST_PRICE:  # a land tender: the price as offered, highest first (O39 Art. 13)
        for r in rows.values():
            r.evaluated_price = r.price
        order = methods.rank(sorted(rows), methods.by_highest_price(prices))
    else:
        weight = Decimal(plan.price_weight)
        if plan.method == COMPREHENSIVE:
            price_scores = methods.comprehensive_price_scores(evaluation, weight)
            for k, r in rows.items():
                if evaluation[k] != r.price:
                    r.evaluated_price = methods.money(evaluation[k])
        elif plan.method == COMPREHENSIVE_HIGHEST:
            price_scores = methods.highest_price_scores(prices, weight)
        elif plan.method == BENCHMARK:
            out.kept = methods.kept_prices(prices.values(), int(plan.param("trim")), int(plan.param("trim_from")))
            out.benchmark = methods.benchmark_price(prices.values(), int(plan.param("trim")),
                                                    int(plan.param("trim_from")), plan.param("factor"))
            price_scores = methods.benchmark_price_scores(prices, weight, out.benchmark, plan.param("off_above"),
                                                          plan.param("off_below"))
        else:  # pragma: no cover - set_plan admits only the rule set's methods
            raise ValueError(plan.method)
        for sheet in submitted_sheets(trade):
            for s in sheet.scores:
                if s.entry_id in rows:
                    row = rows[s.entry_id]
                    row.member_totals[sheet.user_id] = row.member_totals.get(sheet.user_id, Decimal(0)) + s.points
        totals = {}
        for k, r in rows.items():
            r.price_score = price_scores[k]
            r.expert_mean = methods.mean_points(list(r.member_totals.values())) if r.member_totals else Decimal("0.00")
            r.total = methods.points(r.price_score + r.expert_mean)
            totals[k] = r.total
        by = methods.by_total_highest_price if plan.method == COMPREHENSIVE_HIGHEST else methods.by_total
        order = methods.rank(sorted(rows), by(totals, prices))
    for position, k in order:
        rows[k].rank = position
        out.rows.append(rows[k])
    return out
