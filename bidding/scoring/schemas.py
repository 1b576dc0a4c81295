"""Schemas of the scoring API (load and dump kept apart). Points and amounts travel as decimal strings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.rules.scoring import ALL_SUBJECTS
from trading.schemas import LoadSchema, field, id_field

MAX_TEXT = 4000
#: a decimal as text ("40", "12.5"); the services check its range against the plan and name the field
DECIMAL_TEXT = validate.Length(min=1, max=24)


class ScoringCriterionLoadSchema(LoadSchema):
    name = field(fields.String, required=True, validate=validate.Length(max=200))
    max_points = field(fields.String, required=True, validate=DECIMAL_TEXT)


class PlanLoadSchema(LoadSchema):
    method = field(fields.String, required=True, validate=validate.Length(min=1, max=32))
    subject = field(fields.String, required=True, validate=validate.OneOf(ALL_SUBJECTS))
    price_weight = field(fields.String, load_default=None, allow_none=True, validate=DECIMAL_TEXT)
    criteria = field(fields.List, fields.Nested(ScoringCriterionLoadSchema), load_default=list,
                     validate=validate.Length(max=30))
    params = field(fields.Dict, keys=fields.String(validate=validate.Length(max=32)),
                   values=fields.String(validate=DECIMAL_TEXT), load_default=dict, validate=validate.Length(max=20))


class ScoreLoadSchema(LoadSchema):
    entry_id = id_field(required=True)
    criterion_id = id_field(required=True)
    points = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=24))
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT))


class ScoresLoadSchema(LoadSchema):
    scores = field(fields.List, fields.Nested(ScoreLoadSchema), load_default=list, validate=validate.Length(max=2000))


class ReasonLoadSchema(LoadSchema):
    entry_id = id_field(required=True)
    criterion_id = id_field(required=True)
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class AdjustmentLoadSchema(LoadSchema):
    entry_id = id_field(required=True)
    amount = field(fields.String, required=True, validate=DECIMAL_TEXT)
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class ReportSignLoadSchema(LoadSchema):
    statement = field(fields.String, required=True, validate=validate.Length(min=1, max=20000))
    signature = field(fields.String, required=True, validate=validate.Length(min=1, max=200))
    dissent = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT))


# ---- dump ----------------------------------------------------------------------------------------------

class ScoringCriterionSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    max_points = fields.String()


class PlanSchema(Schema):
    trade_id = fields.Integer()
    method = fields.String()
    method_name = fields.String()
    source = fields.String()
    subject = fields.String()
    price_weight = fields.String(allow_none=True)
    params = fields.Dict(keys=fields.String(), values=fields.String())
    criteria = fields.List(fields.Nested(ScoringCriterionSchema))
    set_at = fields.AwareDateTime()


class ScoredBidSchema(Schema):
    entry_id = fields.Integer()
    bidder = fields.String()
    price = fields.String()


class ScoreSchema(Schema):
    entry_id = fields.Integer()
    criterion_id = fields.Integer()
    points = fields.String()
    reason = fields.String(allow_none=True)


class SheetSchema(Schema):
    id = fields.Integer()
    member = fields.String(metadata={"description": "the member's name, or \"Member n\" for a fellow member "
                                                    "before the result"})
    mine = fields.Boolean()
    submitted_at = fields.AwareDateTime(allow_none=True)
    scores = fields.List(fields.Nested(ScoreSchema))


class OwnSheetSchema(SheetSchema):
    bids = fields.List(fields.Nested(ScoredBidSchema))
    criteria = fields.List(fields.Nested(ScoringCriterionSchema))
    #: own scores outside the others' fence still waiting for a reason (after submission)
    reasons_needed = fields.List(fields.Nested(ScoreSchema))


class ProgressSchema(Schema):
    members = fields.Integer()
    submitted = fields.Integer()
    complete = fields.Boolean()
    reasons_pending = fields.Integer()
    report_made = fields.Boolean()
    report_signed = fields.Integer()
    names = fields.List(fields.Dict(), metadata={"description": "who has submitted, for those who may see "
                                                                "the committee's names"})


class AdjustmentSchema(Schema):
    id = fields.Integer()
    entry_id = fields.Integer()
    amount = fields.String()
    reason = fields.String()
    recorded_at = fields.AwareDateTime()


class ResultRowSchema(Schema):
    rank = fields.Integer()
    entry_id = fields.Integer()
    bidder = fields.String()
    price = fields.String()
    price_score = fields.String(allow_none=True)
    expert_mean = fields.String(allow_none=True)
    total = fields.String(allow_none=True)
    evaluated_price = fields.String(allow_none=True)


class ResultsSchema(Schema):
    method = fields.String()
    benchmark = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(ResultRowSchema))
    candidates = fields.List(fields.Nested(ResultRowSchema))


class ReportSignatureSchema(Schema):
    user_id = fields.Integer()
    member = fields.String()
    signed_at = fields.AwareDateTime()
    report_sha256 = fields.String()
    key_fingerprint = fields.String(allow_none=True)
    dissent = fields.String(allow_none=True)


class ReportSchema(Schema):
    sha256 = fields.String()
    made_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    record = fields.Dict()
    signatures = fields.List(fields.Nested(ReportSignatureSchema))
    waiting = fields.Integer()
