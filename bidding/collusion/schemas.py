"""Schemas of the collusion API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.collusion.models import MAX_NOTE, FlagDecision
from trading.schemas import LoadSchema, field


class FlagReviewCreateSchema(LoadSchema):
    decision = field(fields.String, required=True, validate=validate.OneOf([d.value for d in FlagDecision]))
    note = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_NOTE))


class FlagReviewSchema(Schema):
    id = fields.Integer()
    flag_id = fields.Integer()
    decision = fields.Function(lambda r: r.decision.value)
    note = fields.String()
    # who recorded it is not shown: the committee list is secret until the result is published (the audit
    # log names them)
    at = fields.AwareDateTime()


class NamedOrganisationSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class FlagSchema(Schema):
    """A flag explaining itself: the rule and the clause it serves, what it means, the bidders it names,
    what matched and the numbers (evidence), and what the committee did with it."""

    id = fields.Integer()
    rule = fields.String()
    clause = fields.String()
    citation = fields.String()
    title = fields.String()
    meaning = fields.String()
    organisations = fields.List(fields.Nested(NamedOrganisationSchema))
    evidence = fields.Dict()
    current = fields.Boolean()
    first_seen_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime()
    decision = fields.Nested(FlagReviewSchema, allow_none=True)
    reviews = fields.List(fields.Nested(FlagReviewSchema))


class ScreeningSchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    trigger = fields.String()
    bids = fields.Integer()
    flags = fields.Integer()


class FlagListSchema(Schema):
    trade_id = fields.Integer()
    screening = fields.Nested(ScreeningSchema, allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema))
