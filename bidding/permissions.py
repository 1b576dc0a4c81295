"""Who may appoint keyholders, see the opening key, submit bids and see who bid."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at, is_tenderer_member


@permission("trade.keyholders")
def _appoint(user, trade) -> bool:
    """The decision branch of the trade's centre appoints keyholders."""
    return bool(getattr(user, "is_authenticated", False)) and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


@permission("trade.bid")
def _bid(user, trade) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.BIDDER) and trade.is_public


@permission("trade.bidders")
def _bidders(user, trade) -> bool:
    """Before opening, the list and number of bidders are for the tenderer and executing staff only."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


KEY_ROLES = (Role.CENTRE_STAFF, Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)


@permission("keys.enrol")
def _may_enrol(user, _obj) -> bool:
    """Only people who can be appointed keyholders keep a personal key (services.enrol_personal_key agrees)."""
    return bool(getattr(user, "is_authenticated", False)) and any(user.centres_for(r) for r in KEY_ROLES)
