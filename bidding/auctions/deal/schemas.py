"""Schemas of the deal API (load and dump kept apart). Amounts and percentages travel as decimal strings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field

MAX_NOTE = 2000


class DealSignLoadSchema(LoadSchema):
    statement = field(fields.String, required=True, validate=validate.Length(min=1, max=20000))
    signature = field(fields.String, required=True, validate=validate.Length(min=1, max=200))


class DealRefundLoadSchema(LoadSchema):
    note = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))


# ---- dump ----------------------------------------------------------------------------------------------

class ConfirmationSignatureSchema(Schema):
    party = fields.String(metadata={"description": "buyer | seller"})
    user = fields.String()
    signed_at = fields.DateTime()
    confirmation_sha256 = fields.String()
    key_fingerprint = fields.String()
    statement = fields.String(metadata={"description": "the exact canonical statement signed"})
    signature = fields.String(metadata={"description": "base64 of the 64-byte ECDSA P-256 signature (r || s)"})


class ConfirmationSchema(Schema):
    record = fields.Dict(metadata={"description": "the canonical record; its canonical JSON hashes to sha256"})
    sha256 = fields.String()
    made_at = fields.DateTime()
    platform_key_id = fields.String()
    platform_signature = fields.String(metadata={"description": "hex of the platform's Ed25519 signature over "
                                                                "the record's canonical JSON"})
    completed_at = fields.DateTime(allow_none=True)
    waiting_for = fields.List(fields.String())
    signatures = fields.List(fields.Nested(ConfirmationSignatureSchema))


class DealSchema(Schema):
    trade_id = fields.Integer()
    outcome = fields.String(metadata={"description": "concluded | no_deal"})
    reason = fields.String(allow_none=True, metadata={"description": "no_offer | below_reserve (no deal)"})
    reason_text = fields.String(allow_none=True)
    paddle = fields.Integer(allow_none=True)
    winner = fields.String(allow_none=True)
    price = fields.String(allow_none=True)
    basis = fields.String(allow_none=True, metadata={"description": "listing_quote | live_bid | negotiated"})
    offer_at = fields.DateTime(allow_none=True)
    starting_price = fields.String()
    appraised_value = fields.String(allow_none=True)
    premium_percent = fields.String(allow_none=True)
    appreciation_percent = fields.String(allow_none=True)
    decided_at = fields.DateTime()
    confirmation = fields.Nested(ConfirmationSchema, allow_none=True)


class DepositLineSchema(Schema):
    id = fields.Integer()
    organisation = fields.String()
    paddle = fields.Integer(allow_none=True)
    amount = fields.String()
    paid_at = fields.DateTime()
    winner = fields.Boolean()
    state = fields.String(metadata={"description": "applied | retained | refunded | late | overdue | due"})
    due = fields.DateTime(allow_none=True, metadata={"description": "the first instant past the refund period"})
    refunded_at = fields.DateTime(allow_none=True)
    retained_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
