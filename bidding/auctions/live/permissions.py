"""Who may watch, run and bid in a live round."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import can, permission
from trading.trades.permissions import is_staff_at


@permission("auctions.live.watch")
def _watch(user, trade) -> bool:
    """The price board is as public as the trade: bidders, staff, supervisors and the public watch."""
    return can(user, "trade.view", trade)


@permission("auctions.live.run")
def _run(user, trade) -> bool:
    """The centre's executing staff start the round at the listing close."""
    return is_staff_at(user, trade.centre_id)


@permission("auctions.live.bid")
def _bid(user, trade) -> bool:
    """A bidder company's member confirms and bids for their company (the service checks the registration,
    the deposit and the entry); the seller never bids on its own sale."""
    return (bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.BIDDER)
            and user.organisation_id is not None and user.organisation_id != trade.tenderer_id)
