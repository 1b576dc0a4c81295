"""Who runs a property transfer's steps (staff), who consents to a deep cut (deciders), who looks."""
from __future__ import annotations

from trading.accounts.roles import Branch, Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at


@permission("property.manage")
def _manage(user, trade) -> bool:
    """The exchange's executing staff pre-disclose, change the reserve, extend, and record the agreement."""
    return is_staff_at(user, trade.centre_id)


@permission("property.consent")
def _consent(user, trade) -> bool:
    """The decision branch records the approving body's written consent to a reserve below 90%."""
    return user.is_authenticated and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


@permission("property.view")
def _view(user, trade) -> bool:
    """Staff, supervisors and deciders of the trade's centre."""
    return user.is_authenticated and any(
        g.centre_id == trade.centre_id and g.role.branch in (Branch.EXECUTE, Branch.SUPERVISE, Branch.DECIDE)
        for g in user.grants)
