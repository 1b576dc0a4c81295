"""Schemas of the sale API (load and dump kept apart). Registrations name their company only to those who
may know it (the centre's staff, the company itself): everyone else reads paddle numbers and counts."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.auctions.models import MAX_TEXT
from bidding.auctions.registration import MAX_REFERENCE
from bidding.deposits.models import MAX_ACCOUNT
from trading.schemas import LoadSchema, field

MONEY = {"as_string": True}


class SaleTermsLoadSchema(LoadSchema):
    """The terms while drafting (the starting price and the deposit are the trade's own fields)."""

    increment = field(fields.Decimal, required=True, **MONEY)
    appraised_value = field(fields.Decimal, load_default=None, allow_none=True, **MONEY)
    round_at = field(fields.AwareDateTime, load_default=None, allow_none=True)
    countdown_seconds = field(fields.Integer, load_default=None, allow_none=True, strict=True)
    confirm_seconds = field(fields.Integer, load_default=None, allow_none=True, strict=True)
    control_change = field(fields.Boolean, load_default=None, allow_none=True)


class SaleAmendmentLoadSchema(LoadSchema):
    """An amendment: the changed terms and the text of the clarification that publishes it."""

    title = field(fields.String, required=True, validate=validate.Length(min=1, max=200))
    body = field(fields.String, load_default="", validate=validate.Length(max=MAX_TEXT))
    estimated_price = field(fields.Decimal, load_default=None, allow_none=True, **MONEY)
    bid_security = field(fields.Decimal, load_default=None, allow_none=True, **MONEY)
    increment = field(fields.Decimal, load_default=None, allow_none=True, **MONEY)
    appraised_value = field(fields.Decimal, load_default=None, allow_none=True, **MONEY)
    round_at = field(fields.AwareDateTime, load_default=None, allow_none=True)


class IncrementChangeLoadSchema(LoadSchema):
    increment = field(fields.Decimal, required=True, **MONEY)
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class QuoteLoadSchema(LoadSchema):
    """A quote's amount as a string of yuan ("12300000.00"): checked by the service, which names the field."""

    amount = field(fields.String, required=True, validate=validate.Length(min=1, max=40))


class RefusalLoadSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class QualifyLoadSchema(LoadSchema):
    """The bank's payment matched to the application: its reference and the paying account."""

    payment_reference = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_REFERENCE))
    payer_account = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_ACCOUNT))
    paid_at = field(fields.AwareDateTime, load_default=None, allow_none=True)


class ListingQuoteSchema(Schema):
    """An accepted quote on the board: its paddle number, never its company."""

    seq = fields.Integer()
    paddle = fields.Integer()
    amount = fields.Decimal(**MONEY)
    at = fields.AwareDateTime(attribute="received_at")


class MyQuoteSchema(ListingQuoteSchema):
    """A registrant's own quote, accepted (`seq`) or refused (`refusal`, a code, with `message`)."""

    seq = fields.Integer(allow_none=True)
    refusal = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


class QuoteAcceptedSchema(Schema):
    seq = fields.Integer()
    paddle = fields.Integer()
    amount = fields.Decimal(**MONEY)
    received_at = fields.AwareDateTime()
    price = fields.Decimal(**MONEY)
    minimum = fields.Decimal(**MONEY)


class IncrementChangeSchema(Schema):
    old_increment = fields.Decimal(**MONEY)
    new_increment = fields.Decimal(**MONEY)
    reason = fields.String()
    at = fields.AwareDateTime()


class RegistrationCountsSchema(Schema):
    applied = fields.Integer()
    qualified = fields.Integer()
    refused = fields.Integer()
    withdrawn = fields.Integer()


class SaleSchema(Schema):
    """The sale as everyone sees it once public: the disclosed terms, the timeline, the price board."""

    trade_id = fields.Integer()
    state = fields.String()
    starting_price = fields.Decimal(**MONEY)
    deposit = fields.Decimal(allow_none=True, **MONEY)
    increment = fields.Decimal(**MONEY)
    appraised_value = fields.Decimal(allow_none=True, **MONEY)
    listing_from = fields.AwareDateTime(allow_none=True)
    bid_deadline = fields.AwareDateTime(allow_none=True)
    round_at = fields.AwareDateTime(allow_none=True)
    disclosed_at = fields.AwareDateTime(allow_none=True)
    amendments = fields.Integer()
    price = fields.Decimal(**MONEY)
    minimum = fields.Decimal(**MONEY)
    open = fields.Boolean()
    server_time = fields.AwareDateTime()
    quotes = fields.List(fields.Nested(ListingQuoteSchema))
    increment_changes = fields.List(fields.Nested(IncrementChangeSchema))
    registrations = fields.Nested(RegistrationCountsSchema)


class RegistrationDocumentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.AwareDateTime()


class RegistrationSchema(Schema):
    """A registration as the centre's staff and the company itself see it."""

    id = fields.Integer()
    trade_id = fields.Integer()
    organisation_id = fields.Integer()
    organisation = fields.Function(lambda r: r.organisation.name)
    status = fields.Function(lambda r: r.status.value)
    applied_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    paddle = fields.Integer(allow_none=True)
    deposit_id = fields.Integer(allow_none=True)
    payer_account = fields.Function(lambda r: r.deposit.payer_account if r.deposit else None, allow_none=True)
    may_bid = fields.Boolean()
    documents = fields.List(fields.Nested(RegistrationDocumentSchema))


class AmendmentSchema(Schema):
    """The clarification that published an amendment, and the timeline it restarted."""

    number = fields.Integer()
    title = fields.String()
    body = fields.String()
    published_at = fields.AwareDateTime()
    listing_from = fields.AwareDateTime(allow_none=True)
    bid_deadline = fields.AwareDateTime(allow_none=True)
    amendments = fields.Integer()
