"""The sale's terms, registrations and listing quotes: the state changes (views and the API stay thin).

The work is done in three modules, each owning one part: `terms` (the disclosed terms, amendments that
restart the disclosure, the increment during the listing), `registration` (竞买申请, documents,
deposits, paddles) and `quotes` (挂牌报价). Their names are gathered here, the one place other
packages import from.

Interfaces the live round and the deal build on:
- `terms_of(trade)`: the AuctionTerms (None for a trade that is not a land/property sale);
- `bidders(trade)`: the registrations that may bid (qualified, deposit confirmed), by paddle;
- `accepted_quotes(trade)`: the accepted listing quotes in order; `current_price(trade)`: the price
  the next quote must beat by an increment (the starting price while there is none);
- `quote(actor, trade, amount)`: one listing quote, accepted or refused (refusals are rows too).
"""
from __future__ import annotations

from bidding.auctions.models import AuctionTerms, ListingQuote, Registration, RegistrationStatus
from bidding.auctions.quotes import (REFUSALS, Board, accepted_quotes, board, current_price, listing_open,
                                     minimum_quote, my_quotes, parse_quote, quote, quoting_registration,
                                     refusal_message)
from bidding.auctions.registration import (add_document, bidders, confirm_and_qualify, counts, document_of,
                                           qualify, refuse, register, registration_of, registration_on,
                                           registrations, stored_documents, withdraw)
from bidding.auctions.signals import increment_changed, quote_received, registration_changed, terms_amended
from bidding.auctions.terms import (amend, change_increment, increment_changes, is_sale, on_publish,
                                    restarted_timeline, set_terms, terms_of)

SALE_KINDS = ("land", "property")

__all__ = [
    "AuctionTerms", "ListingQuote", "Registration", "RegistrationStatus",  # the models, as before the split
    "REFUSALS", "SALE_KINDS", "Board", "accepted_quotes", "add_document", "amend", "bidders", "board",
    "change_increment", "confirm_and_qualify", "counts", "current_price", "document_of", "increment_changed",
    "increment_changes", "is_sale", "listing_open", "minimum_quote", "my_quotes", "on_publish", "parse_quote",
    "qualify", "quote", "quote_received", "quoting_registration", "refusal_message", "refuse", "register",
    "registration_changed", "registration_of", "registration_on", "registrations", "restarted_timeline",
    "set_terms", "stored_documents", "terms_amended", "terms_of", "withdraw",
]


def install() -> None:
    """Connect what a sale adds to the shared lifecycle (the app factory calls it once)."""
    from trading.trades.lifecycle import after_move

    after_move("publish")(on_publish)
