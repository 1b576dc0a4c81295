"""Placing a bid in the live round: judged by its arrival at the server, one level taken by exactly one bid.

Rules (RULES.md "timed bidding"; local rules such as Shantou Art 23-24):
- a bid is the price to beat plus one or more whole increments ("+1 increment" is the smallest); before
  anyone leads (an auction's first bid) the starting price itself is a valid first bid, then whole
  increments above it. An amount between two levels is refused (`not_increment`), never rounded;
- a bid counts by its arrival (`trading.clock.now()` when the request reaches the service) and must
  arrive before `ends_at`; each accepted bid moves `ends_at` to its arrival + the countdown;
- the leader may not raise their own bid (`already_leading`);
- a level is taken under the write lock by the live round's writer (writer.py), which judges the bids
  waiting in their order against the round as the bids before them left it: the first valid bid for a
  level takes it (the round's UPDATE `WHERE accepted_count = <read>` and the bid's INSERT with the unique
  `(round_id, seq)`), every other bid for it is refused at once as `outbid`, with the new price (so is a
  bid for a level an accepted bid already holds when it arrives: it was beaten to it; other bids below the
  next level are `too_low`). A bid for a higher level than the one taken meanwhile is judged against the
  new price;
- `client_ref` makes a retry safe: the same bidder's same reference gets the stored answer again,
  accepted or refused, and is never accepted twice (unique per round and registration);
- refused bids are stored rows with their code, so every bid that arrived is an audit entry.
The writer commits a group of bids in one transaction before any of them is answered; a caller that holds
a write transaction itself stores inline and commits.
"""
from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.local import LocalProxy

from bidding.auctions.live import writer
from bidding.auctions.live.models import AuctionRound, LiveBid
from bidding.auctions.live.services import round_of
from bidding.auctions.live.writer import next_minimum  # noqa: F401 (the board and the API read it here)
from bidding.auctions.services import registration_of
from trading.accounts.models import Caller
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.trades.models import Trade
from trading.types import to_money

CLIENT_REF = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
REFUSALS = ("not_open", "round_over", "not_entrant", "already_leading", "too_low", "not_increment", "outbid")


def refusal_message(code: str, price: Decimal, minimum: Decimal | None = None) -> str:
    """What a refused bidder reads, in their language."""
    money = f"¥{price:,.2f}"
    texts = {  # made only for the code asked: a refusal is the commonest answer of a busy round
        "not_open": lambda: _("The live round is not open for bids yet."),
        "round_over": lambda: _("The countdown has ended: the round takes no more bids."),
        "not_entrant": lambda: _("Your company did not enter the live round, so it may not bid."),
        "already_leading": lambda: _("You already hold the highest bid (%(price)s); wait for a higher one.",
                                     price=money),
        "too_low": lambda: _("Too low: the next bid must be at least %(minimum)s.",
                             minimum=f"¥{minimum:,.2f}" if minimum is not None else money),
        "not_increment": lambda: _("Bids go up in whole increments above the current price %(price)s.",
                                   price=money),
        "outbid": lambda: _("Outbid: another bid took this level first. The price is now %(price)s.", price=money),
    }
    return texts[code]() if code in texts else code


def place_bid(actor, trade: Trade, amount, client_ref) -> tuple[LiveBid, bool]:
    """One bid by the actor's company. Returns (the bid, accepted or refused; True when it is the stored
    answer to an earlier request with the same client_ref). Judged and stored by the live round's writer
    (writer.py); the bid's `answer_minimum` is the lowest valid bid once it was judged (None: not open)."""
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
    if isinstance(actor, LocalProxy):  # the writer's thread has no request to resolve current_user in
        actor = actor._get_current_object()
    job = writer.submit(writer.Job(
        round_id=rnd.id, trade_id=rnd.trade_id, registration_id=reg.id, paddle=reg.paddle,
        # the bidder as plain values (the entries name them): the User row is this request's session's
        actor=Caller.of(actor),
        amount=amount, client_ref=client_ref, at=at, seen_count=rnd.accepted_count))
    if job.other_amount:  # the reference of a stored bid (a retry), or sent twice at once, with another amount
        raise InvalidInput({"client_ref": [_("this reference was already used for another amount")]})
    job.bid.answer_minimum = job.minimum
    return job.bid, job.replay


def accepted_bids(rnd: AuctionRound, limit: int | None = None) -> list[LiveBid]:
    """The accepted bids in order (the last `limit` of them)."""
    stmt = sa.select(LiveBid).where(LiveBid.round_id == rnd.id, LiveBid.seq.is_not(None))
    if limit is None:
        return list(db.session.scalars(stmt.order_by(LiveBid.seq)))
    return list(reversed(db.session.scalars(stmt.order_by(LiveBid.seq.desc()).limit(limit)).all()))
