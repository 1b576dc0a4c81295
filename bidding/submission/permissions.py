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
    """Who may know every company that bid or paid a deposit, and how many: the tenderer and the
    executing staff only (O20 Art 20-21, Law 22). bidding/bidders.py applies it to each company, with
    the names the opening record makes public; everyone else reads pseudonyms."""
    if trade.rule_set.flow == "listing":  # a land or property sale: who registered (and paid) is known to the
        return is_staff_at(user, trade.centre_id)  # centre's staff only before the deal (bidding/auctions)
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)
