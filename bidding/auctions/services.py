"""The sale's terms, registrations and listing quotes: the state changes (views and the API stay thin).

Interfaces the live round and the deal build on:
- `terms_of(trade)`: the AuctionTerms (None for a trade that is not a land/property sale);
- `bidders(trade)`: the registrations that may bid (qualified, deposit confirmed), by paddle;
- `accepted_quotes(trade)`: the accepted listing quotes in order; `current_price(trade)`: the price
  the next quote must beat by an increment (the starting price while there is none);
- `quote(actor, trade, amount)`: one listing quote, accepted or refused (refusals are rows too).
"""
from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from bidding.auctions.models import AuctionTerms, ListingQuote, Registration, RegistrationStatus
from bidding.deposits.models import BidDeposit
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.types import to_money

_signals = Namespace()
#: sender=Trade; kwargs: registration, actor, what ("applied", "qualified", "refused", "withdrawn")
registration_changed = _signals.signal("auction-registration-changed")
#: sender=Trade; kwargs: quote (ListingQuote, accepted or refused), actor
quote_received = _signals.signal("auction-quote-received")

SALE_KINDS = ("land", "property")


def is_sale(trade: Trade) -> bool:
    """A trade sold to the highest bidder (the listing flow: land listing and auction, property)."""
    return trade.rule_set.flow == "listing"


def terms_of(trade: Trade) -> AuctionTerms | None:
    return db.session.get(AuctionTerms, trade.id)


def set_terms(actor, trade: Trade, increment, appraised_value=None, countdown_seconds: int | None = None,
              confirm_seconds: int | None = None, round_at: datetime | None = None,
              control_change: bool | None = None) -> AuctionTerms:
    """Create or change the terms before the notice is out (afterwards: an amendment, which restarts the
    disclosure)."""
    require("auctions.manage", trade, user=actor)
    errors: dict[str, list[str]] = {}
    try:
        increment = to_money(increment)
        if increment <= 0:
            errors["increment"] = [_("must be more than zero")]
    except (TypeError, ValueError):
        errors["increment"] = [_("must be an amount such as 1250000.00")]
    if appraised_value not in (None, ""):
        try:
            appraised_value = to_money(appraised_value)
            if appraised_value <= 0:
                errors["appraised_value"] = [_("must be more than zero")]
        except (TypeError, ValueError):
            errors["appraised_value"] = [_("must be an amount such as 1250000.00")]
    else:
        appraised_value = None
    for field, value in (("countdown_seconds", countdown_seconds), ("confirm_seconds", confirm_seconds)):
        if value is not None and not 30 <= value <= 3600:
            errors[field] = [_("between 30 and 3600 seconds")]
    if errors:
        raise InvalidInput(errors)
    terms = terms_of(trade)
    if terms is None:
        terms = AuctionTerms(trade_id=trade.id, increment=increment)
        db.session.add(terms)
    terms.increment = increment
    terms.appraised_value = appraised_value
    if countdown_seconds is not None:
        terms.countdown_seconds = countdown_seconds
    if confirm_seconds is not None:
        terms.confirm_seconds = confirm_seconds
    if round_at is not None:
        terms.round_at = round_at
    if control_change is not None:
        terms.control_change = control_change
    db.session.flush()
    return terms


def registration_of(trade: Trade, organisation_id: int) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(Registration.trade_id == trade.id,
                                                           Registration.organisation_id == organisation_id))


def register(actor, trade: Trade) -> Registration:
    """The actor's company applies to bid (documents are added to the registration afterwards)."""
    require("auctions.register", trade, user=actor)
    if trade.state not in (TradeState.ANNOUNCED, TradeState.LISTING):
        raise IllegalMove(_("registration is open only while the sale is announced or listing"))
    if registration_of(trade, actor.organisation_id) is not None:
        raise InvalidInput({"organisation_id": [_("your company has already applied")]})
    reg = Registration(trade_id=trade.id, organisation_id=actor.organisation_id, applicant_id=actor.id,
                       applied_at=now())
    db.session.add(reg)
    db.session.flush()
    registration_changed.send(trade, registration=reg, actor=actor, what="applied")
    return reg


def _free_paddle(trade: Trade) -> int:
    taken = set(db.session.scalars(sa.select(Registration.paddle).where(
        Registration.trade_id == trade.id, Registration.paddle.is_not(None))))
    free = [n for n in range(1, max(100, 2 * len(taken) + 10)) if n not in taken]
    return free[secrets.randbelow(len(free))]


def qualify(actor, registration: Registration, deposit: BidDeposit) -> Registration:
    """Staff found the documents in order and the deposit paid (bidding.deposits records it with the paying
    account): the registrant gets a paddle number and may quote."""
    trade = registration.trade
    require("auctions.manage", trade, user=actor)
    if deposit.trade_id != trade.id or deposit.organisation_id != registration.organisation_id:
        raise InvalidInput({"deposit_id": [_("the deposit must be this company's on this trade")]})
    if registration.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("this registration is already decided"))
    registration.status = RegistrationStatus.QUALIFIED
    registration.deposit_id = deposit.id
    registration.decided_by_id = actor.id
    registration.decided_at = now()
    registration.paddle = _free_paddle(trade)
    db.session.flush()
    registration_changed.send(trade, registration=registration, actor=actor, what="qualified")
    return registration


def bidders(trade: Trade) -> list[Registration]:
    """Registrations that may bid: qualified with a confirmed deposit, by paddle number."""
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.trade_id == trade.id, Registration.status == RegistrationStatus.QUALIFIED,
        Registration.deposit_id.is_not(None)).order_by(Registration.paddle)))


def accepted_quotes(trade: Trade) -> list[ListingQuote]:
    return list(db.session.scalars(sa.select(ListingQuote).where(
        ListingQuote.trade_id == trade.id, ListingQuote.seq.is_not(None)).order_by(ListingQuote.seq)))


def _last_quote(trade: Trade) -> ListingQuote | None:
    return db.session.scalar(sa.select(ListingQuote).where(
        ListingQuote.trade_id == trade.id, ListingQuote.seq.is_not(None)).order_by(ListingQuote.seq.desc()).limit(1))


def current_price(trade: Trade) -> Decimal:
    last = _last_quote(trade)
    return last.amount if last is not None else trade.estimated_price


def minimum_quote(trade: Trade) -> Decimal:
    """The lowest acceptable next quote: the starting price first, then the last quote plus the increment."""
    last = _last_quote(trade)
    if last is None:
        return trade.estimated_price
    return last.amount + terms_of(trade).increment


def quote(actor, trade: Trade, amount) -> ListingQuote:
    """A listing quote by the actor's company, returned accepted (`seq`) or refused (`refusal`, a reason
    code): refused quotes are kept too. Two quotes racing for one `seq`: the unique key lets one in."""
    reg = registration_of(trade, actor.organisation_id) if actor.organisation_id else None
    if reg is None or not reg.may_bid:
        raise IllegalMove(_("only qualified registrants with a confirmed deposit may quote"))
    try:
        amount = to_money(amount)
    except (TypeError, ValueError):
        raise InvalidInput({"amount": [_("must be an amount such as 1250000.00")]}) from None
    at = now()
    refusal = None
    if trade.state is not TradeState.LISTING or (trade.bid_deadline and at >= trade.bid_deadline):
        refusal = "not_listing"
    elif amount < minimum_quote(trade):
        refusal = "too_low"
    elif (amount - minimum_quote(trade)) % terms_of(trade).increment and _last_quote(trade) is not None:
        refusal = "not_increment"
    last = _last_quote(trade)
    q = ListingQuote(trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle, amount=amount, received_at=at,
                     seq=None if refusal else (last.seq + 1 if last else 1), refusal=refusal)
    db.session.add(q)
    db.session.flush()
    quote_received.send(trade, quote=q, actor=actor)
    return q
