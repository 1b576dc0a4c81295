"""Schemas of the live round's API (load and dump kept apart); amounts are strings (exact yuan)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field


class BidLoadSchema(LoadSchema):
    amount = field(fields.Decimal, required=True, as_string=True, places=2,
                   validate=validate.Range(min=0, min_inclusive=False, max=10**15))
    client_ref = field(fields.String, required=True, validate=validate.Regexp(r"^[A-Za-z0-9._:-]{1,64}$"))


class BoardBidSchema(Schema):
    seq = fields.Integer()
    paddle = fields.Integer()
    amount = fields.Decimal(as_string=True)
    at = fields.AwareDateTime()


class BoardSchema(Schema):
    """The price board (bidding/auctions/live/board.py)."""

    trade_id = fields.Integer()
    ref = fields.String()
    #: pending (no round yet), confirming, open, ended (countdown over, close not yet recorded), closed
    state = fields.String()
    kind = fields.String()
    server_time = fields.AwareDateTime()
    starting_price = fields.Decimal(as_string=True, allow_none=True)
    price = fields.Decimal(as_string=True, allow_none=True)
    price_upper_zh = fields.String(allow_none=True)
    premium = fields.Decimal(as_string=True, allow_none=True)
    premium_rate = fields.Decimal(as_string=True, allow_none=True)
    increment = fields.Decimal(as_string=True, allow_none=True)
    next_minimum = fields.Decimal(as_string=True, allow_none=True)
    leader_paddle = fields.Integer(allow_none=True)
    accepted_count = fields.Integer()
    ends_at = fields.AwareDateTime(allow_none=True)
    confirm_until = fields.AwareDateTime(allow_none=True)
    my_paddle = fields.Integer(allow_none=True)
    entered = fields.Boolean()
    may_confirm = fields.Boolean()
    may_bid = fields.Boolean()
    winner_paddle = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    bids = fields.List(fields.Nested(BoardBidSchema))


class BidAcceptedSchema(Schema):
    seq = fields.Integer()
    paddle = fields.Integer()
    amount = fields.Decimal(as_string=True)
    client_ref = fields.String()
    received_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class BidRefusedSchema(Schema):
    """A refused bid's 409 body: `code` (outbid, too_low, not_increment, already_leading, round_over,
    not_open, not_entrant), the message, and the price and countdown end when it was judged."""

    code = fields.String()
    message = fields.String()
    price = fields.Decimal(as_string=True)
    next_minimum = fields.Decimal(as_string=True, allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    client_ref = fields.String()
    received_at = fields.AwareDateTime()


class EntrantSchema(Schema):
    paddle = fields.Integer()
    confirmed_at = fields.AwareDateTime()
