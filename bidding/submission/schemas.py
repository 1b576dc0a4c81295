"""Schemas of the bid API (dump only: bids are uploaded as raw envelopes, not JSON)."""
from __future__ import annotations

import json

from marshmallow import Schema, fields


class BidSchema(Schema):
    version = fields.Integer()
    state = fields.Function(lambda b: b.state.value)
    sha256 = fields.String()
    size = fields.Integer()
    received_at = fields.AwareDateTime()
    receipt = fields.Function(lambda b: json.loads(b.receipt) if b.receipt else None)


class BidderBidSchema(BidSchema):
    """For the tenderer and executing staff before opening: who bid, never what."""

    organisation = fields.Function(lambda b: b.organisation.name)


class ReceiptKeySchema(Schema):
    algorithm = fields.Constant("Ed25519")
    public_key = fields.String()
    key_id = fields.String()
    pem = fields.String()
