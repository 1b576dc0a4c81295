"""Single source (单一来源, GPL 31, 39): the supplier named in the notice; the public notice period of at least five
working days (GPR 38; the rule set's gp.single_source_notice between issue_at and bid_deadline) during which
anyone may object (O74 Art. 39); the purchaser's answer after its supplementary review, within five working days
of the period's end (O74 Art. 40): an upheld objection stops the single source (another method follows); then the
negotiation with the named supplier, its record with the agreed price, signed by every panel member (O74 Arts.
42-43), and the candidate the award reads (bidding.award: award, letters, contract on the shared flow)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime, gettext as _, lazy_gettext as _l

import procurement.direct.permissions  # noqa: F401  (registers the permissions)
from bidding.award import rules as award_rules
from bidding.award.models import Candidate, CandidateList
from bidding.evaluation.models import CommitteeSeat
from procurement.direct.models import NegotiationRecord, NegotiationSignature, SingleSource, SingleSourceObjection
from procurement.plans.services import draw_of
from procurement.rulesets import O74_40, SINGLE_SOURCE_ANSWER
from trading.accounts.models import Organisation, OrgKind, User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.rules.days import load_calendar
from trading.rules.model import Source
from trading.trades.flows import Move, TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade, TradeTransition
from trading.trades.reserved import Procedure

METHOD = "gp_single_source"
MAX_TEXT = 4000
CENT = Decimal("0.01")

O74_38 = Source("财政部令第74号 第38条", "MOF Order 74 Art. 38")
O74_39 = Source("财政部令第74号 第39条", "MOF Order 74 Art. 39")
O74_43 = Source("财政部令第74号 第42-43条", "MOF Order 74 Arts. 42-43")
BUDGET_CAP = Source("政府采购法实施条例 第6条；财政部令第87号 第63条（参照）", "Government Procurement Regulation "
                    "Art. 6; MOF Order 87 Art. 63 by analogy", "~",
                    "a price above the budget cannot be paid: the agreed price may not exceed the project's budget")
#: the purchaser answers within five working days of the notice period's end (O74 Art. 40); e-supervision's
#: gp.single_source_objection_answered norm counts the same span
ANSWER_SPAN = SINGLE_SOURCE_ANSWER
#: the supplier may be named or changed until the notice is out
NAMEABLE = (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED)
#: the notice period, in the trade's stages
NOTICE = (TradeState.ANNOUNCED, TradeState.BIDDING)

PROCEDURE = "single_source"
SINGLE_SOURCE = Procedure(PROCEDURE, _l("the single-source negotiation"),
                          _l("Use the trade's single-source page."))


def is_single_source(trade: Trade) -> bool:
    return trade.method == METHOD


def _text(value, field: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise InvalidInput({field: [_("may not be empty")]})
    if len(value) > limit:
        raise InvalidInput({field: [_("at most %(n)d characters", n=limit)]})
    return value


def _when(at: datetime) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm")


def _single_source(trade: Trade) -> None:
    if not is_single_source(trade):
        raise IllegalMove(_("This is not a single-source procurement."), code="not_single_source")


def source_of(trade: Trade) -> SingleSource | None:
    return db.session.scalar(sa.select(SingleSource).where(SingleSource.trade_id == trade.id))


def record_of(trade: Trade) -> NegotiationRecord | None:
    return db.session.scalar(sa.select(NegotiationRecord).where(NegotiationRecord.trade_id == trade.id))


def objections(trade: Trade) -> list[SingleSourceObjection]:
    return list(db.session.scalars(sa.select(SingleSourceObjection).where(SingleSourceObjection.trade_id == trade.id)
                                   .order_by(SingleSourceObjection.id)))


def objections_by(user: User, trade: Trade) -> list[SingleSourceObjection]:
    return [o for o in objections(trade) if o.filed_by_id == user.id]


def objection_of(trade: Trade, objection_id: int) -> SingleSourceObjection | None:
    found = db.session.get(SingleSourceObjection, objection_id)
    return found if found is not None and found.trade_id == trade.id else None


def unanswered(trade: Trade) -> list[SingleSourceObjection]:
    return [o for o in objections(trade) if o.answered_at is None]


def answer_due(trade: Trade) -> datetime:
    """The first instant after the purchaser's five working days from the notice period's end."""
    return ANSWER_SPAN.end(trade.bid_deadline, load_calendar(), trade.accelerator if trade.sandbox else 1)


# ---- the supplier the notice names ------------------------------------------------------------------------

def name_supplier(actor: User, trade: Trade, supplier_id, reason) -> SingleSource:
    """Name the single supplier and why only it can supply (GPL 31), until the notice is published."""
    require("direct.name_supplier", trade, user=actor)
    _single_source(trade)
    if trade.state not in NAMEABLE:
        raise IllegalMove(_("The supplier is named before the notice is published; this trade is %(state)s.",
                            state=trade.state.label), code="notice_out")
    supplier = db.session.get(Organisation, supplier_id) if isinstance(supplier_id, int) else None
    if supplier is None or supplier.kind is not OrgKind.BIDDER or not supplier.credit_code:
        raise InvalidInput({"supplier_id": [_("choose a registered supplier company")]})
    reason = _text(reason, "reason")
    found = source_of(trade)
    if found is None:
        found = SingleSource(trade_id=trade.id)
        db.session.add(found)
    found.supplier_id, found.reason, found.named_by_id, found.named_at = supplier.id, reason, actor.id, now()
    db.session.flush()
    return found


# ---- objections during the notice ---------------------------------------------------------------------

def objection_window_open(trade: Trade, at: datetime | None = None) -> bool:
    at = at or now()
    return (is_single_source(trade) and trade.state in NOTICE and trade.issue_at is not None
            and trade.issue_at <= at < trade.bid_deadline)


def file_objection(actor: User, trade: Trade, text) -> SingleSourceObjection:
    """Anyone signed in objects in writing during the notice period (O74 Art. 39); afterwards: 409."""
    require("direct.object", trade, user=actor)
    _single_source(trade)
    text = _text(text, "text")
    at = now()
    if not objection_window_open(trade, at):
        raise IllegalMove(_("Objections are filed during the notice period, until %(end)s (%(source)s).",
                            end=_when(trade.bid_deadline), source=O74_39), code="notice_closed")
    objection = SingleSourceObjection(trade_id=trade.id, filed_by_id=actor.id, organisation_id=actor.organisation_id,
                                      text=text, filed_at=at, answer_due=answer_due(trade))
    db.session.add(objection)
    db.session.flush()
    return objection


def answer_objection(actor: User, objection: SingleSourceObjection, answer, upheld) -> SingleSourceObjection:
    """The purchaser's answer after the supplementary review, once the notice period is over (O74 Art. 40).
    Upheld: the single source stops, with the objection and the answer as its recorded reason."""
    trade = db.session.get(Trade, objection.trade_id)
    require("direct.answer", trade, user=actor)
    answer = _text(answer, "answer")
    if not isinstance(upheld, bool):
        raise InvalidInput({"upheld": [_("say whether the objection is upheld")]})
    at = now()
    if objection.answered_at is not None:
        raise IllegalMove(_("This objection has already been answered."), code="already_answered")
    if at < trade.bid_deadline:
        raise IllegalMove(_("The objections are reviewed and answered after the notice period ends at %(end)s "
                            "(%(source)s).", end=_when(trade.bid_deadline), source=O74_40), code="notice_running")
    source = source_of(trade)
    if source is not None and source.stopped_at is not None:
        raise IllegalMove(_("The single source was stopped by an upheld objection."), code="stopped")
    objection.answer, objection.upheld, objection.answered_at, objection.answered_by_id = answer, upheld, at, actor.id
    if upheld:
        _stop(trade, source, objection, at)
    db.session.flush()
    return objection


def _stop(trade: Trade, source: SingleSource | None, objection: SingleSourceObjection, at: datetime) -> None:
    with force_locale("zh_CN"):  # stored in the platform's language, as the other recorded reasons
        reason = _("Single source stopped: objection no. %(n)d upheld (%(source)s): %(answer)s", n=objection.id,
                   source=str(O74_40), answer=objection.answer)
    if source is not None:
        source.stopped_at, source.stopped_reason = at, reason
    else:  # a notice published without a named supplier: the stop is still recorded
        db.session.add(SingleSource(trade_id=trade.id, supplier_id=None, reason="",
                                    named_by_id=objection.answered_by_id,
                                    named_at=at, stopped_at=at, stopped_reason=reason))
    if trade.state is not TradeState.SUSPENDED:  # the platform suspends it; the decision branch cancels it
        transition(trade, "pause_for_challenge", None, reason=reason[:4000], at=at)


def stopped(trade: Trade) -> bool:
    source = source_of(trade)
    return source is not None and source.stopped_at is not None


# ---- the negotiation ---------------------------------------------------------------------------------------

def _ready_to_negotiate(trade: Trade, at: datetime) -> SingleSource:
    _single_source(trade)
    source = source_of(trade)
    if source is not None and source.stopped_at is not None:
        raise IllegalMove(_("The single source was stopped by an upheld objection."), code="stopped")
    if at < trade.bid_deadline:
        raise IllegalMove(_("The notice period runs until %(end)s (%(source)s): no negotiation before.",
                            end=_when(trade.bid_deadline), source=trade.rule_set.rules[0].source),
                          code="notice_running")
    if unanswered(trade):
        raise IllegalMove(_("An objection to the notice is not answered yet (%(source)s).", source=O74_40),
                          code="objection_open")
    if source is None or source.supplier_id is None:
        raise IllegalMove(_("The notice names no supplier."), code="no_supplier")
    return source


def begin_negotiation(actor: User, trade: Trade) -> None:
    """After the notice period, with every objection answered and none upheld: the trade goes from its close
    to the evaluation stage, where the panel is seated (bidding.evaluation) and negotiates."""
    require("direct.negotiate", trade, user=actor)
    at = now()
    _ready_to_negotiate(trade, at)
    from trading.trades.services import advance_trade

    advance_trade(trade, at)  # the notice period's close, if the tick has not made it yet
    if trade.state is not TradeState.CLOSED:
        raise IllegalMove(_("Cannot begin the negotiation of a trade that is %(state)s.", state=trade.state.label),
                          code="wrong_stage")
    for name in ("start_opening", "finish_opening", "start_evaluation"):
        transition(trade, name, actor, at=at)


def panel(trade: Trade) -> list[CommitteeSeat]:
    """The members negotiating: the evaluation committee's seats still held."""
    return list(db.session.scalars(sa.select(CommitteeSeat).where(CommitteeSeat.trade_id == trade.id,
                                                                  CommitteeSeat.left_at.is_(None))
                                   .order_by(CommitteeSeat.id)))


def budget(trade: Trade) -> Decimal:
    """The project's budget: its draw on the plan, else its estimated price."""
    draw = draw_of(trade)
    return Decimal(draw.amount if draw is not None else trade.estimated_price)


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput({field: [_("must be an amount such as 1250000.00")]}) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidInput({field: [_("must be an amount such as 1250000.00")]})
    return amount


def record_negotiation(actor: User, trade: Trade, data: dict) -> NegotiationRecord:
    """The negotiation record (O74 Art. 43), once, while the panel sits: the agreed price, not above the
    budget; then each member signs it."""
    require("direct.negotiate", trade, user=actor)
    at = now()
    _ready_to_negotiate(trade, at)
    if trade.state is not TradeState.EVALUATING:
        raise IllegalMove(_("Begin the negotiation first; this trade is %(state)s.", state=trade.state.label),
                          code="wrong_stage")
    if record_of(trade) is not None:
        raise IllegalMove(_("The negotiation record is already made; its members sign it."), code="recorded")
    errors: dict[str, list[str]] = {}
    values = {}
    for field, limit in (("place", 200), ("cost_basis", MAX_TEXT), ("terms", MAX_TEXT)):
        try:
            values[field] = _text(data.get(field), field, limit)
        except InvalidInput as exc:
            errors.update(exc.errors)
    try:
        price = _money(data.get("price"), "price")
        cap = budget(trade)
        if price > cap:
            errors["price"] = [_("may not exceed the budget, %(budget)s (%(source)s)", budget=f"{cap:,.2f}",
                                 source=BUDGET_CAP)]
    except InvalidInput as exc:
        errors.update(exc.errors)
    when = data.get("negotiated_at")
    if not isinstance(when, datetime) or when.tzinfo is None:
        errors["negotiated_at"] = [_("say when the negotiation took place")]
    elif when > at:
        errors["negotiated_at"] = [_("may not be in the future")]
    elif when < trade.bid_deadline:
        errors["negotiated_at"] = [_("may not be before the notice period ends (%(end)s)",
                                     end=_when(trade.bid_deadline))]
    if not panel(trade):
        errors["panel"] = [_("seat the negotiating panel first (the evaluation page)")]
    if errors:
        raise InvalidInput(errors)
    record = NegotiationRecord(trade_id=trade.id, price=price, negotiated_at=when, recorded_by_id=actor.id,
                               recorded_at=at, **values)
    db.session.add(record)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # another clerk recorded it at the same moment
        db.session.rollback()
        raise IllegalMove(_("The negotiation record is already made; its members sign it."), code="recorded") from None
    return record


def sign(actor: User, trade: Trade, agrees, dissent=None) -> NegotiationSignature:
    """A panel member signs the record: agreeing, or disagreeing with the reason (O74 Art. 43)."""
    require("direct.sign", trade, user=actor)
    _single_source(trade)
    record = record_of(trade)
    if record is None:
        raise IllegalMove(_("There is no negotiation record to sign yet."), code="no_record")
    if actor.id not in {s.user_id for s in panel(trade)}:
        raise IllegalMove(_("Only the panel's members sign the negotiation record."), code="not_on_panel")
    if not isinstance(agrees, bool):
        raise InvalidInput({"agrees": [_("say whether you agree with the record")]})
    note = None
    if not agrees:
        note = _text(dissent, "dissent")
    if any(s.user_id == actor.id for s in record.signatures):
        raise IllegalMove(_("You have already signed this record."), code="already_signed")
    signature = NegotiationSignature(record=record, user_id=actor.id, agrees=agrees, dissent=note, signed_at=now())
    db.session.add(signature)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise IllegalMove(_("You have already signed this record."), code="already_signed") from None
    return signature


def unsigned(trade: Trade) -> list[CommitteeSeat]:
    record = record_of(trade)
    signed = {s.user_id for s in record.signatures} if record is not None else set()
    return [s for s in panel(trade) if s.user_id not in signed]


def conclude(actor: User, trade: Trade) -> CandidateList:
    """Every member signed: the named supplier at the agreed price becomes the one candidate (the publicize
    move, reserved to this procedure on a single source); the purchaser confirms the award on the results page (procurement.results), then the contract."""
    require("direct.negotiate", trade, user=actor)
    at = now()
    _ready_to_negotiate(trade, at)
    record = record_of(trade)
    if record is None:
        raise IllegalMove(_("There is no negotiation record yet."), code="no_record")
    missing = unsigned(trade)
    if missing:
        raise IllegalMove(_("Every panel member signs the record first (%(source)s); still to sign: %(names)s.",
                            source=O74_43, names=", ".join(s.user.display_name for s in missing)), code="unsigned")
    if trade.state is not TradeState.EVALUATING:
        raise IllegalMove(_("Cannot conclude a trade that is %(state)s.", state=trade.state.label), code="wrong_stage")
    transition(trade, "publicize", actor, at=at, by=PROCEDURE)
    return db.session.scalar(sa.select(CandidateList).where(CandidateList.trade_id == trade.id)
                             .order_by(CandidateList.id.desc()).limit(1))


def publish_candidate(trade: Trade, actor, record: TradeTransition) -> CandidateList | None:
    """After `publicize` on a single source: its one candidate, the named supplier at the agreed price."""
    if not is_single_source(trade):
        return None
    negotiation, source = record_of(trade), source_of(trade)
    if negotiation is None or source is None:
        return None
    lst = CandidateList(trade_id=trade.id, published_at=record.at,
                        publicity_ends=award_rules.period_end(trade, "publicity_period", record.at),
                        published_by_id=getattr(actor, "id", None))
    lst.candidates.append(Candidate(trade_id=trade.id, rank=1, organisation_id=source.supplier_id, bid_id=None,
                                    entry_id=None, price=negotiation.price, evaluated_price=negotiation.price))
    db.session.add(lst)
    db.session.flush()
    return lst


def reserved(trade: Trade, move: Move):
    """On a single source the candidate comes from the signed record (publicize is made by `conclude`), and a
    single source an upheld objection stopped is not resumed: the decision branch cancels it."""
    if not is_single_source(trade):
        return None
    if move.name == "publicize":
        return SINGLE_SOURCE
    if move.name in ("resume", "resume_after_challenge") and stopped(trade):
        return SINGLE_SOURCE
    return None


def install() -> None:
    """Called once by the app factory."""
    from trading.trades.lifecycle import AFTER_MOVE, after_move
    from trading.trades.reserved import reserve

    if publish_candidate not in AFTER_MOVE.get("publicize", []):  # the app factory may run more than once
        after_move("publicize")(publish_candidate)
    reserve(reserved)
