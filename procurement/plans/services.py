"""Operations on plans: create a plan, add budget lines, draw a trade's budget, approve a method."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask import current_app
from flask_babel import gettext as _

from procurement.plans import catalogue
from procurement.plans.models import BudgetDraw, BudgetLine, MethodApproval, ProcurementPlan
from procurement.plans.signals import budget_drawn, method_approved
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import local_tz, now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import begin_write, db
from trading.numerals import fmt_money
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.types import Money

OPEN_TENDER = "gp_open_tender"


def is_procurement(trade: Trade | None) -> bool:
    """A government procurement trade: its method is one of procurement.rulesets (all coded "gp_*", all of kind
    "procurement"). The one test every procurement sub-package uses; it reads the trade's own column alone."""
    return trade is not None and trade.method.startswith("gp_")


# ---- plans and lines ----------------------------------------------------------------------------

def create_plan(actor, data: dict[str, Any]) -> ProcurementPlan:
    """A purchaser's plan for a year at a centre; a purchaser makes its own, the centre's staff any."""
    centre = db.session.get(Centre, data["centre_id"])
    if centre is None or not any(m.startswith("gp_") for m in centre.methods):
        raise InvalidInput({"centre_id": [_("choose a centre that runs government procurement")]})
    require("procurement.plan.create", centre, user=actor)
    if actor.has_role(Role.TENDERER) and centre.id not in actor.centres_for(Role.CENTRE_STAFF):
        purchaser_id = actor.organisation_id
    else:
        purchaser_id = data.get("purchaser_id")
    purchaser = db.session.get(Organisation, purchaser_id) if purchaser_id else None
    if purchaser is None or purchaser.kind is not OrgKind.TENDERER:
        raise InvalidInput({"purchaser_id": [_("choose a purchaser organisation")]})
    year = data["year"]
    exists = db.session.scalar(sa.select(ProcurementPlan.id).where(
        ProcurementPlan.purchaser_id == purchaser.id, ProcurementPlan.centre_id == centre.id,
        ProcurementPlan.year == year))
    if exists:
        raise InvalidInput({"year": [_("this purchaser already has a plan for %(y)d at this centre", y=year)]})
    plan = ProcurementPlan(purchaser=purchaser, centre=centre, year=year, title=data["title"],
                           created_by_id=actor.id, created_at=now())
    db.session.add(plan)
    db.session.flush()
    return plan


def add_line(actor, plan: ProcurementPlan, data: dict[str, Any]) -> BudgetLine:
    """A budget line; its category comes from the catalogue and its fund source from the list."""
    require("procurement.plan.edit", plan, user=actor)
    errors: dict[str, list[str]] = {}
    if data["category_code"] not in catalogue.CATEGORIES:
        errors["category_code"] = [_("not a category of the procurement catalogue: %(c)s", c=data["category_code"])]
    if data["fund_source"] not in catalogue.FUND_SOURCES:
        errors["fund_source"] = [_("not a known fund source: %(f)s", f=data["fund_source"])]
    if data["amount"] <= 0:
        errors["amount"] = [_("must be more than zero")]
    if errors:
        raise InvalidInput(errors)
    line = BudgetLine(plan=plan, fund_source=data["fund_source"], category_code=data["category_code"],
                      description=data["description"], amount=data["amount"], drawn=0, created_at=now())
    db.session.add(line)
    db.session.flush()
    return line


def plans_for(user) -> list[ProcurementPlan]:
    """The plans a person may read: their organisation's, and those at centres where they hold a branch role."""
    conds = []
    centre_ids = [g.centre_id for g in user.grants if g.centre_id is not None]
    if centre_ids:
        conds.append(ProcurementPlan.centre_id.in_(centre_ids))
    if user.organisation_id and user.has_role(Role.TENDERER):
        conds.append(ProcurementPlan.purchaser_id == user.organisation_id)
    if not conds:
        return []
    return list(db.session.scalars(sa.select(ProcurementPlan).where(sa.or_(*conds))
                                   .order_by(ProcurementPlan.year.desc(), ProcurementPlan.id)).unique())


def plans_for_trade(trade: Trade) -> list[ProcurementPlan]:
    """The plans a trade may draw on: its purchaser's at its centre."""
    return list(db.session.scalars(sa.select(ProcurementPlan).where(
        ProcurementPlan.purchaser_id == trade.tenderer_id, ProcurementPlan.centre_id == trade.centre_id)
        .order_by(ProcurementPlan.year.desc())).unique())


def draw_of(trade: Trade) -> BudgetDraw | None:
    return db.session.scalar(sa.select(BudgetDraw).where(BudgetDraw.trade_id == trade.id))


def approval_of(trade: Trade) -> MethodApproval | None:
    return db.session.scalar(sa.select(MethodApproval).where(MethodApproval.trade_id == trade.id))


# ---- the threshold ------------------------------------------------------------------------------

def needs_approval(trade: Trade, line: BudgetLine) -> catalogue.Threshold | None:
    """The threshold a non-tender method breaches (amount >= threshold: 以上 includes the number)."""
    if trade.method == OPEN_TENDER:
        return None
    kind = catalogue.CATEGORIES[line.category_code].kind
    threshold = catalogue.threshold_for(kind, now().astimezone(local_tz()).date())
    if threshold is None or trade.estimated_price < threshold.amount:
        return None
    approval = approval_of(trade)
    return None if approval is not None and approval.method == trade.method else threshold


def approve_method(actor, trade: Trade, reason: str) -> MethodApproval:
    """The decision branch approves a method other than open tender for this trade (GPL 27), with a reason."""
    require("procurement.method.approve", trade, user=actor)
    if not is_procurement(trade) or trade.method == OPEN_TENDER:
        raise InvalidInput({"method": [_("only a procurement method other than open tender needs this approval")]})
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("say why open tendering is not used")]})
    if approval_of(trade) is not None:
        raise IllegalMove(_("The method of this trade has already been approved."), code="already_approved")
    approval = MethodApproval(trade=trade, method=trade.method, reason=reason, approved_by_id=actor.id,
                              approved_at=now())
    db.session.add(approval)
    db.session.flush()
    current_app.logger.info("method %s approved for %s by user %s: %s", trade.method, trade.ref, actor.id, reason)
    method_approved.send(trade, approval=approval, actor=actor)
    return approval


# ---- draws --------------------------------------------------------------------------------------

def draw(actor, trade: Trade, line_id: int) -> BudgetDraw:
    """The trade draws its budget (the estimated price) on a line of its purchaser's plan. The line's
    `drawn` rises by a conditional UPDATE that only succeeds while enough is left, so concurrent draws
    cannot overdraw it; a refusal leaves nothing behind."""
    require("procurement.draw", trade, user=actor)
    if not is_procurement(trade):
        raise InvalidInput({"trade": [_("only a government procurement trade draws on a budget")]})
    if trade.state is not TradeState.DRAFT:
        raise IllegalMove(_("A trade draws on its budget while it is a draft."), code="not_draft")
    if draw_of(trade) is not None:
        raise IllegalMove(_("This trade has already drawn on a budget line."), code="already_drawn")
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.plan.purchaser_id != trade.tenderer_id or line.plan.centre_id != trade.centre_id:
        raise InvalidInput({"line_id": [_("choose a budget line of this purchaser's plan at this centre")]})
    breached = needs_approval(trade, line)
    if breached is not None:
        raise InvalidInput({"method": [_(
            "%(amount)s reaches the open-tender threshold of %(threshold)s (%(source)s): another method needs "
            "the decision branch's recorded approval with a reason first",
            amount=fmt_money(trade.estimated_price), threshold=fmt_money(breached.amount), source=str(breached.source))]})
    return take_budget(actor, trade, line, now())


def take_budget(actor, trade: Trade, line: BudgetLine, at) -> BudgetDraw:
    """The draw itself, after the checks of `draw` (the demo replays its trades' history through it)."""
    amount = trade.estimated_price
    begin_write()  # on SQLite the savepoint must nest in the write transaction (trading.extensions)
    savepoint = db.session.begin_nested()  # the UPDATE and the draw's row stand or fall together
    try:
        need = sa.literal(amount, Money())  # bound as whole fen, like the columns it is added to
        result = db.session.execute(
            sa.update(BudgetLine).where(BudgetLine.id == line.id, BudgetLine.drawn + need <= BudgetLine.amount)
            .values(drawn=BudgetLine.drawn + need).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            savepoint.rollback()
            db.session.refresh(line)
            raise InvalidInput({"line_id": [_("the budget line has %(left)s left, less than the %(amount)s this "
                                              "trade needs", left=fmt_money(line.left), amount=fmt_money(amount))]})
        record = BudgetDraw(line=line, trade=trade, amount=amount, drawn_by_id=actor.id, drawn_at=at)
        db.session.add(record)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()  # the same trade drew at the same moment elsewhere: one draw stands
        raise IllegalMove(_("This trade has already drawn on a budget line."), code="already_drawn") from None
    savepoint.commit()
    db.session.refresh(line)
    budget_drawn.send(trade, draw=record, actor=actor)
    return record


# ---- a drawn trade's price changes --------------------------------------------------------------

def on_trade_edited(trade: Trade, changes: dict | None = None, **_kw) -> None:
    """A draft that drew on a line and then changes its estimated price draws the difference (or gives it
    back) the same way: more than the line has left, or crossing the threshold without approval, refuses
    the edit with the field named (update_trade's caller rolls the edit back)."""
    if not changes or "estimated_price" not in changes:
        return
    record = draw_of(trade)
    if record is None:
        return
    line = record.line
    breached = needs_approval(trade, line)
    if breached is not None:
        raise InvalidInput({"estimated_price": [_(
            "%(amount)s reaches the open-tender threshold of %(threshold)s (%(source)s): another method needs "
            "the decision branch's recorded approval with a reason first",
            amount=fmt_money(trade.estimated_price), threshold=fmt_money(breached.amount),
            source=str(breached.source))]})
    delta = trade.estimated_price - record.amount
    if not delta:
        return
    change = sa.literal(delta, Money())
    result = db.session.execute(
        sa.update(BudgetLine).where(BudgetLine.id == line.id, BudgetLine.drawn + change <= BudgetLine.amount)
        .values(drawn=BudgetLine.drawn + change).execution_options(synchronize_session=False))
    db.session.refresh(line)
    if result.rowcount != 1:
        raise InvalidInput({"estimated_price": [_(
            "the budget line has %(left)s left, less than the %(amount)s this trade needs",
            left=fmt_money(line.left + record.amount), amount=fmt_money(trade.estimated_price))]})
    record.amount = trade.estimated_price
    db.session.flush()


def install() -> None:
    """Called once by the app factory: a drawn draft's price edits go through its line."""
    from trading.signals import trade_edited

    trade_edited.connect(on_trade_edited)
