"""Schemas of the negotiation API: separate load (input) and dump (output) schemas."""
from __future__ import annotations

from marshmallow import Schema, fields

from trading.schemas import LoadSchema


# ---- load ------------------------------------------------------------------------------------------------------

class MessageLoadSchema(LoadSchema):
    body = fields.String(required=True, metadata={"description": "the message (at most 4000 characters)"})


class RoundLoadSchema(LoadSchema):
    expected = fields.Integer(load_default=None, metadata={"description": "the round the panel sees now; a "
                                                                          "stale one is refused (409 round_moved)"})


class ChangeLoadSchema(LoadSchema):
    kind = fields.String(required=True, metadata={"description": "technical | service | contract"})
    body = fields.String(required=True, metadata={"description": "the change, as every supplier still in reads it"})


class SetAsideLoadSchema(LoadSchema):
    organisation_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class CallLoadSchema(LoadSchema):
    deadline = fields.AwareDateTime(required=True, metadata={"description": "the final quotes' deadline, with "
                                                                            "its time zone"})


# ---- dump ------------------------------------------------------------------------------------------------------

class MessageSchema(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer(metadata={"description": "the supplier whose thread it is"})
    round_no = fields.Integer()
    from_panel = fields.Boolean()
    author = fields.Function(lambda m: m.author.display_name)
    body = fields.String()
    at = fields.AwareDateTime()


class ChangeSchema(Schema):
    seq = fields.Integer()
    round_no = fields.Integer()
    kind = fields.String()
    body = fields.String()
    sent_to = fields.List(fields.Integer(), metadata={"description": "organisation ids of the suppliers it was "
                                                                     "sent to (every supplier still in)"})
    at = fields.AwareDateTime()


class CallSchema(Schema):
    deadline = fields.AwareDateTime()
    invited = fields.List(fields.Integer())
    at = fields.AwareDateTime()


class SupplierChangeSchema(ChangeSchema):
    """A change as a supplier reads it: not who else it was sent to (how many rivals are still in, and which,
    stays with the panel and the centre until the final quotes are opened)."""

    class Meta:
        exclude = ("sent_to",)


class SupplierCallSchema(CallSchema):
    """The call as a supplier reads it: its deadline, not the other suppliers called."""

    class Meta:
        exclude = ("invited",)


class QuoteSchema(Schema):
    """A sealed final quote as stored: hash, size and the signed receipt; the price only once opened."""

    organisation_id = fields.Integer()
    seq = fields.Integer()
    sha256 = fields.String()
    size = fields.Integer()
    received_at = fields.AwareDateTime()
    replaced_at = fields.AwareDateTime(allow_none=True)
    receipt = fields.String()
    price = fields.Decimal(as_string=True, places=2, allow_none=True)


class SupplierSchema(Schema):
    organisation_id = fields.Integer()
    name = fields.String()
    still_in = fields.Boolean()
    set_aside_reason = fields.String(allow_none=True)


class FinalReleasedSchema(Schema):
    released_at = fields.AwareDateTime()


class NegotiationSchema(Schema):
    """The whole negotiation as the panel, the clerk and the supervisors read it."""

    trade_id = fields.Integer()
    method = fields.String()
    started = fields.Boolean()
    round_no = fields.Integer(allow_none=True)
    panel = fields.Dict(metadata={"description": "experts, representatives, and breaches by field (empty: lawful)"})
    suppliers = fields.List(fields.Nested(SupplierSchema))
    changes = fields.List(fields.Nested(ChangeSchema))
    call = fields.Nested(CallSchema, allow_none=True)
    quotes = fields.List(fields.Nested(QuoteSchema))
    releases = fields.Dict()
    opening = fields.Dict(allow_none=True, metadata={"description": "the opening's record once the final quotes "
                                                                    "are opened"})


class OwnNegotiationSchema(Schema):
    """What a supplier reads: its own thread, the changes sent to it, the call, its own final quotes."""

    trade_id = fields.Integer()
    organisation_id = fields.Integer()
    still_in = fields.Boolean()
    round_no = fields.Integer(allow_none=True)
    thread = fields.List(fields.Nested(MessageSchema))
    changes = fields.List(fields.Nested(SupplierChangeSchema))
    call = fields.Nested(SupplierCallSchema, allow_none=True)
    quotes = fields.List(fields.Nested(QuoteSchema))
    opening_key = fields.String(allow_none=True)
    fingerprint = fields.String(allow_none=True)
    bidder_field = fields.String()
    next_seq = fields.Integer()
