"""The evaluation's state changes: seating and unseating committee members (the expert draw calls these),
failing a trade whose every bid the committee rejected (Law 42; GPL 36), and `passed_bids`, the bids the
review (review.py) left in the running. The review and the clarifications keep their own modules."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

import bidding.evaluation.permissions  # noqa: F401  (registers the evaluation permissions)
from bidding.evaluation import review
from bidding.evaluation.models import CommitteeSeat, SeatKind
from trading import texts
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.rules.model import Source
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.permissions import is_tenderer_member
from trading.trades.services import move

MAX_TEXT = 4000
#: the committee may be seated from the opening until the evaluation ends
SEATABLE = (TradeState.OPENED, TradeState.EVALUATING)
#: every bid rejected: the trade fails and is tendered again, by rule-set kind
ALL_REJECTED = {
    "works": Source("招标投标法 第42条", "Tendering Law Art. 42"),
    "procurement": Source("政府采购法 第36条", "Government Procurement Law Art. 36"),
}
texts.register_label("all_rejected_source", lambda kind: str(ALL_REJECTED.get(kind, ALL_REJECTED["works"])))


def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput({field: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def seat_member(actor: User, trade: Trade, member: User, kind: SeatKind) -> CommitteeSeat:
    """Seat one member: an expert (held to the conflict policy: no tie to the tenderer or a bidder)
    or a representative of the tenderer. The draw of item 2 decides who; this records the seat."""
    require("evaluation.seat", trade, user=actor)
    if trade.state not in SEATABLE:
        raise IllegalMove(_("The committee is seated between the opening and the end of the evaluation."),
                          code="not_seatable")
    if kind is SeatKind.EXPERT:
        policy.join(member, trade, "expert")
    elif not is_tenderer_member(member, trade):
        raise InvalidInput({"user_id": [_("a representative of the tenderer must belong to the tenderer's "
                                          "organisation")]})
    existing = db.session.scalar(sa.select(CommitteeSeat).where(CommitteeSeat.trade_id == trade.id,
                                                                CommitteeSeat.user_id == member.id))
    if existing is not None:
        raise IllegalMove(_("%(user)s has already been seated on this committee.", user=member.display_name),
                          code="already_seated")
    seat = CommitteeSeat(trade_id=trade.id, user_id=member.id, kind=kind, seated_at=now(), seated_by_id=actor.id)
    db.session.add(seat)
    db.session.flush()
    return seat


def unseat_member(actor: User, seat: CommitteeSeat, reason: str | None) -> CommitteeSeat:
    """A member steps aside or is replaced: the seat stays on file and grants nothing from now."""
    require("evaluation.seat", seat.trade, user=actor)
    reason = _text(reason, "reason")
    if seat.left_at is not None:
        raise IllegalMove(_("This member has already left the committee."), code="already_left")
    seat.left_at, seat.left_reason = now(), reason
    db.session.flush()
    return seat


def committee(trade: Trade) -> list[CommitteeSeat]:
    return list(db.session.scalars(sa.select(CommitteeSeat).where(CommitteeSeat.trade_id == trade.id)
                                   .order_by(CommitteeSeat.id)))


def fail_all_invalid(actor: User, trade: Trade, reason: str | None):
    """The committee rejected every bid: the trade fails (流标) with the committee's reason and the
    rule that makes it fail, published in the failure notice; a re-tender follows (Law 42; GPL 36)."""
    require("evaluation.fail", trade, user=actor)
    reason = _text(reason, "reason")
    if trade.state not in SEATABLE:
        raise IllegalMove(_("Only a trade whose bids are under review can fail for want of a valid bid."),
                          code="not_under_review")
    source = ALL_REJECTED.get(trade.rule_set.kind, ALL_REJECTED["works"])
    message = texts.message(N_("the evaluation committee rejected every bid: the tender has failed (%(source)s): "
                               "%(reason)s"), source=texts.label("all_rejected_source", trade.rule_set.kind),
                            reason=reason)
    with force_locale("zh_CN"):  # the stored text, in the platform's language; readers read the message
        stored = texts.render(message)
    return move(trade, "fail", actor, reason=stored, reason_message=message)


def passed_bids(trade: Trade) -> list:
    """The opened bids still in the running: opened at the ceremony and not failed by the committee in its
    compliance and qualification review (bidding.evaluation.review: a bid the committee concluded failed
    on any criterion is rejected, Reg 51). Scoring ranks these; the award reads the ranking.

    Interface fixed for the scoring and award packages: OpeningEntry rows, in the ceremony's order."""
    return review.passed_entries(trade)
