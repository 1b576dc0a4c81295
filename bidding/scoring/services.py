"""Scoring's state changes (the plan, each member's sheet, the committee's price adjustments) and its one
public answer, `final_ranking(trade)`.

Interface fixed for the award package: `final_ranking` returns the passed bids in rank order once every
member of the committee has submitted their sheet (an empty list before: see `scoring_complete`), each as
a `Ranked`. The formulas are bidding/scoring/methods.py; totals and ranks bidding/scoring/ranking.py."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

import bidding.scoring.permissions  # noqa: F401  (registers the scoring permissions)
from bidding.evaluation.services import passed_bids
from bidding.scoring import methods
from bidding.scoring.models import PriceAdjustment, ScoreSheet, ScoringCriterion, ScoringPlan, SheetScore
from bidding.scoring.permissions import PLANNABLE
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.rules.scoring import LOWEST_EVALUATED_PRICE, OUTLIER_PRACTICE, SUBJECT_LABELS
from trading.trades.models import Trade

MAX_TEXT = 4000
MAX_CRITERIA = 30


@dataclass(frozen=True)
class Ranked:
    rank: int  # 1 = first; bids equal under the method's tie rules share a rank (并列, O87 Arts. 54-55)
    entry_id: int  # bidding.ceremony.models.OpeningEntry.id
    bid_id: int
    organisation_id: int
    price: Decimal  # the opened price
    evaluated_price: Decimal | None  # the lowest-evaluated-price method's adjusted price
    total: Decimal | None  # the score, for the scoring methods


#: prices a layer above puts in place of the opened ones: each is called as source(trade) and returns None
#: (not its trade) or {organisation_id: price}: only those companies' passed bids are ranked, at those prices
#: (procurement's competitive negotiation and consultation rank the final quotes, GPL 38 (5); C214 Art. 23)
PRICE_SOURCES: list = []


def price_source(source):
    """Register a price source (idempotent: the app factory may run more than once per process)."""
    if source not in PRICE_SOURCES:
        PRICE_SOURCES.append(source)
    return source


def replaced_prices(trade: Trade) -> dict | None:
    """The prices that rank this trade's bids instead of the opened ones, or None."""
    for source in PRICE_SOURCES:
        prices = source(trade)
        if prices is not None:
            return prices
    return None


# ---- reading -------------------------------------------------------------------------------------------

def plan_of(trade: Trade) -> ScoringPlan | None:
    return db.session.scalar(sa.select(ScoringPlan).where(ScoringPlan.trade_id == trade.id))


def members(trade: Trade) -> list[User]:
    """The committee as it stands: seated and not stepped aside, or drawn and confirmed; each once."""
    from bidding.evaluation.models import CommitteeSeat
    from bidding.experts.models import ExpertSeat, SeatStatus

    seated = db.session.scalars(sa.select(CommitteeSeat.user_id).where(CommitteeSeat.trade_id == trade.id,
                                                                        CommitteeSeat.left_at.is_(None)))
    drawn = db.session.scalars(sa.select(ExpertSeat.user_id).where(ExpertSeat.trade_id == trade.id,
                                                                    ExpertSeat.status == SeatStatus.CONFIRMED))
    ids = sorted(set(seated) | set(drawn))
    return [db.session.get(User, i) for i in ids]


def sheets(trade: Trade) -> list[ScoreSheet]:
    return list(db.session.scalars(sa.select(ScoreSheet).where(ScoreSheet.trade_id == trade.id)
                                   .order_by(ScoreSheet.id)))


def sheet_of(user: User, trade: Trade) -> ScoreSheet | None:
    return db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.trade_id == trade.id,
                                                         ScoreSheet.user_id == user.id))


def submitted_sheets(trade: Trade) -> list[ScoreSheet]:
    """The sheets of the present members that are submitted (a member who stepped aside no longer counts)."""
    ids = {u.id for u in members(trade)}
    return [s for s in sheets(trade) if s.submitted_at is not None and s.user_id in ids]


def scoring_complete(trade: Trade) -> bool:
    """A plan, a committee, and every member's sheet submitted."""
    if plan_of(trade) is None:
        return False
    ids = {u.id for u in members(trade)}
    done = {s.user_id for s in submitted_sheets(trade)}
    return bool(ids) and ids <= done


def adjustments(trade: Trade) -> list[PriceAdjustment]:
    return list(db.session.scalars(sa.select(PriceAdjustment).where(PriceAdjustment.trade_id == trade.id)
                                   .order_by(PriceAdjustment.id)))


def final_ranking(trade: Trade) -> list[Ranked]:
    """The passed bids in rank order by the plan's method, once scoring is complete; [] before."""
    if not scoring_complete(trade):
        return []
    from bidding.scoring.ranking import results

    return [Ranked(r.rank, r.entry.id, r.entry.bid_id, r.entry.organisation_id, r.price, r.evaluated_price,
                   r.total) for r in results(trade).rows]


# ---- the plan ---------------------------------------------------------------------------------------------

def _text(value, field: str, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("may not be empty")]})
        return None
    if len(value) > limit:
        raise InvalidInput({field: [_("at most %(n)d characters", n=limit)]})
    return value


def _decimal(value, field: str, low: Decimal | None = None, high: Decimal | None = None, places: int = 2) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput({field: [_("must be a number")]}) from None
    if not d.is_finite():
        raise InvalidInput({field: [_("must be a number")]})
    if d.as_tuple().exponent < -places:
        raise InvalidInput({field: [_("at most %(n)d decimal places", n=places)]})
    if low is not None and d < low:
        raise InvalidInput({field: [_("must be at least %(min)s", min=low)]})
    if high is not None and d > high:
        raise InvalidInput({field: [_("must be at most %(max)s", max=high)]})
    return d


#: plan parameters: (lowest, highest, decimal places)
PARAM_BOUNDS = {
    "outlier_k": (Decimal("0.5"), Decimal(10), 2), "outlier_min_share": (Decimal(0), Decimal(1), 2),
    "outlier_min_others": (Decimal(1), Decimal(20), 0),
    "trim": (Decimal(0), Decimal(5), 0), "trim_from": (Decimal(0), Decimal(50), 0),
    "factor": (Decimal("0.5"), Decimal("1.5"), 4), "off_above": (Decimal(0), Decimal(100), 2),
    "off_below": (Decimal(0), Decimal(100), 2),
}


def set_plan(actor: User, trade: Trade, data: dict) -> ScoringPlan:
    """Record the method and numbers the tender documents announced: the method must be one the rule set
    allows, the price weight within its bounds for the subject (O87 Art. 55: goods >= 30, services >= 10),
    the criteria's points and the price weight adding up to 100. Replaceable until the first score."""
    require("scoring.plan", trade, user=actor)
    if trade.state not in PLANNABLE:
        raise IllegalMove(_("The scoring plan is fixed before the evaluation; this trade is %(state)s.",
                            state=trade.state.label), code="plan_fixed")
    if sheets(trade):
        raise IllegalMove(_("The committee has begun scoring: the plan can no longer change."), code="plan_fixed")
    rule_set = trade.rule_set
    method = rule_set.scoring_method(str(data.get("method") or ""))
    if method is None:
        allowed = ", ".join(m.key for m in rule_set.scoring) or "-"
        raise InvalidInput({"method": [_("must be one of the methods the rule set %(rs)s allows: %(list)s",
                                         rs=str(rule_set.name), list=allowed)]})
    subject = str(data.get("subject") or "")
    if subject not in method.subject_keys():
        raise InvalidInput({"subject": [_("must be one of: %(list)s", list=", ".join(method.subject_keys()))]})
    weight = None
    criteria = data.get("criteria") or []
    if not isinstance(criteria, list) or len(criteria) > MAX_CRITERIA:
        raise InvalidInput({"criteria": [_("at most %(n)d criteria", n=MAX_CRITERIA)]})
    parsed = []
    for i, c in enumerate(criteria):
        c = c if isinstance(c, dict) else {}
        parsed.append((_text(c.get("name"), f"criteria.{i}.name", limit=200),
                       _decimal(c.get("max_points"), f"criteria.{i}.max_points", Decimal("0.01"), Decimal(100))))
    if method.scores:
        low, high = method.weight_bounds(subject)
        if data.get("price_weight") in (None, ""):
            raise InvalidInput({"price_weight": [_("is required for this method")]})
        weight = _decimal(data.get("price_weight"), "price_weight", Decimal(0), Decimal(100))
        source = str(method.weight_source or method.source)
        if low is not None and weight < low:
            raise InvalidInput({"price_weight": [_("must be at least %(min)s points of 100 for %(subject)s "
                                                   "(%(source)s)", min=low, subject=SUBJECT_LABELS[subject],
                                                   source=source)]})
        if high is not None and weight > high:
            raise InvalidInput({"price_weight": [_("must be at most %(max)s points of 100 for %(subject)s "
                                                   "(%(source)s)", max=high, subject=SUBJECT_LABELS[subject],
                                                   source=source)]})
        if not parsed and weight < 100:
            raise InvalidInput({"criteria": [_("name at least one criterion the experts score")]})
        total = weight + sum((p for _n, p in parsed), Decimal(0))
        if total != 100:
            raise InvalidInput({"criteria": [_("the criteria's points and the price weight must add up to 100 "
                                               "(they add up to %(total)s)", total=total)]})
    elif parsed:
        if method.key == LOWEST_EVALUATED_PRICE:
            raise InvalidInput({"criteria": [_("the lowest evaluated price method scores no criteria: the committee "
                                               "records price adjustments instead")]})
        raise InvalidInput({"criteria": [_("the highest price method scores no criteria: the price offered alone "
                                           "ranks the bids")]})
    params = {k: str(v) for k, v in method.params.items()}
    given = data.get("params") or {}
    if not isinstance(given, dict):
        raise InvalidInput({"params": [_("must be an object")]})
    for name, value in given.items():
        if name not in method.params:
            raise InvalidInput({f"params.{name}": [_("is not a parameter of this method (it has: %(list)s)",
                                                     list=", ".join(sorted(method.params)))]})
        low, high, places = PARAM_BOUNDS[name]
        params[name] = str(_decimal(value, f"params.{name}", low, high, places))
    plan = plan_of(trade)
    if plan is None:
        plan = ScoringPlan(trade_id=trade.id)
        db.session.add(plan)
    plan.method, plan.subject, plan.price_weight, plan.params = method.key, subject, weight, params
    plan.set_by_id, plan.set_at = actor.id, now()
    plan.criteria.clear()
    db.session.flush()
    for i, (name, pts) in enumerate(parsed):
        plan.criteria.append(ScoringCriterion(trade_id=trade.id, position=i + 1, name=name, max_points=pts))
    db.session.flush()
    return plan


def method_of(plan: ScoringPlan):
    return plan.trade.rule_set.scoring_method(plan.method)


# ---- the sheets -------------------------------------------------------------------------------------------

def _require_plan(trade: Trade) -> ScoringPlan:
    plan = plan_of(trade)
    if plan is None:
        raise IllegalMove(_("The staff have not recorded this trade's scoring plan yet."), code="no_plan")
    return plan


def _report_made(trade: Trade) -> bool:
    from bidding.scoring.models import EvaluationReport

    return db.session.scalar(sa.select(EvaluationReport.id).where(EvaluationReport.trade_id == trade.id)) is not None


def cell(entry_id: int, criterion_id: int, part: str) -> str:
    """The field a score's error names (the sheet page's input of the same name)."""
    return f"score.{entry_id}.{criterion_id}.{part}"


def _own_sheet(actor: User, trade: Trade) -> ScoreSheet:
    sheet = sheet_of(actor, trade)
    if sheet is None:
        sheet = ScoreSheet(trade_id=trade.id, user_id=actor.id, created_at=now())
        db.session.add(sheet)
        db.session.flush()
    return sheet


def save_scores(actor: User, trade: Trade, scores: list[dict]) -> ScoreSheet:
    """Write (or overwrite) points and reasons on the actor's own draft sheet."""
    require("scoring.score", trade, user=actor)
    plan = _require_plan(trade)
    sheet = _own_sheet(actor, trade)
    if sheet.submitted_at is not None:
        raise IllegalMove(_("Your sheet is submitted and locked."), code="sheet_locked")
    entries = {e.id for e in passed_bids(trade)}
    criteria = {c.id: c for c in plan.criteria}
    have = {(s.entry_id, s.criterion_id): s for s in sheet.scores}
    for item in scores or []:
        item = item if isinstance(item, dict) else {}
        try:
            entry_id, criterion_id = int(item.get("entry_id")), int(item.get("criterion_id"))
        except (TypeError, ValueError):
            raise InvalidInput({"scores": [_("each score names an entry_id and a criterion_id")]}) from None
        if entry_id not in entries:
            raise InvalidInput({cell(entry_id, criterion_id, "points"): [_("is not a bid in the running")]})
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise InvalidInput({cell(entry_id, criterion_id, "points"): [_("is not a criterion of the plan")]})
        if item.get("points") in (None, ""):
            continue  # left blank: not scored yet
        pts = _decimal(item.get("points"), cell(entry_id, criterion_id, "points"), Decimal(0), criterion.max_points)
        reason = _text(item.get("reason"), cell(entry_id, criterion_id, "reason"), required=False)
        row = have.get((entry_id, criterion_id))
        if row is None:
            row = SheetScore(trade_id=trade.id, entry_id=entry_id, criterion_id=criterion_id, points=pts, reason=reason)
            sheet.scores.append(row)
            have[(entry_id, criterion_id)] = row
        else:
            row.points, row.reason = pts, reason
    db.session.flush()
    return sheet


def fence_for(plan: ScoringPlan, criterion: ScoringCriterion, others: list[Decimal]):
    return methods.outlier_fence(others, criterion.max_points, plan.param("outlier_k"),
                                 plan.param("outlier_min_share"), int(plan.param("outlier_min_others")))


def _others(trade: Trade, sheet: ScoreSheet) -> dict[tuple[int, int], list[Decimal]]:
    out: dict[tuple[int, int], list[Decimal]] = {}
    for other in submitted_sheets(trade):
        if other.id == sheet.id:
            continue
        for s in other.scores:
            out.setdefault((s.entry_id, s.criterion_id), []).append(Decimal(s.points))
    return out


def unexplained(trade: Trade, sheet: ScoreSheet) -> list[tuple[SheetScore, tuple[Decimal, Decimal]]]:
    """The sheet's scores outside the outlier fence of the other submitted sheets, with no reason written."""
    plan = plan_of(trade)
    criteria = {c.id: c for c in plan.criteria}
    others = _others(trade, sheet)
    out = []
    for s in sheet.scores:
        fence = fence_for(plan, criteria[s.criterion_id], others.get((s.entry_id, s.criterion_id), []))
        if methods.is_outlier(s.points, fence) and not (s.reason or "").strip():
            out.append((s, fence))
    return out


def _fence_error(s: SheetScore, fence) -> InvalidInput:
    """The band itself is not told: it would show a member who has not submitted where the others stand."""
    return InvalidInput({cell(s.entry_id, s.criterion_id, "reason"): [_(
        "%(points)s is far from the other members' scores on this bid and criterion: write the reason for it "
        "(%(source)s)", points=s.points, source=str(OUTLIER_PRACTICE))]})


def submit_sheet(actor: User, trade: Trade, scores: list[dict] | None = None) -> ScoreSheet:
    """Submit and lock the actor's sheet: every bid in the running scored on every criterion, and each score
    far from the others already submitted explained in writing."""
    require("scoring.score", trade, user=actor)
    plan = _require_plan(trade)
    if scores:
        sheet = save_scores(actor, trade, scores)
    else:
        sheet = _own_sheet(actor, trade)
    if sheet.submitted_at is not None:
        raise IllegalMove(_("Your sheet is already submitted."), code="sheet_locked")
    have = {(s.entry_id, s.criterion_id) for s in sheet.scores}
    for e in passed_bids(trade):
        for c in plan.criteria:
            if (e.id, c.id) not in have:
                raise InvalidInput({cell(e.id, c.id, "points"): [_("score every bid on every criterion before "
                                                                   "submitting")]})
    missing = unexplained(trade, sheet)
    if missing:
        raise _fence_error(*missing[0])
    sheet_id = sheet.id
    done = db.session.execute(sa.update(ScoreSheet).where(ScoreSheet.id == sheet_id, ScoreSheet.submitted_at.is_(None))
                              .values(submitted_at=now()).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # submitted twice at once: the second loses
        raise IllegalMove(_("Your sheet is already submitted."), code="sheet_locked")
    db.session.refresh(sheet)
    return sheet


def explain(actor: User, trade: Trade, entry_id: int, criterion_id: int, reason: str | None) -> SheetScore:
    """A submitted score that later sheets put outside the fence: its member writes the reason now (the
    points stay as submitted). Only such a score takes a reason after submission."""
    require("scoring.score", trade, user=actor)
    sheet = sheet_of(actor, trade)
    if sheet is None or sheet.submitted_at is None:
        raise IllegalMove(_("Write reasons on your sheet and submit it."), code="not_submitted")
    try:
        entry_id, criterion_id = int(entry_id), int(criterion_id)
    except (TypeError, ValueError):
        raise InvalidInput({"entry_id": [_("is not a bid in the running")]}) from None
    reason = _text(reason, cell(entry_id, criterion_id, "reason"))
    row = next((s for s, _f in unexplained(trade, sheet) if (s.entry_id, s.criterion_id) == (entry_id, criterion_id)),
               None)
    if row is None:
        raise IllegalMove(_("This score needs no further reason: a submitted sheet is locked."), code="sheet_locked")
    row.reason = reason
    db.session.flush()
    return row


def pending_reasons(trade: Trade) -> list[tuple[ScoreSheet, SheetScore]]:
    """Submitted scores outside the fence of all the other submitted sheets and still without a reason."""
    out = []
    for sheet in submitted_sheets(trade):
        out.extend((sheet, s) for s, _f in unexplained(trade, sheet))
    return out


# ---- price adjustments (lowest evaluated price) ---------------------------------------------------------------

def adjust_price(actor: User, trade: Trade, entry_id, amount, reason: str | None) -> PriceAdjustment:
    """The committee costs one deviation of a bid into its evaluated price (Reg 53), with the reason; signed
    amount in yuan. Recorded by a sitting member until the report is made."""
    require("scoring.score", trade, user=actor)
    plan = _require_plan(trade)
    if plan.method != LOWEST_EVALUATED_PRICE:
        raise IllegalMove(_("Price adjustments belong to the lowest evaluated price method."), code="wrong_method")
    method = trade.rule_set.scoring_method(plan.method)
    if method is not None and not method.adjustable:
        raise IllegalMove(_("On this method the price is the one quoted and is not adjusted (%(source)s).",
                            source=str(method.source)), code="not_adjustable")
    if _report_made(trade):
        raise IllegalMove(_("The evaluation report is made: the prices can no longer be adjusted."),
                          code="report_made")
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        raise InvalidInput({"entry_id": [_("is not a bid in the running")]}) from None
    entry = next((e for e in passed_bids(trade) if e.id == entry_id), None)
    if entry is None:
        raise InvalidInput({"entry_id": [_("is not a bid in the running")]})
    bound = Decimal(entry.price) * 10
    amount = _decimal(amount, "amount", -bound, bound)
    if amount == 0:
        raise InvalidInput({"amount": [_("may not be zero")]})
    if Decimal(entry.price) + amount + sum((a.amount for a in adjustments(trade) if a.entry_id == entry_id),
                                           Decimal(0)) <= 0:
        raise InvalidInput({"amount": [_("would bring the evaluated price to zero or below")]})
    row = PriceAdjustment(trade_id=trade.id, entry_id=entry_id, amount=amount, reason=_text(reason, "reason"),
                          recorded_by_id=actor.id, recorded_at=now())
    db.session.add(row)
    db.session.flush()
    return row
