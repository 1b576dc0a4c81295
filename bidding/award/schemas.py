"""Schemas of the award API (load and dump kept apart). Dumps name companies and prices only where the
law publishes them (the candidates, the result, the contract); an objector or complainant is never named
to the public."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field, id_field


class CandidateSchema(Schema):
    id = fields.Integer()
    rank = fields.Integer()
    bidder = fields.Function(lambda c: c.organisation.name)
    price = fields.Decimal(as_string=True)


class CandidateListSchema(Schema):
    """The published candidates (中标候选人公示): names and prices, the publicity period."""

    id = fields.Integer()
    published_at = fields.AwareDateTime()
    publicity_ends = fields.AwareDateTime(metadata={"description": "the first instant after the publicity"})
    candidates = fields.List(fields.Nested(CandidateSchema))


class CandidateObjectionCreateSchema(LoadSchema):
    text = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))


class CandidateObjectionAnswerSchema(LoadSchema):
    answer = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))
    upheld = field(fields.Boolean, required=True)


class CandidateObjectionSchema(Schema):
    """An objection as its party, the tenderer and the staff see it."""

    id = fields.Integer()
    standing = fields.String(metadata={"description": "bidder | interested"})
    text = fields.String()
    raised_at = fields.AwareDateTime()
    answer_due = fields.AwareDateTime()
    answer = fields.String(allow_none=True)
    upheld = fields.Boolean(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class ComplaintCreateSchema(LoadSchema):
    text = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))
    knew_at = field(fields.AwareDateTime, required=True,
                    metadata={"description": "when you learned of what you complain about (Reg 60: 10 days)"})
    about = field(fields.String, load_default="procedure", validate=validate.OneOf(["candidates", "procedure"]))


class ComplaintDecisionSchema(LoadSchema):
    accept = field(fields.Boolean, required=True)
    reason = field(fields.String, validate=validate.Length(max=4000),
                   metadata={"description": "why it is not accepted (required when accept is false)"})
    reviewer_id = id_field(metadata={"description": "the supervisor who reviews it (default: you)"})
    suspend = field(fields.Boolean, load_default=False,
                    metadata={"description": "suspend the tender while it is reviewed (Reg 62)"})


class ComplaintRulingSchema(LoadSchema):
    upheld = field(fields.Boolean, required=True)
    ruling = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))


class ComplaintSchema(Schema):
    id = fields.Integer()
    ref = fields.String()
    about = fields.String()
    text = fields.String()
    knew_at = fields.AwareDateTime()
    filed_at = fields.AwareDateTime()
    state = fields.Function(lambda c: c.state.value)
    acceptance_due = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    refusal = fields.String(allow_none=True)
    ruling_due = fields.AwareDateTime(allow_none=True)
    ruled_at = fields.AwareDateTime(allow_none=True)
    upheld = fields.Boolean(allow_none=True)
    ruling = fields.String(allow_none=True)
    review_id = fields.Integer(allow_none=True)


class PassOverSchema(LoadSchema):
    candidate_id = id_field(required=True)
    reason = field(fields.String, required=True,
                   validate=validate.OneOf(["gave_up", "failed_to_perform", "bond_not_paid", "violation"]))
    note = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))


class AwardCreateSchema(LoadSchema):
    winner_id = id_field(metadata={"description": "a candidate's id; default: the first not passed over"})
    disqualified = fields.List(fields.Nested(PassOverSchema), load_default=list)
    reason = field(fields.String, validate=validate.Length(max=4000),
                   metadata={"description": "why a higher-ranked candidate does not win, where the rules allow it"})


class DisqualificationSchema(Schema):
    candidate_id = fields.Integer()
    rank = fields.Function(lambda d: d.candidate.rank)
    reason = fields.Function(lambda d: d.reason.value)
    note = fields.String()


class LetterSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda letter: letter.kind.value, metadata={"description": "award | result"})
    bidder = fields.Function(lambda letter: letter.organisation.name)
    issued_at = fields.AwareDateTime()


class AwardSchema(Schema):
    """The award as the tenderer and the staff see it."""

    winner = fields.Function(lambda d: d.organisation.name)
    candidate_id = fields.Integer()
    price = fields.Decimal(as_string=True)
    decided_at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)


class AwardReportSchema(Schema):
    """The written report of the award (Law 47)."""

    text = fields.String()
    reported_at = fields.AwareDateTime()


class AwardReportCreateSchema(LoadSchema):
    text = field(fields.String, required=True, validate=validate.Length(min=1, max=4000))


class ContractSchema(Schema):
    contractor = fields.Function(lambda c: c.organisation.name)
    amount = fields.Decimal(as_string=True)
    performance_bond = fields.Decimal(as_string=True)
    signed_on = fields.AwareDateTime()
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    recorded_at = fields.AwareDateTime()


class DepositRefundSchema(Schema):
    id = fields.Integer()
    refunded_at = fields.AwareDateTime(allow_none=True)


class AwardStateSchema(Schema):
    """Everything a caller may see of the award of one trade, by their part in it."""

    state = fields.String()
    candidates = fields.Nested(CandidateListSchema, allow_none=True)
    objections = fields.List(fields.Nested(CandidateObjectionSchema))
    award = fields.Nested(AwardSchema, allow_none=True)
    report = fields.Nested(AwardReportSchema, allow_none=True)
    disqualified = fields.List(fields.Nested(DisqualificationSchema))
    letters = fields.List(fields.Nested(LetterSchema))
    contract = fields.Nested(ContractSchema, allow_none=True)


class ContractCreateSchema(LoadSchema):
    """The multipart form of a contract: these fields beside the signed document (field 'document')."""

    amount = field(fields.Decimal, required=True, metadata={"description": "yuan, e.g. 4700000.50"})
    performance_bond = field(fields.Decimal, required=True, metadata={"description": "yuan; at most 10% (Reg 58)"})
    signed_on = field(fields.AwareDateTime, required=True)
