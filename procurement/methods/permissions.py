"""Who may read and choose an invitation tender's invitees, contribute to their draw, and ask for and decide
a change of method."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member

SUPERVISORS = (Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@permission("procurement.invitees.view")
def _view(user, trade) -> bool:
    """The invitees are the potential bidders, whose names and number are not disclosed before the opening
    (Tendering Law Art 22; O87 Art 14 publishes a recommended list with the result): until the opening record
    names the bidders, those who may know who bid (bidding.bidders): the purchaser and the centre's executing
    staff. The supervisors add randomness to the draw and the deciders watch it in the audit log, which names
    the candidates by the trade's pseudonyms as it names its bidders. Then the list and the draw (inputs and
    result) are public with the trade."""
    if is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id):
        return True
    from bidding.bidders import named_at_opening

    return trade.is_public and bool(named_at_opening(trade))


@permission("procurement.invitees.set")
def _set(user, trade) -> bool:
    """The purchaser or the centre's clerk publishes the list or has the invitees drawn."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("procurement.invitees.contribute")
def _contribute(user, trade) -> bool:
    """The centre's supervisors add randomness to the invitee draw (nobody who chooses may)."""
    return _authed(user) and any(trade.centre_id in user.centres_for(role) for role in SUPERVISORS)


@permission("procurement.method_change.view")
def _change_view(user, trade) -> bool:
    return is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("procurement.method_change.request")
def _change_request(user, trade) -> bool:
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("procurement.method_change.decide")
def _change_decide(user, trade) -> bool:
    """The decision branch of the trade's centre (决策)."""
    return _authed(user) and trade.centre_id in user.centres_for(Role.DECISION_MAKER)
