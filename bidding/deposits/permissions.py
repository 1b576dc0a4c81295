"""Who may see and who may record or settle a trade's bid-security deposits."""
from __future__ import annotations

from trading.accounts.roles import Branch
from trading.permissions import permission
from trading.trades.permissions import is_staff_at


@permission("deposits.manage")
def _manage(user, trade) -> bool:
    """Deposits are money the centre holds: its executing staff record and settle them."""
    return is_staff_at(user, trade.centre_id)


@permission("deposits.view")
def _view(user, trade) -> bool:
    """Staff, supervisors and deciders of the trade's centre."""
    return user.is_authenticated and any(
        g.centre_id == trade.centre_id and g.role.branch in (Branch.EXECUTE, Branch.SUPERVISE, Branch.DECIDE)
        for g in user.grants)
