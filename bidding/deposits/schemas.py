"""Schemas of the deposits API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.deposits.models import MAX_ACCOUNT, MAX_NOTE
from trading.schemas import LoadSchema, field


class DepositCreateSchema(LoadSchema):
    organisation_id = field(fields.Integer, required=True)
    amount = field(fields.Decimal, required=True, as_string=True)
    paid_at = field(fields.AwareDateTime, load_default=None, allow_none=True)
    note = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))
    payer_account = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_ACCOUNT))


class DepositSettleSchema(LoadSchema):
    how = field(fields.String, required=True, validate=validate.OneOf(("refund", "retain")))
    note = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))


class DepositSchema(Schema):
    """A deposit as its viewer may see it (bidding.deposits.services.DepositView): before the opening
    only the tenderer and the executing staff learn which company paid; others read a pseudonym."""

    id = fields.Integer()
    trade_id = fields.Integer()
    organisation_id = fields.Integer(allow_none=True)
    organisation = fields.String()
    amount = fields.Decimal(as_string=True)
    paid_at = fields.AwareDateTime()
    refunded_at = fields.AwareDateTime(allow_none=True)
    retained_at = fields.AwareDateTime(allow_none=True)
    note = fields.String(allow_none=True)
    payer_account = fields.String(allow_none=True)
