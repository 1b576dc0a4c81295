"""Schemas of the evaluation API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bidding.evaluation.models import SeatKind
from trading.schemas import LoadSchema, field

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
