"""Placing a bid in the live round: judged by its arrival at the server, one level taken by exactly one bid.

Rules (RULES.md "timed bidding"; local rules such as Shantou Art 23-24):
- a bid is the price to beat plus one or more whole increments ("+1 increment" is the smallest); before
  anyone leads (an auction's first bid) the starting price itself is a valid first bid, then whole
  increments above it. An amount between two levels is refused (`not_increment`), never rounded;
- a bid counts by its arrival (`trading.clock.now()` when the request reaches the service) and must
  arrive before `ends_at`; each accepted bid moves `ends_at` to its arrival + the countdown;
- the leader may not raise their own bid (`already_leading`);
- a level is taken by a conditional UPDATE of the round row (`WHERE accepted_count = <seen>` and the
  round still open at the arrival): of two bids for one level one changes the row, the other changes
  nothing and is refused at once as `outbid`, with the new price (so is a bid for a level an accepted bid
  already holds when it arrives: it was beaten to it; other bids below the next level are `too_low`). A bid for a higher level than the one
  taken meanwhile is judged again against the new price and tries once more (a few times at most);
- `client_ref` makes a retry safe: the same bidder's same reference gets the stored answer again,
  accepted or refused, and is never accepted twice (unique per round and registration);
- refused bids are stored rows with their code, so every bid that arrived is an audit entry.
Each bid runs in its own transaction: the caller commits at once (a duplicate reference found by the
unique key rolls the session back and answers the stored bid).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.auctions.live.models import AuctionRound, LiveBid, RoundState
from sqlalchemy.orm.exc import StaleDataError

from bidding.auctions.live.services import entrant_of, round_of
from bidding.auctions.models import Registration
from bidding.auctions.services import registration_of
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.trades.models import Trade
from trading.types import to_money

CLIENT_REF = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: how often a bid for a level above the one a rival just took is judged again before it gives up
ATTEMPTS = 8
REFUSALS = ("not_open", "round_over", "not_entrant", "already_leading", "too_low", "not_increment", "outbid")


def next_minimum(rnd: AuctionRound) -> Decimal:
    """The lowest valid bid now: the starting price while nobody leads, else the price plus one increment."""
    return rnd.price if rnd.leader_registration_id is None else rnd.price + rnd.increment


def refusal_message(code: str, price: Decimal, minimum: Decimal | None = None) -> str:
    """What a refused bidder reads, in their language."""
    money = f"¥{price:,.2f}"
    texts = {
        "not_open": _("The live round is not open for bids yet."),
        "round_over": _("The countdown has ended: the round takes no more bids."),
        "not_entrant": _("Your company did not enter the live round, so it may not bid."),
        "already_leading": _("You already hold the highest bid (%(price)s); wait for a higher one.", price=money),
        "too_low": _("Too low: the next bid must be at least %(minimum)s.",
                     minimum=f"¥{minimum:,.2f}" if minimum is not None else money),
        "not_increment": _("Bids go up in whole increments above the current price %(price)s.", price=money),
        "outbid": _("Outbid: another bid took this level first. The price is now %(price)s.", price=money),
    }
    return texts.get(code, code)


def _judge(rnd: AuctionRound, reg: Registration, amount: Decimal, at: datetime, raced: bool) -> str | None:
    if rnd.state is RoundState.CONFIRMING:
        return "not_open"
    if rnd.state is RoundState.CLOSED or rnd.ends_at is None or at >= rnd.ends_at:
        return "round_over"
    if entrant_of(rnd, reg.id) is None:
        return "not_entrant"
    if rnd.leader_registration_id == reg.id:
        return "outbid" if raced and amount <= rnd.price else "already_leading"
    if amount < next_minimum(rnd):
        return "outbid" if raced or _level_taken(rnd, amount) else "too_low"
    if (amount - rnd.price) % rnd.increment:
        return "not_increment"
    return None


def _level_taken(rnd: AuctionRound, amount: Decimal) -> bool:
    """Whether another bid already took this very level (the bidder was beaten to it, not just low)."""
    return db.session.scalar(sa.select(LiveBid.id).where(LiveBid.round_id == rnd.id, LiveBid.seq.is_not(None),
                                                         LiveBid.amount == amount).limit(1)) is not None


def _accept(rnd: AuctionRound, reg: Registration, amount: Decimal, client_ref: str, at: datetime):
    """Take the next level: the round row's UPDATE (`WHERE accepted_count = <read>`, the version column) and
    the bid's INSERT in one flush, so one audit append. Returns the bid, None when a rival changed the row
    first (or closed the round), or the stored bid of a duplicate `client_ref` as (bid, True)."""
    seq = rnd.accepted_count + 1
    ends_at = max(rnd.ends_at, at + timedelta(seconds=rnd.countdown_seconds))
    rnd.accepted_count, rnd.price, rnd.ends_at = seq, amount, ends_at
    rnd.leader_registration_id, rnd.leader_paddle = reg.id, reg.paddle
    bid = LiveBid(round_id=rnd.id, trade_id=rnd.trade_id, registration_id=reg.id, paddle=reg.paddle, amount=amount,
                  client_ref=client_ref, received_at=at, seq=seq, price=amount, ends_at=ends_at)
    db.session.add(bid)
    try:
        db.session.flush()
    except StaleDataError:  # another bid took the level (or the tick closed the round) first
        db.session.rollback()
        return None
    except sa.exc.IntegrityError:
        db.session.rollback()
        stored = _stored(rnd, reg, client_ref)
        return (stored, True) if stored is not None else None
    # the close changes the state, not the count: under the write lock now, make sure it did not come first
    state = db.session.scalar(sa.select(AuctionRound.state).where(AuctionRound.id == rnd.id)
                              .execution_options(populate_existing=True))
    if state is not RoundState.OPEN:
        db.session.rollback()
        return None
    return bid


def _stored(rnd: AuctionRound, reg: Registration, client_ref: str) -> LiveBid | None:
    return db.session.scalar(sa.select(LiveBid).where(LiveBid.round_id == rnd.id, LiveBid.registration_id == reg.id,
                                                      LiveBid.client_ref == client_ref))


def _replay(stored: LiveBid, amount: Decimal) -> LiveBid:
    if stored.amount != amount:
        raise InvalidInput({"client_ref": [_("this reference was already used for another amount")]})
    return stored


def place_bid(actor, trade: Trade, amount, client_ref) -> tuple[LiveBid, bool]:
    """One bid by the actor's company. Returns (the bid, accepted or refused; True when it is the stored
    answer to an earlier request with the same client_ref)."""
    at = now()  # the arrival: what counts
    reg = registration_of(trade, actor.organisation_id) if actor.organisation_id else None
    if reg is None or not reg.may_bid:
        raise IllegalMove(_("Only qualified registrants with a confirmed deposit may bid."), code="not_registrant")
    errors: dict[str, list[str]] = {}
    if not isinstance(client_ref, str) or not CLIENT_REF.match(client_ref):
        errors["client_ref"] = [_("1 to 64 letters, digits or . _ : - (a UUID will do)")]
    try:
        amount = to_money(amount)
        if amount <= 0:
            errors["amount"] = [_("must be more than zero")]
    except (TypeError, ValueError):
        errors["amount"] = [_("must be an amount such as 1250000.00")]
    if errors:
        raise InvalidInput(errors)
    rnd = round_of(trade)
    if rnd is None:
        raise IllegalMove(_("The live round of this sale has not started."), code="no_round")
    stored = _stored(rnd, reg, client_ref)
    if stored is not None:
        return _replay(stored, amount), True
    refusal = _judge(rnd, reg, amount, at, raced=False)
    trade_id = rnd.trade_id
    for _attempt in range(ATTEMPTS if refusal is None else 0):
        taken = _accept(rnd, reg, amount, client_ref, at)
        if isinstance(taken, tuple):
            return _replay(taken[0], amount), True
        if taken is not None:
            return taken, False
        rnd = db.session.scalar(sa.select(AuctionRound).where(AuctionRound.trade_id == trade_id)
                                .execution_options(populate_existing=True))  # as the rival left it
        reg = db.session.get(Registration, reg.id)
        refusal = _judge(rnd, reg, amount, at, raced=True)
        if refusal is not None:
            break
    refusal = refusal or "outbid"
    bid = LiveBid(round_id=rnd.id, trade_id=trade_id, registration_id=reg.id, paddle=reg.paddle, amount=amount,
                  client_ref=client_ref, received_at=at, refusal=refusal, price=rnd.price, ends_at=rnd.ends_at)
    db.session.add(bid)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # the same reference, sent twice at once: the first one's row is the answer to both
        db.session.rollback()
        stored = _stored(rnd, reg, client_ref)
        if stored is None:
            raise
        return _replay(stored, amount), True
    return bid, False


def accepted_bids(rnd: AuctionRound, limit: int | None = None) -> list[LiveBid]:
    """The accepted bids in order (the last `limit` of them)."""
    stmt = sa.select(LiveBid).where(LiveBid.round_id == rnd.id, LiveBid.seq.is_not(None))
    if limit is None:
        return list(db.session.scalars(stmt.order_by(LiveBid.seq)))
    return list(reversed(db.session.scalars(stmt.order_by(LiveBid.seq.desc()).limit(limit)).all()))
