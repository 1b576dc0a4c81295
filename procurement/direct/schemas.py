"""Schemas of the single-source API (load and dump kept apart); amounts are strings (exact Decimal)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field, id_field

TEXT = validate.Length(min=1, max=4000, error=_l("must be between {min} and {max} characters"))


class SingleSourceSupplierCreateSchema(LoadSchema):
    supplier_id = id_field(required=True)
    reason = field(fields.String, required=True, validate=TEXT,
                   metadata={"description": "why only this supplier can supply (GPL 31)"})


class SingleSourceObjectionCreateSchema(LoadSchema):
    text = field(fields.String, required=True, validate=TEXT)


class SingleSourceObjectionAnswerSchema(LoadSchema):
    answer = field(fields.String, required=True, validate=TEXT)
    upheld = field(fields.Boolean, required=True)


class NegotiationRecordCreateSchema(LoadSchema):
    price = field(fields.String, required=True, validate=validate.Length(min=1, max=32),
                  metadata={"description": "the agreed price in yuan, e.g. 1180000.00; not above the budget"})
    negotiated_at = field(fields.AwareDateTime, required=True)
    place = field(fields.String, required=True, validate=validate.Length(
        min=1, max=200, error=_l("must be between {min} and {max} characters")))
    cost_basis = field(fields.String, required=True, validate=TEXT,
                       metadata={"description": "the supplier's costs, comparable contract prices, patents (O74 43)"})
    terms = field(fields.String, required=True, validate=TEXT)


class NegotiationSignatureCreateSchema(LoadSchema):
    agrees = field(fields.Boolean, required=True)
    dissent = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=4000))


class SingleSourceObjectionSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    filed_at = fields.AwareDateTime()
    answer_due = fields.AwareDateTime()
    answer = fields.String(allow_none=True)
    upheld = fields.Boolean(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class NegotiationSignatureSchema(Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda s: s.user.display_name)
    agrees = fields.Boolean()
    dissent = fields.String(allow_none=True)
    signed_at = fields.AwareDateTime()


class NegotiationRecordSchema(Schema):
    price = fields.Decimal(as_string=True)
    negotiated_at = fields.AwareDateTime()
    place = fields.String()
    cost_basis = fields.String()
    terms = fields.String()
    recorded_at = fields.AwareDateTime()
    signatures = fields.List(fields.Nested(NegotiationSignatureSchema))


class SingleSourceSchema(Schema):
    """The state of a single source: what the notice names, the period, the objections (their texts only to
    those who work on the trade; the public sees how many and the answers), the record and who still signs."""

    trade_id = fields.Integer()
    supplier_id = fields.Integer(allow_none=True)
    supplier = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    notice_from = fields.AwareDateTime(allow_none=True)
    notice_until = fields.AwareDateTime(allow_none=True)
    objections_open = fields.Boolean()
    answer_due = fields.AwareDateTime(allow_none=True)
    stopped_at = fields.AwareDateTime(allow_none=True)
    stopped_reason = fields.String(allow_none=True)
    objection_count = fields.Integer()
    objections = fields.List(fields.Nested(SingleSourceObjectionSchema), allow_none=True)
    budget = fields.Decimal(as_string=True)
    negotiation = fields.Nested(NegotiationRecordSchema, allow_none=True)
    unsigned = fields.List(fields.String())
