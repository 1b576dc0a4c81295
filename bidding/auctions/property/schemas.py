"""Schemas of the property transfer API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.auctions.property.models import MAX_REASON
from trading.schemas import LoadSchema, field

REASON = validate.Length(min=1, max=MAX_REASON)


class ReserveChangeCreateSchema(LoadSchema):
    price = field(fields.Decimal, required=True, as_string=True,
                  metadata={"description": "the new transfer reserve in yuan, e.g. 9000000.00"})
    reason = field(fields.String, required=True, validate=REASON)
    bid_deadline = field(fields.AwareDateTime, load_default=None, allow_none=True,
                         metadata={"description": "after the disclosure: the new end of the disclosure, at least "
                                                  "20 working days from now (O32 Art 18)"})


class ConsentCreateSchema(LoadSchema):
    """The multipart form of a consent: these fields beside the signed document (field 'document')."""

    lowest_price = field(fields.Decimal, required=True, as_string=True,
                         metadata={"description": "the lowest reserve consented to, below 90% of the appraisal"})
    reason = field(fields.String, required=True, validate=REASON)


class NegotiatedCreateSchema(LoadSchema):
    price = field(fields.Decimal, required=True, as_string=True,
                  metadata={"description": "the agreed price in yuan, not less than the reserve"})


class ExtensionCreateSchema(LoadSchema):
    bid_deadline = field(fields.AwareDateTime, required=True)
    reason = field(fields.String, required=True, validate=REASON)


class PreDisclosureSchema(Schema):
    notice_id = fields.Integer()
    published_at = fields.AwareDateTime()
    formal_from = fields.Date(metadata={"description": "the first day the formal disclosure may start"})


class ReserveChangeSchema(Schema):
    id = fields.Integer()
    old_price = fields.Decimal(as_string=True)
    new_price = fields.Decimal(as_string=True)
    appraised_value = fields.Decimal(as_string=True)
    reason = fields.String()
    consent_id = fields.Integer(allow_none=True)
    old_deadline = fields.AwareDateTime(allow_none=True)
    new_deadline = fields.AwareDateTime(allow_none=True)
    notice_id = fields.Integer(allow_none=True)
    changed_at = fields.AwareDateTime()


class ConsentSchema(Schema):
    id = fields.Integer()
    lowest_price = fields.Decimal(as_string=True)
    reason = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    decided_by = fields.Function(lambda c: c.decided_by.display_name)
    decided_at = fields.AwareDateTime()


class ExtensionSchema(Schema):
    id = fields.Integer()
    old_deadline = fields.AwareDateTime()
    new_deadline = fields.AwareDateTime()
    reason = fields.String()
    notice_id = fields.Integer()
    extended_at = fields.AwareDateTime()


class NegotiatedSchema(Schema):
    paddle = fields.Integer()
    price = fields.Decimal(as_string=True)
    reserve = fields.Decimal(as_string=True)
    recorded_at = fields.AwareDateTime()


class PropertyStateSchema(Schema):
    """A property transfer as its centre's branches see it: the reserve and its history, the path at the
    disclosure's end (running, competitive, negotiated, none, done)."""

    trade_id = fields.Integer()
    state = fields.String()
    path = fields.String()
    control_change = fields.Boolean()
    appraised_value = fields.Decimal(as_string=True, allow_none=True)
    reserve = fields.Decimal(as_string=True)
    consent_floor = fields.Decimal(as_string=True, allow_none=True,
                                   metadata={"description": "below this (90% of the appraisal) a cut needs consent"})
    bid_deadline = fields.AwareDateTime(allow_none=True)
    transferees = fields.Integer(metadata={"description": "qualified transferees (after the deadline only)"},
                                 allow_none=True)
    pre_disclosure = fields.Nested(PreDisclosureSchema, allow_none=True)
    changes = fields.List(fields.Nested(ReserveChangeSchema))
    consents = fields.List(fields.Nested(ConsentSchema))
    extensions = fields.List(fields.Nested(ExtensionSchema))
    negotiated = fields.Nested(NegotiatedSchema, allow_none=True)
