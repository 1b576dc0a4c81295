"""Who may appoint keyholders and who may keep a personal key."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission


@permission("trade.keyholders")
def _appoint(user, trade) -> bool:
    """The decision branch of the trade's centre appoints keyholders."""
    return user.is_authenticated and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


KEY_ROLES = (Role.CENTRE_STAFF, Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)


@permission("keys.enrol")
def _may_enrol(user, _obj) -> bool:
    """Only people who can be appointed keyholders keep a personal key (services.enrol_personal_key agrees)."""
    return user.is_authenticated and any(user.centres_for(r) for r in KEY_ROLES)
