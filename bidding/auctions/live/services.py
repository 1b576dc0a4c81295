"""The live round's lifecycle: its start at the listing close (staff) or at an auction's set time (the
tick), who enters, its opening and its close when the countdown runs out. Bids: bids.py; the board
every screen shows: board.py.

- Listing (挂牌, O39 Art 19): staff start the round after the listing closes; every registrant with a
  valid listing quote may confirm within terms.confirm_seconds. The round opens when the window ends
  (or at once when all have confirmed). Nobody who could still bid (no one confirmed, or only the
  leader of the listing did): the round closes at once and the listing decides: the highest quote,
  ties to the earliest (outcome.best_offer).
- Auction (拍卖, O39 Art 15-16): the round opens at terms.round_at (not before the bid deadline) without
  a listing phase; every qualified registrant is in. No bid before the countdown ends: no offer.
- The close: the tick (`run_due`, run by the scheduler and `flask tick`) closes a round whose `ends_at`
  passed with no bid; the highest accepted bid is the best offer. The deal listens to `round_changed`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from bidding.auctions.live.models import AuctionRound, RoundEntrant, RoundState
from bidding.auctions.models import Registration
from bidding.auctions.services import accepted_quotes, bidders, registration_of, terms_of
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import begin_write, db
from trading.permissions import require
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.reserved import Procedure

_signals = Namespace()
#: sender=Trade; kwargs: round, what ("started", "entered", "opened", "closed"), actor
round_changed = _signals.signal("auction-round-changed")

LIVE_ROUND = Procedure("live_round", _l("the live bidding round"),
                       _l("Use the live bidding page (or its API) instead."))
#: seconds after `ends_at` before the tick closes a round: a bid that arrived in time (it counts by its
#: arrival) but is still on its way to the round row is not refused as late (config: AUCTION_CLOSE_GRACE_SECONDS)
CLOSE_GRACE_SECONDS = 5.0


def reserved_to_live_round(trade: Trade, move) -> Procedure | None:
    """On a sale, the move into timed bidding belongs to the live round (it creates the round row)."""
    if move.name == "start_timed_bidding" and trade.rule_set.flow == "listing":
        return LIVE_ROUND
    return None


def install() -> None:
    """Called by the app factory: the reservation above; the closer watches each round started or opened."""
    from bidding.auctions.live import closer
    from trading.trades.reserved import reserve

    reserve(reserved_to_live_round)
    closer.install()
    round_changed.connect(_watch, weak=False)


def _watch(trade: Trade, round: AuctionRound, what: str, **_kw) -> None:  # noqa: A002 (the signal's name)
    if what in ("started", "opened"):
        from bidding.auctions.live.closer import watch_after_commit

        watch_after_commit(round.id)


def round_of(trade: Trade) -> AuctionRound | None:
    """The trade's round as the database holds it now (never a stale copy from the identity map)."""
    return db.session.scalar(sa.select(AuctionRound).where(AuctionRound.trade_id == trade.id)
                             .execution_options(populate_existing=True))


def kind_of(trade: Trade) -> str:
    return "auction" if trade.method == "land_auction" else "listing"


def eligible(trade: Trade, kind: str) -> list[Registration]:
    """Who may enter: in a listing those with an accepted quote who may still bid; in an auction every
    qualified registrant with a confirmed deposit."""
    regs = bidders(trade)
    if kind == "auction":
        return regs
    quoted = {q.registration_id for q in accepted_quotes(trade)}
    return [r for r in regs if r.id in quoted]


def start_round(actor, trade: Trade, *, at: datetime | None = None, kind: str | None = None) -> AuctionRound:
    """Move the trade into timed bidding and create its round (staff after the listing closes; the
    platform, actor None, when an auction's round time comes)."""
    at = at or now()
    if actor is not None:
        require("auctions.live.run", trade, user=actor)
    if round_of(trade) is not None:
        raise IllegalMove(_("The live round of this sale has already started."), code="round_started")
    terms = terms_of(trade)
    if terms is None:
        raise IllegalMove(_("This trade has no sale terms, so it has no live round."), code="no_terms")
    kind = kind or kind_of(trade)
    trades.move(trade, "start_timed_bidding", actor, by=LIVE_ROUND.key)
    quotes = accepted_quotes(trade)
    best = max(quotes, key=lambda q: (q.amount, -q.seq)) if quotes else None  # ties to the earliest (O39 Art 19)
    rnd = AuctionRound(trade_id=trade.id, kind=kind, started_at=at, increment=terms.increment,
                       countdown_seconds=terms.countdown_seconds, starting_price=trade.estimated_price,
                       price=best.amount if best else trade.estimated_price,
                       leader_registration_id=best.registration_id if best else None,
                       leader_paddle=best.paddle if best else None, accepted_count=0,
                       state=RoundState.CONFIRMING)
    if kind == "listing":
        rnd.confirm_until = at + timedelta(seconds=terms.confirm_seconds)
    db.session.add(rnd)
    db.session.flush()
    round_changed.send(trade, round=rnd, what="started", actor=actor)
    if kind == "auction":
        for reg in eligible(trade, kind):
            db.session.add(RoundEntrant(round_id=rnd.id, trade_id=trade.id, registration_id=reg.id,
                                        paddle=reg.paddle, confirmed_at=at))
        db.session.flush()
        _open(trade, rnd, at)
    elif not eligible(trade, kind):
        _close(trade, rnd, at)
    return rnd


def entrant_of(rnd: AuctionRound, registration_id: int) -> RoundEntrant | None:
    return db.session.scalar(sa.select(RoundEntrant).where(RoundEntrant.round_id == rnd.id,
                                                           RoundEntrant.registration_id == registration_id))


def confirm(actor, trade: Trade, *, at: datetime | None = None) -> RoundEntrant:
    """The actor's company enters the round (a listing's confirmation window; idempotent)."""
    at = at or now()
    reg = registration_of(trade, actor.organisation_id) if actor.organisation_id else None
    rnd = round_of(trade)
    if rnd is None:
        raise IllegalMove(_("The live round of this sale has not started."), code="no_round")
    if reg is None or reg not in eligible(trade, rnd.kind):
        raise IllegalMove(_("Only registrants with a valid listing quote may enter the live round."),
                          code="not_eligible")
    done = entrant_of(rnd, reg.id)
    if done is not None:
        return done
    if rnd.state is not RoundState.CONFIRMING or (rnd.confirm_until and at >= rnd.confirm_until):
        raise IllegalMove(_("The time to confirm has passed."), code="confirm_closed")
    entrant = RoundEntrant(round_id=rnd.id, trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle,
                           confirmed_at=at)
    db.session.add(entrant)
    db.session.flush()
    round_changed.send(trade, round=rnd, what="entered", actor=actor)
    entered = {e.registration_id for e in rnd.entrants} | {reg.id}
    if {r.id for r in eligible(trade, rnd.kind)} <= entered:
        _open(trade, rnd, at)  # everyone who may enter has: no need to wait for the window's end
    return entrant


def _open(trade: Trade, rnd: AuctionRound, at: datetime) -> None:
    """Open for bids, or close at once when nobody could bid (no entrant, or the leader alone)."""
    challengers = {e.registration_id for e in rnd.entrants} - {rnd.leader_registration_id}
    if not challengers:
        _close(trade, rnd, at)
        return
    rnd.state = RoundState.OPEN
    rnd.opened_at = at
    rnd.ends_at = at + timedelta(seconds=rnd.countdown_seconds)
    db.session.flush()
    round_changed.send(trade, round=rnd, what="opened", actor=None)


def _close(trade: Trade, rnd: AuctionRound, at: datetime) -> None:
    rnd.state = RoundState.CLOSED
    rnd.closed_at = at
    db.session.flush()
    round_changed.send(trade, round=rnd, what="closed", actor=None)


def _grace() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("AUCTION_CLOSE_GRACE_SECONDS", CLOSE_GRACE_SECONDS)))


def _close_if_quiet(trade: Trade, rnd: AuctionRound, at: datetime) -> bool:
    """Close an open round whose countdown ran out, unless a bid moved it meanwhile: the UPDATE carries
    `WHERE accepted_count = <the count read>` (the row's version column), as a bid's does."""
    if rnd.state is not RoundState.OPEN or rnd.ends_at is None or rnd.ends_at > at - _grace():
        return False
    rnd.state = RoundState.CLOSED
    rnd.closed_at = at
    try:
        db.session.flush()
    except StaleDataError:  # a bid took a level first: the countdown runs again
        db.session.rollback()
        return False
    round_changed.send(trade, round=rnd, what="closed", actor=None)
    return True


def due_at(rnd: AuctionRound) -> datetime | None:
    """When the round has work due next: the confirmation window's end, the countdown's end plus the close
    grace; None once closed."""
    if rnd.state is RoundState.CONFIRMING:
        return rnd.confirm_until
    if rnd.state is RoundState.OPEN and rnd.ends_at is not None:
        return rnd.ends_at + _grace()
    return None


def due_work(round_id: int, at: datetime | None = None) -> datetime | None:
    """The closer's look at one round: open it (its window ended) or close it (its countdown ran out), read
    and changed under the write lock; returns when it is due next (None: closed or gone). The caller commits."""
    at = at or now()
    rnd = db.session.scalar(sa.select(AuctionRound).where(AuctionRound.id == round_id)
                            .execution_options(populate_existing=True))
    when = due_at(rnd) if rnd is not None else None
    if when is None or when > at:
        return when
    begin_write()  # the bids' writer may be taking a level: read the round again behind it
    rnd = db.session.scalar(sa.select(AuctionRound).where(AuctionRound.id == round_id)
                            .execution_options(populate_existing=True))
    if rnd.state is RoundState.CONFIRMING:
        _open(rnd.trade, rnd, at)
    elif rnd.state is RoundState.OPEN:
        _close_if_quiet(rnd.trade, rnd, at)
    return due_at(rnd)


def run_due(at: datetime | None = None) -> list[str]:
    """The tick: open auctions whose round time came, end confirmation windows, close rounds whose
    countdown ran out. Returns the references of the trades it changed."""
    at = at or now()
    done: list[str] = []
    auctions = db.session.scalars(sa.select(Trade).where(
        Trade.method == "land_auction", Trade.state == TradeState.LISTING,
        ~sa.exists().where(AuctionRound.trade_id == Trade.id)).order_by(Trade.id)).all()
    for trade in auctions:
        terms = terms_of(trade)
        times = [t for t in (terms.round_at if terms else None, trade.bid_deadline) if t is not None]
        if terms is None or not times or at < max(times):
            continue
        _each(trade, lambda t: start_round(None, t, at=at), done)
    due = db.session.scalars(sa.select(AuctionRound).where(sa.or_(
        sa.and_(AuctionRound.state == RoundState.CONFIRMING, AuctionRound.confirm_until <= at),
        sa.and_(AuctionRound.state == RoundState.OPEN, AuctionRound.ends_at <= at - _grace())))
        .order_by(AuctionRound.id)).all()
    for rnd in due:
        if rnd.state is RoundState.CONFIRMING:
            _each(rnd.trade, lambda t, r=rnd: _open(t, r, at), done)
        else:
            _each(rnd.trade, lambda t, r=rnd: _close_if_quiet(t, r, at), done)
    from bidding.auctions.live.closer import closer, enabled

    if enabled(current_app):  # a restarted process: the closer takes the running rounds from the first tick on
        running = db.session.scalars(sa.select(AuctionRound.id).where(
            AuctionRound.state.in_((RoundState.CONFIRMING, RoundState.OPEN)))).all()
        db.session.rollback()  # (only read)
        if running:
            closer(current_app._get_current_object()).watch(running)
    return done


def _each(trade: Trade, work, done: list[str]) -> None:
    """One trade's due work in its own transaction: a failure rolls back that trade only."""
    try:
        changed = work(trade)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("live round tick failed for %s", trade.ref)
        return
    if changed is not False:
        done.append(trade.ref)
