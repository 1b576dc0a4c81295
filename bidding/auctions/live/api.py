"""The live round's API (under /api/v1; bearer tokens): the board, the start, the entry and the bids.

The shapes are the agreed interface of issue 11 (bench/auction.py and the page use them):
  GET  /trades/<id>/auction          -> the board (BoardSchema)
  POST /trades/<id>/auction/start    -> the board (staff, at the listing close)
  POST /trades/<id>/auction/confirm  -> 201 {paddle, confirmed_at} (a bidder enters; again: 200)
  POST /trades/<id>/auction/bids {"amount": "12300000.00", "client_ref": "<uuid>"}
       -> 201 {seq, paddle, amount, client_ref, received_at, ends_at}; the same client_ref again: 200, the
          same body; refused: 409 {code, message, price, next_minimum, ends_at, client_ref, received_at}
"""
from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify
from flask_login import current_user

from bidding.auctions.live import services
from bidding.auctions.live.bids import next_minimum, place_bid, refusal_message
from bidding.auctions.live.board import board
from bidding.auctions.live.schemas import (BidAcceptedSchema, BidLoadSchema, BidRefusedSchema, BoardSchema,
                                           EntrantSchema)
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require
from trading.trades.models import Trade

api_bp = Blueprint("auction_live_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)


def bid_answer(bid, replay: bool):
    """The HTTP answer to a bid, stored or new: 201 (200 for a replay) accepted, 409 refused."""
    if bid.accepted:
        return jsonify(BidAcceptedSchema().dump(bid)), 200 if replay else 201
    minimum = bid.answer_minimum
    if minimum is ...:  # a stored answer: the round as it stands now
        rnd = services.round_of(bid_trade(bid))
        minimum = next_minimum(rnd) if rnd is not None and rnd.state.value == "open" else None
    body = {"code": bid.refusal, "message": refusal_message(bid.refusal, bid.price, minimum), "price": bid.price,
            "next_minimum": minimum, "ends_at": bid.ends_at, "client_ref": bid.client_ref,
            "received_at": bid.received_at}
    return jsonify(BidRefusedSchema().dump(body)), 409


@functools.cache
def _trade_query() -> sa.Select:
    """The trade's own row, without the centre and seller joined in (a bid reads neither); built once."""
    return (sa.select(Trade).where(Trade.id == sa.bindparam("id"))
            .options(sa.orm.lazyload(Trade.centre), sa.orm.lazyload(Trade.tenderer)))


def _trade_row(trade_id: int) -> Trade:
    trade = db.session.execute(_trade_query(), {"id": trade_id}).scalar_one_or_none()
    if trade is None:
        abort(404)
    return trade


def bid_trade(bid):
    return db.session.get(Trade, bid.trade_id)


@api_bp.get("/trades/<int:trade_id>/auction")
@doc("The live round's price board: state, price (and in capital numerals), premium, leader's paddle, the "
     "countdown's end and the server time, the newest accepted bids; a bidder's own paddle", None, BoardSchema(),
     auth=False)
def live_board(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.live.watch", trade)
    return jsonify(BoardSchema().dump(board(trade, current_user)))


@api_bp.post("/trades/<int:trade_id>/auction/start")
@doc("Start the live round at the listing close (executing staff): registrants with a valid quote may "
     "then confirm within the terms' window", None, BoardSchema(), bodyless=True)
def live_start(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.live.run", trade)
    services.start_round(current_user, trade)
    db.session.commit()
    return jsonify(BoardSchema().dump(board(trade, current_user)))


@api_bp.post("/trades/<int:trade_id>/auction/confirm")
@doc("Enter the live round (a registrant with a valid listing quote, within the confirmation window)", None,
     EntrantSchema(), 201, bodyless=True)
def live_confirm(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.live.bid", trade)
    rnd = services.round_of(trade)
    before = len(rnd.entrants) if rnd is not None else 0
    entrant = services.confirm(current_user, trade)
    db.session.commit()
    rnd = services.round_of(trade)
    return jsonify(EntrantSchema().dump(entrant)), 201 if len(rnd.entrants) > before else 200


@api_bp.post("/trades/<int:trade_id>/auction/bids")
@doc("Bid in the live round: the price plus whole increments, judged by its arrival at the server. 201 "
     "accepted; the same client_ref again answers the stored bid (200, or its 409); 409 refused with the "
     "reason and the price", BidLoadSchema, BidAcceptedSchema(), 201)
def live_bid(trade_id: int):
    trade = _trade_row(trade_id)
    require("auctions.live.bid", trade)
    data = BidLoadSchema().load(json_body())
    bid, replay = place_bid(current_user, trade, data["amount"], data["client_ref"])
    db.session.commit()
    return bid_answer(bid, replay)
