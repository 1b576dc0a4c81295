"""Who may submit bids and who may see who bid."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at, is_tenderer_member


@permission("trade.bid")
def _bid(user, trade) -> bool:
    return user.is_authenticated and user.has_role(Role.BIDDER) and trade.is_public


@permission("trade.bidders")
def _bidders(user, trade) -> bool:
    """Before opening, the list and number of bidders are for the tenderer and executing staff only."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)
