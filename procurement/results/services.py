"""The results' state changes: the purchaser's award decision within O87 68's period and the platform's award of
rank one on its silence (the scheduler's tick), the result announcement, and the delivery and acceptance."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime, gettext as _

from bidding.award.candidates import current_list
from bidding.award.contracts import contract_of
from bidding.award.decision import AwardRefusal, PassOver, award, decision_of
from bidding.award.objections import text_field
from bidding.scoring.models import EvaluationReport
from procurement.plans.services import is_procurement
from procurement.results.models import Acceptance, PurchaserDecision
from procurement.results.signals import results_changed
from procurement.rulesets import GP_NORMS, O87_68
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.permissions import can, require
from trading.rules.days import load_calendar
from trading.rules.model import Unit
from trading.rules.norms import Span
from trading.trades.flows import TradeState
from trading.trades.models import Trade, TradeTransition

#: the purchaser's period, as e-supervision counts it: report in 2 working days, decision in 5 (O87 68)
DECISION_NORM = next(n for n in GP_NORMS if n.code == "gp.award_decision")
#: the result announcement lasts 1 working day (GPR 43; O87 69)
ANNOUNCEMENT_LASTS = Span(1, Unit.WORKING_DAYS)


def _accel(trade: Trade) -> int:
    return trade.accelerator if trade.sandbox else 1


def decision_start(trade: Trade) -> datetime | None:
    """From the evaluation report (its last signature), else the candidates' publication: as the norm reads."""
    signed = db.session.scalar(sa.select(EvaluationReport.completed_at).where(
        EvaluationReport.trade_id == trade.id, EvaluationReport.completed_at.is_not(None)))
    if signed is not None:
        return signed
    return db.session.scalar(sa.select(sa.func.max(TradeTransition.at)).where(
        TradeTransition.trade_id == trade.id, TradeTransition.move == "publicize"))


def _suspensions(trade: Trade, since: datetime) -> list[tuple[datetime, datetime | None]]:
    """(paused, resumed or None) for each suspension for a challenge or complaint since `since` (GPL 54, 57)."""
    rows = db.session.execute(sa.select(TradeTransition.move, TradeTransition.at).where(
        TradeTransition.trade_id == trade.id, TradeTransition.at >= since,
        TradeTransition.move.in_(("pause_for_challenge", "resume_after_challenge")))
        .order_by(TradeTransition.at, TradeTransition.id)).all()
    out: list[tuple[datetime, datetime | None]] = []
    begun = None
    for move, at in rows:
        if move == "pause_for_challenge" and begun is None:
            begun = at
        elif move == "resume_after_challenge" and begun is not None:
            out.append((begun, at))
            begun = None
    return out + ([(begun, None)] if begun is not None else [])


def decision_due(trade: Trade) -> datetime | None:
    """The first instant past the purchaser's period; from then the platform awards rank one. The period does
    not run while the procurement is suspended for a challenge or complaint: each suspension that began
    before the period ran out moves its end by the suspension's length (None while one lasts)."""
    start = decision_start(trade)
    if start is None:
        return None
    due = DECISION_NORM.within.end(start, load_calendar(), _accel(trade))
    for begun, ended in _suspensions(trade, start):
        if begun >= due:
            break
        if ended is None:
            return None
        due += ended - begun
    return due


def purchaser_decision_of(trade: Trade) -> PurchaserDecision | None:
    return db.session.scalar(sa.select(PurchaserDecision).where(PurchaserDecision.trade_id == trade.id))


def _awardable(trade: Trade):
    if not is_procurement(trade):
        raise IllegalMove(_("Only a government procurement's purchaser decides its award here."),
                          code="not_procurement")
    lst = current_list(trade)
    if lst is None:
        raise IllegalMove(_("No candidates have been published for this trade."), code="no_candidates")
    if trade.state is not TradeState.PUBLICITY:
        raise IllegalMove(_("Cannot award a trade that is %(state)s.", state=trade.state.label), code="wrong_stage")
    return lst


def decide(actor: User, trade: Trade, winner_id: int | None = None, passes: list[PassOver] | None = None,
           reason: str | None = None) -> PurchaserDecision:
    """The purchaser fixes the winner from the candidates in their order (O87 68): the first not passed over
    for a recorded reason, or one ranked equal with it; before its period runs out. The award, its letters
    and the result follow at once (bidding.award), made by the platform on this decision."""
    require("procurement.results.decide", trade, user=actor)
    lst = _awardable(trade)
    at = now()
    due = decision_due(trade)
    if due is not None and at >= due:
        raise IllegalMove(_("The purchaser's period ended at %(due)s (%(source)s): the platform awards the "
                            "candidate ranked first.", due=format_datetime(due, "yyyy-MM-dd HH:mm"),
                            source=O87_68), code="decision_period_over")
    passed = {p.candidate_id for p in passes or []}
    left = [c for c in lst.candidates if c.id not in passed]
    if winner_id is not None and left:
        chosen = next((c for c in left if c.id == winner_id), None)
        if chosen is None or chosen.rank != left[0].rank:
            raise InvalidInput({"winner_id": [_("the purchaser takes the candidates in their order: the first not "
                                                "passed over, or one ranked equal with it (%(source)s)",
                                                source=O87_68)]})
    decision = award(None, trade, passes, winner_id, reason, decided_by=actor)
    row = PurchaserDecision(trade_id=trade.id, award_id=decision.id, by_platform=False, decided_by_id=actor.id,
                            decided_at=decision.decided_at, due_at=due or decision.decided_at)
    db.session.add(row)
    db.session.flush()
    results_changed.send(trade, what="decision", actor=actor)
    return row


def award_on_silence(trade: Trade, at: datetime | None = None) -> PurchaserDecision | None:
    """Past the purchaser's period with no decision: the platform awards the candidate ranked first (O87 68:
    deemed to have chosen rank one). None when the period runs yet or there is nothing to award."""
    at = at or now()
    if not is_procurement(trade) or trade.state is not TradeState.PUBLICITY or current_list(trade) is None:
        return None
    due = decision_due(trade)
    if due is None or at < due:
        return None
    decision = award(None, trade)
    row = PurchaserDecision(trade_id=trade.id, award_id=decision.id, by_platform=True, decided_by_id=None,
                            decided_at=decision.decided_at, due_at=due)
    db.session.add(row)
    db.session.flush()
    results_changed.send(trade, what="decision", actor=None)
    return row


def award_due(at: datetime | None = None) -> list[str]:
    """The scheduler's tick (app.extensions["trade_ticks"]; `flask tick`): every procurement in publicity
    whose purchaser stayed silent past its period is awarded to rank one, each in its own savepoint."""
    at = at or now()
    ids = db.session.scalars(sa.select(Trade.id).where(Trade.state == TradeState.PUBLICITY,
                                                       Trade.method.like("gp_%")).order_by(Trade.id)).all()
    done = []
    for trade_id in ids:
        trade = db.session.get(Trade, trade_id)
        savepoint = db.session.begin_nested()
        try:
            row = award_on_silence(trade, at)
        except Exception:
            savepoint.rollback()
            current_app.logger.exception("award on silence failed for trade %s", trade.ref)
            continue
        savepoint.commit()
        if row is not None:
            done.append(trade.ref)
    db.session.commit()
    return done


# ---- the result announcement --------------------------------------------------------------------------

def result_notice(trade: Trade) -> Notice | None:
    return db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id, Notice.kind == NoticeKind.RESULT)
                             .order_by(Notice.id.desc()).limit(1))


def announcement(trade: Trade) -> dict | None:
    """The result announcement (GPR 43; O87 69): the notice published with the award, and the end of its
    1-working-day term; None before the award."""
    notice = result_notice(trade)
    if notice is None:
        return None
    ends = ANNOUNCEMENT_LASTS.end(notice.published_at, load_calendar(), _accel(trade))
    return {"notice": notice, "published_at": notice.published_at, "ends_at": ends,
            "running": notice.published_at <= now() < ends}


# ---- delivery and acceptance (履约验收) -----------------------------------------------------------------

def acceptance_of(trade: Trade) -> Acceptance | None:
    return db.session.scalar(sa.select(Acceptance).where(Acceptance.trade_id == trade.id))


def _contracted(trade: Trade) -> None:
    if contract_of(trade) is None or trade.state not in (TradeState.CONTRACTED, TradeState.ARCHIVED):
        raise IllegalMove(_("The delivery and the acceptance follow the contract."), code="no_contract")


def record_delivery(actor: User, trade: Trade, delivered_at: datetime | None, note: str | None) -> Acceptance:
    """The purchaser records when the supplier delivered (completed) under the contract."""
    require("procurement.results.accept", trade, user=actor)
    _contracted(trade)
    if acceptance_of(trade) is not None:
        raise IllegalMove(_("The delivery has already been recorded."), code="already_delivered")
    contract = contract_of(trade)
    errors: dict[str, list[str]] = {}
    if delivered_at is None:
        errors["delivered_at"] = [_("say when the supplier delivered")]
    elif delivered_at > now():
        errors["delivered_at"] = [_("may not be in the future")]
    elif delivered_at < contract.signed_on:
        errors["delivered_at"] = [_("may not be before the contract was signed")]
    try:
        note = text_field(note, "delivery_note")
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    row = Acceptance(trade_id=trade.id, delivered_at=delivered_at, delivery_note=note,
                     delivery_recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    results_changed.send(trade, what="delivery", actor=actor)
    return row


def record_acceptance(actor: User, trade: Trade, passed, report: str | None) -> Acceptance:
    """The acceptance (GPR 45): passed or not, with the acceptance report; once."""
    require("procurement.results.accept", trade, user=actor)
    _contracted(trade)
    row = acceptance_of(trade)
    if row is None:
        raise IllegalMove(_("Record the delivery first."), code="not_delivered")
    if row.accepted_at is not None:
        raise IllegalMove(_("The acceptance has already been recorded."), code="already_accepted")
    errors: dict[str, list[str]] = {}
    if not isinstance(passed, bool):
        errors["passed"] = [_("say whether the delivery passed the acceptance")]
    try:
        report = text_field(report, "report")
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    row.accepted_at, row.passed, row.report, row.accepted_by_id = now(), passed, report, actor.id
    db.session.flush()
    results_changed.send(trade, what="acceptance", actor=actor)
    return row


def decision_of_trade(trade: Trade):
    """bidding.award's decision (winner, price) of the trade, for the pages."""
    return decision_of(trade)


def purchaser_decides(trade: Trade, actor: User) -> AwardRefusal | None:
    """bidding.award's AWARD_CHECKS hook: a government procurement's award is the purchaser's decision (O87 68),
    made on its results page (or the platform's on its silence), never the centre's staff on the award page; the
    award page shows a short line instead of its form, with a link to the results page for one who may read it."""
    if not is_procurement(trade):
        return None
    page = f"/procurement/trades/{trade.id}/results"
    link = (_("Procurement results page"), page) if can(actor, "procurement.results.view", trade) else None
    return AwardRefusal("purchaser_decides", _(
        "The purchaser decides the award of a government procurement (%(source)s): on its results page, "
        "%(page)s; on its silence the platform awards the candidate ranked first.", source=O87_68, page=page),
        note=_("The purchaser decides the award of this government procurement (%(source)s), not the centre's "
               "staff.", source=O87_68), link=link)


def install() -> None:
    """Called once by the app factory: the SME deduction joins the evaluation (bidding.scoring's hook), the
    award is the purchaser's (bidding.award's hook), and the bid page links to the SME declaration."""
    from bidding.award.decision import award_check
    from bidding.scoring.ranking import PRICE_ADJUSTERS
    from bidding.submission.services import bid_page_link
    from procurement.results.sme import evaluation_price
    from procurement.results.views import declaration_link

    if evaluation_price not in PRICE_ADJUSTERS:
        PRICE_ADJUSTERS.append(evaluation_price)
    award_check(purchaser_decides)
    bid_page_link(declaration_link)


#: before the opening the declarations would name the bidders (O20 Art. 21): shown from the opening on
SECRET_UNTIL_OPENED = (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED, TradeState.ANNOUNCED,
                       TradeState.BIDDING, TradeState.CLOSED, TradeState.OPENING)


def summary(trade: Trade) -> dict:
    """Everything the results page and API show to the purchaser and the centre's branches."""
    from procurement.results import sme

    opened = trade.state not in SECRET_UNTIL_OPENED and not (
        trade.state is TradeState.SUSPENDED and trade.suspended_from in SECRET_UNTIL_OPENED)
    publicity = trade.state is TradeState.PUBLICITY and purchaser_decision_of(trade) is None
    return {"trade_id": trade.id, "state": trade.state.value,
            "decision_due": decision_due(trade) if publicity else None,
            "decision": purchaser_decision_of(trade), "award": decision_of(trade), "announcement": announcement(trade),
            "contract": contract_of(trade), "acceptance": acceptance_of(trade), "sme_policy": sme.policy_of(trade),
            "sme_declarations": sme.declarations(trade) if opened else []}


def public_summary(trade: Trade) -> dict:
    from procurement.results import sme

    return {"trade_id": trade.id, "announcement": announcement(trade), "contract": contract_of(trade),
            "sme_policy": sme.policy_of(trade)}
