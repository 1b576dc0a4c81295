"""Schemas of the evaluation API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.evaluation.models import Decision, ReviewStage, SeatKind
from trading.schemas import LoadSchema, field, id_field

MAX_TEXT = 4000


class CommitteeSeatCreateSchema(LoadSchema):
    user_id = field(fields.Integer, required=True)
    kind = field(fields.String, required=True, validate=validate.OneOf([k.value for k in SeatKind]))


class EvaluationReasonSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class CommitteeSeatSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    user_id = fields.Integer()
    kind = fields.Function(lambda s: s.kind.value)
    seated_at = fields.AwareDateTime()
    left_at = fields.AwareDateTime(allow_none=True)
    left_reason = fields.String(allow_none=True)


# ---- the review and the clarifications -----------------------------------------------------------

class CriterionCreateSchema(LoadSchema):
    code = field(fields.String, required=True, validate=validate.Length(min=1, max=16))
    stage = field(fields.String, required=True, validate=validate.OneOf([s.value for s in ReviewStage]))
    title = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    source = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    decision = field(fields.String, load_default=None, allow_none=True,
                     validate=validate.OneOf([d.value for d in Decision]))


class MarkLoadSchema(LoadSchema):
    criterion = field(fields.String, required=True, validate=validate.Length(min=1, max=16))
    passed = field(fields.Boolean, required=True, truthy={True}, falsy={False})
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT))


class MarksCreateSchema(LoadSchema):
    """One member's marks on one opened bid (all or nothing); a fail needs its reason."""

    entry_id = id_field(required=True)
    marks = field(fields.List, fields.Nested(MarkLoadSchema), required=True, validate=validate.Length(min=1, max=100))


class BidClarificationCreateSchema(LoadSchema):
    entry_id = id_field(required=True)
    question = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    deadline = field(fields.AwareDateTime, required=True)


class BidClarificationAnswerSchema(LoadSchema):
    """The bidder's answer: text only. There is no price field: a clarification cannot change the price
    (Law 39; Reg 52), and a request naming one is refused as an unknown field."""

    answer = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class CriterionSchema(Schema):
    code = fields.String()
    stage = fields.Function(lambda c: c.stage.value)
    title = fields.String()
    source = fields.String()
    decision = fields.Function(lambda c: c.decision.value)
    from_documents = fields.Boolean()


class MarkSchema(Schema):
    id = fields.Integer()
    entry_id = fields.Integer()
    criterion = fields.String()
    member_id = fields.Integer()
    passed = fields.Boolean()
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class ConclusionSchema(Schema):
    criterion = fields.String()
    result = fields.String()  # passed | failed | open | pending
    passes = fields.Integer()
    fails = fields.Integer()
    reasons = fields.List(fields.String())
    dissent = fields.List(fields.Dict())


class ReviewedBidSchema(Schema):
    entry_id = fields.Integer()
    bidder = fields.String()
    price = fields.Decimal(as_string=True, allow_none=True)
    failed = fields.Boolean()
    status = fields.String()  # failed (rejected on a criterion) | passed (every criterion passed) | pending
    conclusions = fields.List(fields.Nested(ConclusionSchema))


class ReviewSchema(Schema):
    criteria = fields.List(fields.Nested(CriterionSchema))
    bids = fields.List(fields.Nested(ReviewedBidSchema))
    marks = fields.List(fields.Nested(MarkSchema))
    members = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)


class BidClarificationSchema(Schema):
    """A question and its answer as the committee, the bidder concerned, staff and supervisors read them
    (never who on the committee asked: the member list is secret until the result)."""

    id = fields.Integer()
    entry_id = fields.Integer()
    bidder = fields.Function(lambda c: c.organisation.name)
    question = fields.String()
    asked_at = fields.AwareDateTime()
    deadline = fields.AwareDateTime()
    status = fields.String()
    answer = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    refused_at = fields.AwareDateTime(allow_none=True)
    refused_reason = fields.String(allow_none=True)


class ReviewClosureSchema(Schema):
    trade_id = fields.Integer()
    closed_at = fields.AwareDateTime()
    failed = fields.Function(lambda c: sorted(int(e) for e, rows in c.outcome.items()
                                              if any(r["result"] == "failed" for r in rows)))
