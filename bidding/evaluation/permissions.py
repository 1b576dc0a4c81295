"""Who seats the evaluation committee and who records the evaluation's failures; who sits on it."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.evaluation.models import CommitteeSeat
from trading.accounts.roles import Branch, Role
from trading.extensions import db
from trading.permissions import permission
from trading.trades.flows import TradeState
from trading.trades.permissions import is_staff_at

#: the stages in which the committee sits (reviews, clarifies, scores)
SITTING = (TradeState.EVALUATING,)


def seat_of(user, trade) -> CommitteeSeat | None:
    """The user's current seat on the trade's committee (None when they never sat or left)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(CommitteeSeat).where(
        CommitteeSeat.trade_id == trade.id, CommitteeSeat.user_id == user.id, CommitteeSeat.left_at.is_(None)))


def confirmed_expert(user, trade) -> bool:
    """An expert the draw (bidding.experts) named for the trade who confirmed and has not stepped aside."""
    from bidding.experts.models import ExpertSeat, SeatStatus

    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(ExpertSeat.id).where(
        ExpertSeat.trade_id == trade.id, ExpertSeat.user_id == user.id,
        ExpertSeat.status == SeatStatus.CONFIRMED).limit(1)) is not None


def sitting_member(user, trade) -> bool:
    """A member of the trade's committee while it sits, trade in evaluation: seated here and not stepped
    aside, or drawn by the expert draw and confirmed (a notified expert who has not confirmed is not)."""
    return trade.state in SITTING and (seat_of(user, trade) is not None or confirmed_expert(user, trade))


@permission("evaluation.seat")
def _seat(user, trade) -> bool:
    """The executing staff organise the evaluation: they seat the members the draw gives them."""
    return is_staff_at(user, trade.centre_id)


@permission("evaluation.fail")
def _fail(user, trade) -> bool:
    """Recording that every bid was rejected is the executing staff's move, on the committee's finding."""
    return is_staff_at(user, trade.centre_id)


# ---- the review and the clarifications (docs/evaluation-review.md) ------------------------------------

def sitting_members(trade) -> list[int]:
    """User ids of everyone who sits on the trade's committee now (seated and not stepped aside, or drawn
    and confirmed), whatever the trade's stage: the members whose marks the review counts."""
    from bidding.experts.models import ExpertSeat, SeatStatus

    seated = set(db.session.scalars(sa.select(CommitteeSeat.user_id).where(
        CommitteeSeat.trade_id == trade.id, CommitteeSeat.left_at.is_(None))))
    drawn = set(db.session.scalars(sa.select(ExpertSeat.user_id).where(
        ExpertSeat.trade_id == trade.id, ExpertSeat.status == SeatStatus.CONFIRMED)))
    return sorted(seated | drawn)


def watches(user, trade) -> bool:
    """The executing staff and the supervisors of the trade's centre read the review (never mark it)."""
    return getattr(user, "is_authenticated", False) and any(
        g.centre_id == trade.centre_id and g.role.branch in (Branch.EXECUTE, Branch.SUPERVISE) for g in user.grants)


def opened_bidder(user, trade) -> bool:
    """A member of an organisation whose bid the ceremony opened on this trade (the clarifications put to
    that organisation are theirs to read and answer)."""
    from bidding.ceremony.models import EntryStatus, OpeningCeremony, OpeningEntry

    if not getattr(user, "is_authenticated", False) or user.organisation_id is None or not user.has_role(Role.BIDDER):
        return False
    return db.session.scalar(sa.select(OpeningEntry.id).join(OpeningCeremony).where(
        OpeningCeremony.trade_id == trade.id, OpeningEntry.organisation_id == user.organisation_id,
        OpeningEntry.status == EntryStatus.OPENED).limit(1)) is not None


@permission("evaluation.review.view")
def _review_view(user, trade) -> bool:
    """The review grid: the sitting members (their own marks and the committee's conclusions), the executing
    staff and supervisors of the centre (everything, read-only). Never a bidder, the tenderer or the public."""
    return sitting_member(user, trade) or watches(user, trade)


@permission("evaluation.review.mark")
def _review_mark(user, trade) -> bool:
    """Marking a bid on a criterion, and closing the review: a sitting member while the committee sits."""
    return sitting_member(user, trade)


@permission("evaluation.criteria.add")
def _criteria_add(user, trade) -> bool:
    """Adding a criterion the tender documents name: the executing staff who organise the evaluation."""
    return is_staff_at(user, trade.centre_id)


@permission("evaluation.clarify")
def _clarify(user, trade) -> bool:
    """Asking a bidder a clarification question, refusing an answer that changes the price or substance:
    a sitting member while the committee sits (a bidder may not volunteer one, Reg 52)."""
    return sitting_member(user, trade)


@permission("evaluation.room")
def _room(user, trade) -> bool:
    """The evaluation room: whoever reads the review, and the opened bidders (their own questions only)."""
    return _review_view(user, trade) or opened_bidder(user, trade)


@permission("evaluation.clarification.answer")
def _answer(user, clarification) -> bool:
    """Answering is for the members of the organisation the question was put to, holding the bidder role."""
    return (getattr(user, "is_authenticated", False) and user.organisation_id == clarification.organisation_id
            and user.has_role(Role.BIDDER))
