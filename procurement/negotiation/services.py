"""The rounds of a competitive negotiation or consultation: the panel checked at the start, each supplier's
thread with the panel, new rounds, changes to the requirements sent to all remaining suppliers at once,
suppliers set aside, and the call for final quotes. The sealed final quotes and their opening are quotes.py.

GPL 38 (negotiation: the panel negotiates with each supplier separately, no party learns another's
technical information, price or other information; a change to the requirements is notified in writing to
every supplier still negotiating; then each gives a final quote by the deadline); O74 Arts. 30-32; C214
Arts. 21-23 (consultation: the same rounds).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l

import procurement.negotiation.permissions  # noqa: F401  (registers the permissions)
from bidding.evaluation.models import CommitteeSeat, SeatKind
from bidding.evaluation.services import passed_bids
from bidding.experts import composition
from bidding.experts.models import ExpertSeat, SeatStatus
from procurement.negotiation.models import (FinalQuoteCall, Negotiation, NegotiationMessage, RequirementChange,
                                            SupplierExclusion)
from procurement.negotiation.permissions import negotiates, panel_member
from trading.accounts.models import Organisation, User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db, flush_unless_taken
from trading.permissions import can, require
from trading.trades.flows import TradeState
from trading.trades.models import Trade

_signals = Namespace()
#: sender=Trade; kwargs: negotiation, actor
negotiation_started = _signals.signal("gp-negotiation-started")
#: sender=Trade; kwargs: change (RequirementChange), actor
requirements_changed = _signals.signal("gp-requirements-changed")
#: sender=Trade; kwargs: call (FinalQuoteCall), actor
final_quotes_called = _signals.signal("gp-final-quotes-called")

MAX_TEXT = 4000
#: what a change may change (GPL 38 (4): 技术、服务要求以及合同草案条款)
CHANGE_KINDS = {"technical": _l("Technical requirements"), "service": _l("Service requirements"),
                "contract": _l("Contract terms")}
#: the rounds run while the panel sits
SITTING = (TradeState.EVALUATING,)


def _when(at: datetime | None) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm") if at else "—"


def _text(value, field: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise InvalidInput({field: [_("must be text")]})
    if not value:
        raise InvalidInput({field: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


# ---- reading -----------------------------------------------------------------------------------------------

def negotiation_of(trade: Trade) -> Negotiation | None:
    return db.session.get(Negotiation, trade.id)


def call_of(trade: Trade) -> FinalQuoteCall | None:
    return db.session.get(FinalQuoteCall, trade.id)


def exclusions(trade: Trade) -> list[SupplierExclusion]:
    return list(db.session.scalars(sa.select(SupplierExclusion).where(SupplierExclusion.trade_id == trade.id)
                                   .order_by(SupplierExclusion.id)))


def responded(trade: Trade) -> list[int]:
    """Organisation ids of the suppliers whose responses were opened and passed the panel's review."""
    return sorted({e.organisation_id for e in passed_bids(trade)})


def remaining(trade: Trade) -> list[int]:
    """The suppliers still in the negotiation: responded, not set aside."""
    out = {x.organisation_id for x in exclusions(trade)}
    return [o for o in responded(trade) if o not in out]


def suppliers(trade: Trade) -> list[Organisation]:
    return [db.session.get(Organisation, o) for o in responded(trade)]


def thread(trade: Trade, organisation_id: int) -> list[NegotiationMessage]:
    return list(db.session.scalars(sa.select(NegotiationMessage).where(
        NegotiationMessage.trade_id == trade.id, NegotiationMessage.organisation_id == organisation_id)
        .order_by(NegotiationMessage.id)))


def changes(trade: Trade) -> list[RequirementChange]:
    return list(db.session.scalars(sa.select(RequirementChange).where(RequirementChange.trade_id == trade.id)
                                   .order_by(RequirementChange.seq)))


def changes_for(viewer: User, trade: Trade) -> list[RequirementChange]:
    """The changes a viewer reads: all for the panel, the staff, supervisors and the purchaser; a supplier
    those sent to it (a supplier set aside before a change does not receive it)."""
    require("negotiation.changes", trade, user=viewer)
    rows = changes(trade)
    if can(viewer, "negotiation.view", trade) or not can(viewer, "negotiation.supplier", trade):
        return rows
    return [c for c in rows if viewer.organisation_id in (c.sent_to or [])]


def own_thread(viewer: User, trade: Trade) -> list[NegotiationMessage]:
    """A supplier reads its own thread and nothing else."""
    require("negotiation.supplier", trade, user=viewer)
    return thread(trade, viewer.organisation_id)


def thread_for(viewer: User, trade: Trade, organisation_id: int) -> list[NegotiationMessage]:
    """The panel, staff and supervisors read any supplier's thread; a supplier only its own."""
    if can(viewer, "negotiation.view", trade):
        if organisation_id not in responded(trade):
            raise InvalidInput({"organisation_id": [_("is not a supplier whose response was opened")]})
        return thread(trade, organisation_id)
    require("negotiation.supplier", trade, user=viewer)
    if organisation_id != viewer.organisation_id:
        raise NotAllowed(_("you may read your own company's thread only"))
    return thread(trade, organisation_id)


# ---- the panel ----------------------------------------------------------------------------------------------

def panel_counts(trade: Trade) -> tuple[int, int]:
    """(experts, the purchaser's representatives) sitting now: seated and not stepped aside, or drawn by the
    expert draw and confirmed."""
    seats = [s for s in db.session.scalars(sa.select(CommitteeSeat).where(CommitteeSeat.trade_id == trade.id,
                                                                          CommitteeSeat.left_at.is_(None)))]
    reps = {s.user_id for s in seats if s.kind is SeatKind.TENDERER_REP}
    experts = {s.user_id for s in seats if s.kind is SeatKind.EXPERT}
    experts |= set(db.session.scalars(sa.select(ExpertSeat.user_id).where(
        ExpertSeat.trade_id == trade.id, ExpertSeat.status == SeatStatus.CONFIRMED))) - reps
    return len(experts), len(reps)


def panel_breaches(trade: Trade) -> dict[str, list[str]]:
    """The panel's breaches of the rule set (at least 3, odd, experts at least two thirds: O74 Art. 7 for a
    negotiation, C214 Art. 14 for a consultation), each citing its source; empty when lawful."""
    experts, reps = panel_counts(trade)
    return composition.check(trade, experts, reps, complex_project=False)


# ---- the rounds ---------------------------------------------------------------------------------------------

def _check_negotiating(trade: Trade) -> None:
    if not negotiates(trade):
        raise IllegalMove(_("Only a competitive negotiation or consultation has negotiation rounds."),
                          code="not_negotiating")
    if trade.state not in SITTING:
        raise IllegalMove(_("The rounds are held while the panel sits, after the responses are opened; this trade "
                            "is %(state)s.", state=trade.state.label), code="not_sitting")


def start(actor: User, trade: Trade) -> Negotiation:
    """The clerk opens the rounds: the panel is checked first (a breach is refused, 409 `panel_unlawful`,
    each breach named with its source), then round 1 starts."""
    require("negotiation.start", trade, user=actor)
    _check_negotiating(trade)
    if negotiation_of(trade) is not None:
        raise IllegalMove(_("The rounds have already started."), code="already_started")
    breaches = panel_breaches(trade)
    if breaches:
        raise IllegalMove(_("The panel cannot negotiate as it sits: %(breaches)s",
                            breaches="; ".join(m for ms in breaches.values() for m in ms)), code="panel_unlawful")
    if not remaining(trade):
        raise IllegalMove(_("No supplier's response passed the review: there is no one to negotiate with."),
                          code="no_supplier")
    experts, reps = panel_counts(trade)
    row = Negotiation(trade_id=trade.id, round_no=1, experts=experts, representatives=reps,
                      started_by_id=actor.id, started_at=now())
    db.session.add(row)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.get(Negotiation, trade_id) is not None,
                       IllegalMove(_("The rounds have already started."), code="already_started"))
    negotiation_started.send(trade, negotiation=row, actor=actor)
    return row


def _rounds_open(trade: Trade) -> Negotiation:
    _check_negotiating(trade)
    row = negotiation_of(trade)
    if row is None:
        raise IllegalMove(_("The rounds have not started: the clerk starts them once the panel sits."),
                          code="not_started")
    if call_of(trade) is not None:
        raise IllegalMove(_("Final quotes have been called for: the rounds are over."), code="rounds_over")
    return row


def send_message(actor: User, trade: Trade, body, organisation_id: int | None = None) -> NegotiationMessage:
    """A message in one supplier's thread: the panel writes to a supplier still in (`organisation_id`), a
    supplier writes to the panel in its own thread. The current round's number is kept with it."""
    if panel_member(actor, trade):
        require("negotiation.conduct", trade, user=actor)
        if organisation_id not in remaining(trade):
            raise InvalidInput({"organisation_id": [_("is not a supplier still in the negotiation")]})
        from_panel = True
    else:
        require("negotiation.supplier", trade, user=actor)
        if organisation_id not in (None, actor.organisation_id):
            raise NotAllowed(_("you may write in your own company's thread only"))
        organisation_id = actor.organisation_id
        if organisation_id not in remaining(trade):
            raise IllegalMove(_("Your company has been set aside from this negotiation."), code="set_aside")
        from_panel = False
    body = _text(body, "body")
    row = _rounds_open(trade)
    message = NegotiationMessage(trade_id=trade.id, organisation_id=organisation_id, round_no=row.round_no,
                                 from_panel=from_panel, author_id=actor.id, body=body, at=now())
    db.session.add(message)
    db.session.flush()
    return message


def next_round(actor: User, trade: Trade, expected: int | None = None) -> Negotiation:
    """The panel closes a round and opens the next. `expected` (the round the panel sees): a second click
    that another member's already moved on is refused (409 `round_moved`) instead of skipping a round."""
    require("negotiation.conduct", trade, user=actor)
    row = _rounds_open(trade)
    current = row.round_no
    if expected is not None and expected != current:
        raise IllegalMove(_("Round %(n)d is already under way: reload the page.", n=current), code="round_moved")
    done = db.session.execute(sa.update(Negotiation).where(Negotiation.trade_id == trade.id,
                                                           Negotiation.round_no == current)
                              .values(round_no=current + 1).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise IllegalMove(_("Another member opened the next round at the same moment: reload the page."),
                          code="round_moved")
    db.session.refresh(row)
    return row


def change_requirements(actor: User, trade: Trade, kind, body) -> RequirementChange:
    """A change to the requirements, recorded with the suppliers it was sent to: every supplier still in,
    at once (GPL 38 (4))."""
    require("negotiation.conduct", trade, user=actor)
    if kind not in CHANGE_KINDS:
        raise InvalidInput({"kind": [_("must be one of: %(list)s", list=", ".join(CHANGE_KINDS))]})
    body = _text(body, "body")
    row = _rounds_open(trade)
    seq = (db.session.scalar(sa.select(sa.func.max(RequirementChange.seq)).where(
        RequirementChange.trade_id == trade.id)) or 0) + 1
    change = RequirementChange(trade_id=trade.id, seq=seq, round_no=row.round_no, kind=kind, body=body,
                               sent_to=remaining(trade), author_id=actor.id, at=now())
    db.session.add(change)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(RequirementChange.id).where(
        RequirementChange.trade_id == trade_id, RequirementChange.seq == seq)) is not None,
        IllegalMove(_("Another change was recorded at the same moment: reload the page and send yours again."),
                    code="change_taken"))
    requirements_changed.send(trade, change=change, actor=actor)
    return change


def set_aside(actor: User, trade: Trade, organisation_id, reason) -> SupplierExclusion:
    """The panel sets aside a supplier whose response (or, once opened, final quote) does not meet the
    requirements, with its reason: during the rounds, and after the call while the panel sits (a supplier set
    aside is not ranked, GPL 38 (5))."""
    require("negotiation.conduct", trade, user=actor)
    reason = _text(reason, "reason")
    _check_negotiating(trade)
    if negotiation_of(trade) is None:
        raise IllegalMove(_("The rounds have not started: the clerk starts them once the panel sits."),
                          code="not_started")
    if organisation_id not in remaining(trade):
        raise InvalidInput({"organisation_id": [_("is not a supplier still in the negotiation")]})
    row = SupplierExclusion(trade_id=trade.id, organisation_id=organisation_id, reason=reason, by_id=actor.id,
                            at=now())
    db.session.add(row)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(SupplierExclusion.id).where(
        SupplierExclusion.trade_id == trade_id, SupplierExclusion.organisation_id == organisation_id)) is not None,
        IllegalMove(_("This supplier has already been set aside."), code="already_set_aside"))
    return row


def call_final_quotes(actor: User, trade: Trade, deadline) -> FinalQuoteCall:
    """The panel ends the rounds and calls every supplier still in for a final sealed quote by `deadline`
    (O74 Art. 32; C214 Art. 23). Refused with fewer suppliers left than the rule set's minimum."""
    require("negotiation.conduct", trade, user=actor)
    if not isinstance(deadline, datetime) or deadline.tzinfo is None:
        raise InvalidInput({"deadline": [_("must be a date and time with its time zone")]})
    _rounds_open(trade)
    if deadline <= now():
        raise InvalidInput({"deadline": [_("must be later than now (%(now)s, server time)", now=_when(now()))]})
    invited = remaining(trade)
    least = trade.rule_set.limit("min_bids")
    if least is not None and len(invited) < int(least.value):
        raise IllegalMove(_("Only %(n)d suppliers are still in; at least %(least)d are needed for final quotes "
                            "(%(source)s). The trade fails or changes its method with approval.",
                            n=len(invited), least=int(least.value), source=str(least.source)), code="too_few")
    call = FinalQuoteCall(trade_id=trade.id, deadline=deadline, invited=invited, called_by_id=actor.id, at=now())
    db.session.add(call)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.get(FinalQuoteCall, trade_id) is not None,
                       IllegalMove(_("Final quotes have been called for: the rounds are over."), code="rounds_over"))
    final_quotes_called.send(trade, call=call, actor=actor)
    return call
