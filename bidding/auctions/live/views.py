"""The live round's page (/trades/<id>/auction): one page for bidders, staff, supervisors and the public,
the role deciding the controls. The page script (static/js/auction.js) reads the board from `board_json`,
follows the trade's live stream (/live/trades/<id>) and bids through `bid_json` (session + CSRF header):
the same bodies as the API's, made by the same functions."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from bidding.auctions.live import services
from bidding.auctions.live.api import bid_answer
from bidding.auctions.live.bids import place_bid
from bidding.auctions.live.board import board
from bidding.auctions.live.schemas import BidLoadSchema, BoardSchema
from trading.api import json_body
from trading.clock import now
from trading.errors import DomainError
from trading.extensions import db
from trading.permissions import can, requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import load_trade

bp = Blueprint("auction_live", __name__)

STATES = {"pending": _l("Not started"), "confirming": _l("Confirming entry"), "open": _l("Bidding"),
          "ended": _l("Countdown over"), "closed": _l("Closed")}


def _labels() -> dict:
    """Every text the page script writes, translated here."""
    return {"states": {k: str(v) for k, v in STATES.items()},
            "accepted": _("Your bid of %(amount)s is accepted: you lead.", amount="{amount}"),
            "network": _("The bid could not be sent; retrying with the same reference (it counts once)."),
            "failed": _("The bid could not be sent. Check your connection and try again."),
            "winner": _("Paddle %(paddle)s wins at %(price)s.", paddle="{paddle}", price="{price}"),
            "no_winner": _("The round ended without a bid."),
            "listing_winner": _("No live bid: the listing's best quote stands, paddle %(paddle)s at %(price)s.",
                                paddle="{paddle}", price="{price}"),
            "left": _("Time left"), "stream_lost": _("Reconnecting to the live stream…"),
            "bid_for": _("+1 increment (%(amount)s)", amount="{amount}")}


def _secs(value) -> str:
    """A time to the second in the centre's zone (the log and the clock are read to the second)."""
    return format_datetime(value, "HH:mm:ss") if value else "—"


@bp.get("/trades/<int:trade_id>/auction")
@requires("auctions.live.watch", load=load_trade)
def auction_page(trade_id: int, obj: Trade):
    trade = obj
    data = board(trade, current_user)
    rnd = services.round_of(trade)
    may_start = (rnd is None and trade.state is TradeState.LISTING and can(current_user, "auctions.live.run", trade)
                 and trade.method != "land_auction")
    return render_template("bidding/auctions/live.html", trade=trade, board=data, initial=BoardSchema().dump(data),
                           states=STATES, labels=_labels(), secs=_secs,
                           may_start=may_start, start_too_early=bool(trade.bid_deadline and now() < trade.bid_deadline),
                           bidder=can(current_user, "auctions.live.bid", trade) and data["my_paddle"] is not None)


@bp.get("/trades/<int:trade_id>/auction/board")
@requires("auctions.live.watch", load=load_trade)
def board_json(trade_id: int, obj: Trade):
    """The board for the page script (session cookie): the API's GET /api/v1/trades/<id>/auction body."""
    response = jsonify(BoardSchema().dump(board(obj, current_user)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/trades/<int:trade_id>/auction/bids")
@login_required
@requires("auctions.live.bid", load=load_trade)
def bid_json(trade_id: int, obj: Trade):
    """A bid from the page script (session + X-CSRFToken): the API's answer, 201 / 200 / 409 / 422."""
    try:
        data = BidLoadSchema().load(json_body())
        bid, replay = place_bid(current_user, obj, data["amount"], data["client_ref"])
    except DomainError as exc:  # the script reads JSON, whatever went wrong
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    db.session.commit()
    return bid_answer(bid, replay)


@bp.post("/trades/<int:trade_id>/auction/confirm")
@login_required
@requires("auctions.live.bid", load=load_trade)
def confirm_form(trade_id: int, obj: Trade):
    try:
        services.confirm(current_user, obj)
        db.session.commit()
        flash(_("You are in the live round."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("auction_live.auction_page", trade_id=obj.id))


@bp.post("/trades/<int:trade_id>/auction/start")
@login_required
@requires("auctions.live.run", load=load_trade)
def start_form(trade_id: int, obj: Trade):
    try:
        services.start_round(current_user, obj)
        db.session.commit()
        flash(_("The live round has started: registrants with a valid quote may now confirm."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("auction_live.auction_page", trade_id=obj.id))
