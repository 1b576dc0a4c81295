"""Listing quotes (挂牌报价): a qualified registrant with a confirmed deposit quotes at least the starting
price first, then at least the current price plus the increment, in whole increments (O39 Art 18-19).
Every quote is kept: accepted ones take the trade's next `seq`, refused ones their reason code. Two
quotes racing for one level: the unique (trade, seq) lets exactly one in; the other is kept as refused
("taken") and its company told to quote again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from bidding.auctions.models import ListingQuote, Registration
from bidding.auctions.registration import registration_of
from bidding.auctions.signals import quote_received
from bidding.auctions.terms import MAX_AMOUNT, terms_of
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.types import to_money

#: why a quote was refused: the codes clients read (refusal_message: the sentence people read)
REFUSALS = ("not_listing", "too_low", "not_increment", "taken")


def refusal_message(code: str, minimum: Decimal | None = None) -> str:
    """The refusal in the reader's language, with the lowest quote that would now be accepted (when given)."""
    if minimum is None:
        return {"not_listing": _("The listing is not open for quotes."),
                "too_low": _("Below the lowest acceptable quote."),
                "not_increment": _("Not the current price plus whole increments."),
                "taken": _("Another quote took this price level first.")}.get(code, code)
    text = {
        "not_listing": _("The listing is not open for quotes."),
        "too_low": _("Your quote is below the lowest acceptable quote (%(min)s).", min=minimum),
        "not_increment": _("A quote must be the current price plus whole increments (the lowest now: %(min)s).",
                           min=minimum),
        "taken": _("Another quote took this price level first: the lowest acceptable quote is now %(min)s; "
                   "quote again.", min=minimum),
    }
    return text.get(code, code)


def accepted_quotes(trade: Trade) -> list[ListingQuote]:
    return list(db.session.scalars(sa.select(ListingQuote).where(
        ListingQuote.trade_id == trade.id, ListingQuote.seq.is_not(None)).order_by(ListingQuote.seq)))


def _last_quote(trade: Trade) -> ListingQuote | None:
    return db.session.scalar(sa.select(ListingQuote).where(
        ListingQuote.trade_id == trade.id, ListingQuote.seq.is_not(None)).order_by(ListingQuote.seq.desc()).limit(1))


def current_price(trade: Trade) -> Decimal:
    last = _last_quote(trade)
    return last.amount if last is not None else trade.estimated_price


def _minimum_after(trade: Trade, last: ListingQuote | None) -> Decimal:
    return trade.estimated_price if last is None else last.amount + terms_of(trade).increment


def minimum_quote(trade: Trade) -> Decimal:
    """The lowest acceptable next quote: the starting price first, then the last quote plus the increment."""
    return _minimum_after(trade, _last_quote(trade))


def listing_open(trade: Trade, at: datetime | None = None) -> bool:
    """Quotes are taken while the trade is listing, from its listing start until its deadline."""
    at = at or now()
    return (trade.state is TradeState.LISTING and (trade.listing_from is None or at >= trade.listing_from)
            and (trade.bid_deadline is None or at < trade.bid_deadline))


def quoting_registration(actor, trade: Trade) -> Registration:
    reg = registration_of(trade, actor.organisation_id) if getattr(actor, "organisation_id", None) else None
    if reg is None or not reg.may_bid:
        raise IllegalMove(_("Only qualified registrants with a confirmed deposit may quote."), code="not_qualified")
    return reg


def parse_quote(amount) -> Decimal:
    try:
        value = to_money(amount)
    except (TypeError, ValueError):
        raise InvalidInput({"amount": [_("must be an amount such as 1250000.00")]}) from None
    if value <= 0:
        raise InvalidInput({"amount": [_("must be more than zero")]})
    if value > MAX_AMOUNT:
        raise InvalidInput({"amount": [_("may not exceed %(n)s", n=MAX_AMOUNT)]})
    return value


def quote(actor, trade: Trade, amount) -> ListingQuote:
    """A listing quote by the actor's company, returned accepted (`seq`) or refused (`refusal`, a code of
    REFUSALS): refused quotes are kept too. A malformed amount is InvalidInput (422, nothing kept)."""
    reg = quoting_registration(actor, trade)
    amount = parse_quote(amount)
    at = now()
    last = _last_quote(trade)
    minimum = _minimum_after(trade, last)
    refusal = None
    if not listing_open(trade, at):
        refusal = "not_listing"
    elif amount < minimum:
        refusal = "too_low"
    elif last is not None and (amount - minimum) % terms_of(trade).increment:
        refusal = "not_increment"
    row = ListingQuote(trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle, amount=amount, received_at=at,
                       seq=None if refusal else (last.seq + 1 if last else 1), refusal=refusal)
    if refusal is None:
        savepoint = db.session.begin_nested()
        try:
            db.session.add(row)
            db.session.flush()
        except IntegrityError:  # another quote took this seq between our read and our write
            savepoint.rollback()
            row = ListingQuote(trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle, amount=amount,
                               received_at=at, seq=None, refusal="taken")
        else:
            savepoint.commit()
    if row.refusal is not None:
        db.session.add(row)
        db.session.flush()
    quote_received.send(trade, quote=row, actor=actor)
    return row


@dataclass(frozen=True)
class Board:
    """The listing as everyone sees it: prices and paddles, never names."""

    price: Decimal
    starting_price: Decimal
    increment: Decimal
    minimum: Decimal
    quotes: list[ListingQuote]
    listing_from: datetime | None
    bid_deadline: datetime | None
    open: bool


def board(trade: Trade) -> Board:
    quotes = accepted_quotes(trade)
    last = quotes[-1] if quotes else None
    terms = terms_of(trade)
    return Board(price=last.amount if last else trade.estimated_price, starting_price=trade.estimated_price,
                 increment=terms.increment, minimum=_minimum_after(trade, last), quotes=quotes,
                 listing_from=trade.listing_from, bid_deadline=trade.bid_deadline, open=listing_open(trade))


def my_quotes(trade: Trade, registration: Registration) -> list[ListingQuote]:
    """A registrant's own quotes, accepted and refused, newest first."""
    return list(db.session.scalars(sa.select(ListingQuote).where(
        ListingQuote.trade_id == trade.id, ListingQuote.registration_id == registration.id)
        .order_by(ListingQuote.id.desc())))
