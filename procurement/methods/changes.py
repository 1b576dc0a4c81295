"""A change of method after a failed tender (GPL 36; O87 43; O74 27): the purchaser or the clerk asks with a
reason, the decision branch decides with a reason; an approval makes the follow-on draft by the new method,
linked to the failed trade, with the approval recorded on it (so its budget draw needs no second one)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from procurement.methods.models import ChangeStatus, MethodChange
from procurement.methods.rules import CHANGE_SOURCE, CHANGES
from procurement.methods.services import lock
from procurement.methods.signals import method_change_decided, method_change_requested
from procurement.plans import services as plans
from trading import texts
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Document
from trading.permissions import require
from trading.rules.model import registry
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import create_trade

texts.register_label("gp_method", lambda code: str(registry.get(code).name) if code in registry else code)


def changes_of(trade: Trade) -> list[MethodChange]:
    return list(db.session.scalars(sa.select(MethodChange).where(MethodChange.trade_id == trade.id)
                                   .order_by(MethodChange.id)))


def pending(trade: Trade) -> MethodChange | None:
    return next((c for c in changes_of(trade) if c.status is ChangeStatus.PENDING), None)


def targets(trade: Trade) -> tuple[str, ...]:
    """The methods this trade may change to, offered by its centre."""
    return tuple(m for m in CHANGES.get(trade.method, ()) if m in trade.centre.methods)


def _reason(value, field: str, message: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput({field: [message]})
    return text


def _followed(trade: Trade) -> bool:
    return db.session.scalar(sa.select(Trade.id).where(Trade.retender_of_id == trade.id)) is not None


def request(actor, trade: Trade, to_method: str, reason: str) -> MethodChange:
    """Ask to procure by another method: only after an open or invitation tender failed."""
    require("procurement.method_change.request", trade, user=actor)
    if trade.method not in CHANGES:
        raise InvalidInput({"to_method": [_("only a failed open or invitation tender may change its method")]})
    lock(trade)
    if trade.state is not TradeState.FAILED:
        raise IllegalMove(_("Only a failed tender may change its method; this trade is %(state)s.",
                            state=trade.state.label), code="not_failed")
    allowed = targets(trade)
    if to_method not in allowed:
        raise InvalidInput({"to_method": [_("must be one of: %(choices)s (%(source)s)",
                                            choices=", ".join(allowed), source=str(CHANGE_SOURCE))]})
    why = _reason(reason, "reason", _("say why the tender is not held again (%(source)s)", source=str(CHANGE_SOURCE)))
    if pending(trade) is not None:
        raise IllegalMove(_("A change of method is already waiting for the decision branch."), code="pending")
    if _followed(trade):
        raise IllegalMove(_("This trade has already been followed by another procurement."), code="already_followed")
    change = MethodChange(trade_id=trade.id, from_method=trade.method, to_method=to_method, reason=why,
                          requested_by_id=actor.id, requested_at=now(), status=ChangeStatus.PENDING)
    db.session.add(change)
    db.session.flush()
    method_change_requested.send(trade, change=change, actor=actor)
    return change


def decide(actor, trade: Trade, approve: bool, reason: str) -> MethodChange:
    """The decision branch approves or refuses the waiting request, with its reason. An approval makes the
    follow-on draft (in the requester's name: they bring it to market) and records the approval on it."""
    require("procurement.method_change.decide", trade, user=actor)
    lock(trade)
    change = pending(trade)
    if change is None:
        raise IllegalMove(_("There is no change of method waiting for a decision."), code="no_request")
    why = _reason(reason, "reason", _("say why (the decision is published with its reason)"))
    change.decided_by_id, change.decided_at, change.decision_reason = actor.id, now(), why
    if not approve:
        change.status = ChangeStatus.REFUSED
    else:
        if _followed(trade):
            raise IllegalMove(_("This trade has already been followed by another procurement."),
                              code="already_followed")
        change.status = ChangeStatus.APPROVED
        change.follow_on_id = _follow_on(change, trade, actor, why).id
    db.session.flush()
    method_change_decided.send(trade, change=change, actor=actor)
    return change


def _follow_on(change: MethodChange, failed: Trade, actor, why: str) -> Trade:
    trade = create_trade(change.requested_by, {
        "centre_id": failed.centre_id, "method": change.to_method, "tenderer_id": failed.tenderer_id,
        "title": failed.title, "description": failed.description, "estimated_price": failed.estimated_price,
        "bid_security": failed.bid_security, "sandbox": failed.sandbox, "accelerator": failed.accelerator,
    })
    trade.retender_of_id = failed.id
    trade.history[0].reason_message = texts.message(N_("%(method)s after %(ref)s failed, approved"),
                                                    method=texts.label("gp_method", change.to_method), ref=failed.ref)
    with force_locale("zh_CN"):  # the stored text, in the platform's language; readers read the message
        trade.history[0].reason = texts.render(trade.history[0].reason_message)
    for doc in db.session.scalars(sa.select(Document).where(Document.trade_id == failed.id,
                                                            Document.withdrawn.is_(False)).order_by(Document.id)):
        db.session.add(Document(trade=trade, filename=doc.filename, content_type=doc.content_type, size=doc.size,
                                sha256=doc.sha256, uploaded_by_id=change.requested_by_id, uploaded_at=now()))
    db.session.flush()
    plans.approve_method(actor, trade, f"{failed.ref}: {why}")
    return trade
