"""The SME policy functions (财库〔2020〕46号): a trade's terms, a supplier's declaration, the evaluated price
they make (bidding.scoring.ranking.PRICE_ADJUSTERS), and the plan's reserved share."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from procurement.plans.models import BudgetDraw, BudgetLine, ProcurementPlan
from procurement.plans.services import is_procurement
from procurement.results import policy
from procurement.results.models import SmeDeclaration, SmePolicy
from procurement.results.signals import results_changed
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade

CENT = Decimal("0.01")
#: the documents state the SME terms; they may change until bids are in (not once the deadline passed)
BEFORE_BIDS = (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED, TradeState.ANNOUNCED, TradeState.BIDDING)


def policy_of(trade: Trade) -> SmePolicy | None:
    return db.session.scalar(sa.select(SmePolicy).where(SmePolicy.trade_id == trade.id))


def declarations(trade: Trade) -> list[SmeDeclaration]:
    return list(db.session.scalars(sa.select(SmeDeclaration).where(SmeDeclaration.trade_id == trade.id)
                                   .order_by(SmeDeclaration.id)))


def declaration_of(trade: Trade, organisation_id: int) -> SmeDeclaration | None:
    return db.session.scalar(sa.select(SmeDeclaration).where(SmeDeclaration.trade_id == trade.id,
                                                             SmeDeclaration.organisation_id == organisation_id))


def _percent(value, field: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput({field: [_("must be a percentage such as 10")]}) from None
    if not out.is_finite() or out != out.quantize(CENT):
        raise InvalidInput({field: [_("must be a percentage such as 10")]})
    return out


def set_policy(actor: User, trade: Trade, data: dict) -> SmePolicy:
    """State the trade's category, its SME price deduction (within the category's range) and whether it is
    reserved to SMEs; refused once the bid deadline passed (the bids were made on the stated terms)."""
    require("procurement.results.policy", trade, user=actor)
    if trade.state not in BEFORE_BIDS or (trade.bid_deadline is not None and now() >= trade.bid_deadline):
        raise IllegalMove(_("The SME terms are part of the documents: they may not change once the bid deadline "
                            "has passed."), code="deadline_passed")
    category = data.get("category")
    rule = policy.DEDUCTIONS.get(category)
    if rule is None:
        raise InvalidInput({"category": [_("must be one of: %(list)s", list=", ".join(policy.DEDUCTIONS))]})
    deduction = _percent(data.get("deduction"), "deduction")
    if not rule.low <= deduction <= rule.high:
        raise InvalidInput({"deduction": [_("for %(category)s the deduction is from %(low)s%% to %(high)s%% "
                                            "(%(source)s)", category=policy.CATEGORY_LABELS[category],
                                            low=rule.low, high=rule.high, source=rule.source)]})
    row = policy_of(trade) or SmePolicy(trade_id=trade.id)
    row.category, row.deduction, row.reserved = category, deduction, bool(data.get("reserved", False))
    row.set_by_id, row.set_at = actor.id, now()
    db.session.add(row)
    flush_unless_taken(lambda: policy_of(trade) is not None,  # two tabs stated the first terms at once
                       IllegalMove(_("The SME terms were just stated by someone else: reload and check them."),
                                   code="conflict"))
    results_changed.send(trade, what="sme_policy", actor=actor)
    return row


def declaration_text(trade: Trade, organisation, data: dict) -> str:
    return policy.DECLARATION_TEMPLATE.format(
        purchaser=trade.tenderer.name if trade.tenderer is not None else "", title=trade.title, ref=trade.ref,
        company=organisation.name, industry=policy.INDUSTRY_ZH[data["industry"]], employees=data["employees"],
        revenue=f"{data['revenue']:,.2f}", size=policy.SIZE_ZH[data["size"]])


def declare(actor: User, trade: Trade, data: dict) -> SmeDeclaration:
    """The supplier's declaration (46号 Art. 11, Annex 1), with its bid: before the bid deadline only; a later
    one replaces the earlier. Fields: size, industry, employees, revenue; the text is made from them."""
    require("procurement.results.declare", trade, user=actor)
    if trade.state is not TradeState.BIDDING or trade.bid_deadline is None or now() >= trade.bid_deadline:
        raise IllegalMove(_("The SME declaration is made with the bid, before the bid deadline."),
                          code="not_bidding")
    errors: dict[str, list[str]] = {}
    if data.get("size") not in policy.SIZES:
        errors["size"] = [_("must be one of: %(list)s", list=", ".join(policy.SIZES))]
    if data.get("industry") not in policy.INDUSTRIES:
        errors["industry"] = [_("must be one of: %(list)s", list=", ".join(policy.INDUSTRIES))]
    employees = data.get("employees")
    if not isinstance(employees, int) or isinstance(employees, bool) or employees < 0:
        errors["employees"] = [_("must be a whole number, 0 or more")]
    try:
        revenue = Decimal(str(data.get("revenue")))
        if not revenue.is_finite() or revenue < 0 or revenue != revenue.quantize(CENT):
            raise ValueError
    except (InvalidOperation, ValueError):
        errors["revenue"] = [_("must be an amount such as 1250000.00")]
        revenue = None
    if errors:
        raise InvalidInput(errors)
    clean = {"size": data["size"], "industry": data["industry"], "employees": employees, "revenue": revenue}
    row = declaration_of(trade, actor.organisation_id) or SmeDeclaration(trade_id=trade.id,
                                                                         organisation_id=actor.organisation_id)
    row.size, row.industry, row.employees, row.revenue = clean["size"], clean["industry"], employees, revenue
    row.text = declaration_text(trade, actor.organisation, clean)
    row.declared_at, row.declared_by_id = now(), actor.id
    db.session.add(row)
    flush_unless_taken(lambda: declaration_of(trade, actor.organisation_id) is not None,  # a double click
                       IllegalMove(_("Your company's declaration was just recorded: reload to see it."),
                                   code="conflict"))
    results_changed.send(trade, what="sme_declaration", actor=actor)
    return row


def deducted(price: Decimal, percent: Decimal) -> Decimal:
    """The price evaluated for a small or micro enterprise: price x (1 - deduction), to the fen, half up."""
    return (Decimal(price) * (100 - Decimal(percent)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def evaluation_price(trade: Trade, entry, price: Decimal) -> Decimal | None:
    """bidding.scoring's PRICE_ADJUSTERS hook: a declared small or micro enterprise's price, deducted by the
    trade's stated percentage, for the evaluation only (the contract is at the bid price)."""
    if not is_procurement(trade):
        return None
    terms = policy_of(trade)
    if terms is None or not terms.deduction:
        return None
    declared = declaration_of(trade, entry.organisation_id)
    if declared is None or (trade.bid_deadline is not None and declared.declared_at >= trade.bid_deadline):
        return None
    return deducted(price, terms.deduction)


def reserved_share(plan: ProcurementPlan) -> dict:
    """The plan's budget drawn by projects reserved to SMEs against all it drew, and the share the policy asks."""
    from procurement.methods.models import BudgetRelease

    rows = db.session.execute(sa.select(BudgetDraw.amount, SmePolicy.reserved).join(BudgetLine)
                              .outerjoin(SmePolicy, SmePolicy.trade_id == BudgetDraw.trade_id)
                              .outerjoin(BudgetRelease, BudgetRelease.draw_id == BudgetDraw.id)
                              .where(BudgetLine.plan_id == plan.id, BudgetRelease.id.is_(None))).all()
    drawn = sum((amount for amount, _r in rows), Decimal("0.00"))
    reserved = sum((amount for amount, r in rows if r), Decimal("0.00"))
    share = (reserved * 100 / drawn).quantize(CENT, rounding=ROUND_HALF_UP) if drawn else Decimal("0.00")
    return {"plan_id": plan.id, "drawn": drawn, "reserved": reserved, "share": share,
            "required": policy.RESERVED_SHARE, "met": bool(drawn) and share >= policy.RESERVED_SHARE,
            "source": str(policy.SME_RESERVE)}
