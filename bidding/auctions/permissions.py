"""Who may set a sale's terms, register, decide registrations and quote."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at


@permission("auctions.manage")
def _manage(user, trade) -> bool:
    """The centre's executing staff set the terms, qualify registrants and confirm their deposits."""
    return is_staff_at(user, trade.centre_id)


@permission("auctions.register")
def _register(user, trade) -> bool:
    """A bidder company's member applies for its company; the seller never bids on its own sale."""
    return (user.is_authenticated and user.has_role(Role.BIDDER) and user.organisation_id is not None
            and user.organisation_id != trade.tenderer_id)


@permission("auctions.registration.view")
def _registration_view(user, registration) -> bool:
    """Who applied is known to the centre's executing staff and the company itself only (before the deal)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        is_staff_at(user, registration.trade.centre_id) or user.organisation_id == registration.organisation_id)
