"""The deal's state changes in one place for its pages and API (each lives in its own module), and what the app
factory installs: on a sale the `conclude` and `no_deal` moves belong to this procedure."""
from __future__ import annotations

import bidding.auctions.deal.permissions  # noqa: F401  (registers the deal permissions)
from bidding.auctions.deal.conclusion import (DEAL, PROCEDURE, conclude, deal_changed, deal_of, deals_between,
                                              decide, percent_over, reserved_to_deal)
from bidding.auctions.deal.confirmation import (confirmation_of, party_of, platform_signature_valid,
                                                sign_confirmation, unsigned_parties)
from bidding.auctions.deal.refunds import deposit_lines, refund, refund_due, refund_others

__all__ = ["DEAL", "PROCEDURE", "conclude", "confirmation_of", "deal_changed", "deal_of", "deals_between", "decide",
           "deposit_lines", "install", "party_of", "percent_over", "platform_signature_valid", "refund", "refund_due",
           "refund_others", "reserved_to_deal", "sign_confirmation", "unsigned_parties"]


def install() -> None:
    """Called once by the app factory."""
    from bidding.auctions.deal.permissions import deal_party
    from trading.signing.permissions import add_signer
    from trading.trades.reserved import reserve

    reserve(reserved_to_deal)
    add_signer(deal_party)  # the parties sign the transaction confirmation with their own keys
