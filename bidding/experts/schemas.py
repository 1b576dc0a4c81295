"""Schemas of the experts API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field, id_field


class ExpertCreateSchema(LoadSchema):
    user_id = id_field(required=True)
    organisation_id = id_field(load_default=None, allow_none=True)
    employer = field(fields.String, required=True, validate=validate.Length(min=1, max=200))
    region = field(fields.String, required=True, validate=validate.Length(min=1, max=64))
    specialties = field(fields.List, fields.String(validate=validate.Length(max=16)), required=True,
                        validate=validate.Length(min=1, max=20))
    title = field(fields.String, load_default="", validate=validate.Length(max=100))


class SanctionCreateSchema(LoadSchema):
    kind = field(fields.String, required=True, validate=validate.OneOf(("warning", "suspension", "disqualification")))
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=2000))
    starts_on = field(fields.Date, required=True)
    ends_on = field(fields.Date, load_default=None, allow_none=True)


class AbsenceCreateSchema(LoadSchema):
    starts_on = field(fields.Date, required=True)
    ends_on = field(fields.Date, required=True)
    reason = field(fields.String, load_default="", validate=validate.Length(max=200))


class CommitteePlanLineSchema(LoadSchema):
    specialty = field(fields.String, required=True, validate=validate.Length(min=1, max=16))
    count = field(fields.Integer, required=True, strict=True, validate=validate.Range(min=1, max=99))


class CommitteePlanSchema(LoadSchema):
    lines = field(fields.List, fields.Nested(CommitteePlanLineSchema), required=True, validate=validate.Length(min=1, max=20))
    representatives = field(fields.Integer, load_default=0, strict=True, validate=validate.Range(min=0, max=99))
    complex = field(fields.Boolean, load_default=False)
    region = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=64))


class ExpertDrawCommitmentSchema(LoadSchema):
    commitment = field(fields.String, required=True)


class ExpertDrawRevealSchema(LoadSchema):
    reveal = field(fields.String, required=True)


class SeatReasonSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=2000))
    recusal = field(fields.Boolean, load_default=False)


class ExpertSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.Function(lambda e: e.user.display_name)
    employer = fields.String()
    organisation_id = fields.Integer(allow_none=True)
    region = fields.String()
    specialties = fields.List(fields.String())
    title = fields.String()
    active = fields.Boolean()
    sanctions = fields.Function(lambda e: [{"kind": s.kind.value, "starts_on": s.starts_on.isoformat(),
                                            "ends_on": s.ends_on.isoformat() if s.ends_on else None,
                                            "reason": s.reason} for s in e.sanctions])


class SeatSchema(Schema):
    """A drawn expert's seat, as its viewer may see it (bidding.experts.services.members_for)."""

    id = fields.Integer()
    trade_id = fields.Integer()
    expert_id = fields.Integer()
    name = fields.Function(lambda s: s.expert.user.display_name)
    specialty = fields.String()
    status = fields.Function(lambda s: s.status.value)
    round = fields.Function(lambda s: s.round_row.round)
    position = fields.Integer()
    drawn_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)


class RoundSchema(Schema):
    """A round of the draw: what was fixed, its beacon and order (ids of the pool, never names)."""

    round = fields.Integer()
    status = fields.String()
    trigger = fields.String()
    specialty = fields.Function(lambda r: r.params.get("specialty"))
    count = fields.Integer()
    candidates = fields.List(fields.Integer())
    commit_until = fields.AwareDateTime()
    reveal_until = fields.AwareDateTime(allow_none=True)
    seed = fields.String(allow_none=True)
    fixed_entry = fields.Integer(attribute="fixed_entry_seq")
    draw_entry = fields.Integer(attribute="entry_seq", allow_none=True)
