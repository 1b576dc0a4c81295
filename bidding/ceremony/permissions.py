"""Who may run the opening ceremony, release a share, watch it, object, answer and sign the record."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.keyholders.models import Keyholder, Side
from bidding.submission.models import Bid, BidState
from trading.accounts.roles import Role
from trading.extensions import db
from trading.permissions import permission
from trading.trades.permissions import is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return user.is_authenticated


def keyholder_of(user, trade) -> Keyholder | None:
    if not _authed(user):
        return None
    return db.session.scalar(sa.select(Keyholder).where(Keyholder.trade_id == trade.id, Keyholder.user_id == user.id))


def bids_in_opening(user, trade) -> bool:
    """The caller is a bidder whose organisation has a bid in this trade's opening."""
    if not _authed(user) or not user.has_role(Role.BIDDER) or not user.organisation_id:
        return False
    return db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(
        Bid.trade_id == trade.id, Bid.organisation_id == user.organisation_id,
        Bid.state == BidState.SUBMITTED)) > 0


def is_supervisor_at(user, trade) -> bool:
    if not _authed(user):
        return False
    centres = user.centres_for(Role.ADMIN_SUPERVISOR) | user.centres_for(Role.SOCIAL_SUPERVISOR)
    if trade.centre_id in centres:
        return True
    holder = keyholder_of(user, trade)
    return holder is not None and holder.side is Side.SUPERVISE


@permission("ceremony.run")
def _run(user, trade) -> bool:
    """Starting and completing the opening is the executing staff's work (start_opening, finish_opening)."""
    return is_staff_at(user, trade.centre_id)


@permission("ceremony.restart")
def _restart(user, trade) -> bool:
    """Restarting a stalled opening is the executing staff's, like starting it."""
    return is_staff_at(user, trade.centre_id)


@permission("ceremony.decide")
def _decide(user, trade) -> bool:
    """Failing or postponing a stalled opening is the decision branch's (deciders of the trade's centre)."""
    return _authed(user) and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


@permission("ceremony.release")
def _release(user, trade) -> bool:
    """Only the trade's appointed keyholders hold shares to release."""
    return keyholder_of(user, trade) is not None


@permission("ceremony.view")
def _view(user, trade) -> bool:
    """The live ceremony: staff, the tenderer, keyholders, supervisors, bidders who bid (不见面开标), and
    the centre's deciders (they fail or postpone a stalled opening)."""
    return (is_staff_at(user, trade.centre_id) or is_tenderer_member(user, trade) or _decide(user, trade)
            or keyholder_of(user, trade) is not None or is_supervisor_at(user, trade)
            or bids_in_opening(user, trade))


@permission("ceremony.object")
def _object(user, trade) -> bool:
    return bids_in_opening(user, trade)


@permission("ceremony.answer")
def _answer(user, trade) -> bool:
    return is_staff_at(user, trade.centre_id)


@permission("ceremony.sign")
def _sign(user, trade) -> bool:
    """Supervisors of the centre (administrative or social), or the trade's supervising keyholders."""
    return is_supervisor_at(user, trade)
