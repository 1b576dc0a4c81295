"""Schemas of the methods API (load and dump kept apart): invitees, their draw, changes of method."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from flask_babel import lazy_gettext as _l

from trading.schemas import LoadSchema, field, id_field

REASON = validate.Length(min=1, max=4000, error=_l("must be between {min} and {max} characters"))


class InviteeListCreateSchema(LoadSchema):
    organisation_ids = field(fields.List, id_field(), required=True,
                             metadata={"description": "the suppliers invited (at least three, GPL 34)"})
    reason = field(fields.String, required=True, validate=REASON,
                   metadata={"description": "on what the list rests (O87 14: e.g. the purchaser's recommendation)"})


class InviteeDrawCreateSchema(LoadSchema):
    count = id_field(required=True, metadata={"description": "how many to invite (at least three)"})
    candidates = field(fields.List, id_field(), load_default=None, allow_none=True,
                       metadata={"description": "draw from these suppliers (default: every registered supplier)"})


class InviteeDrawCommitmentSchema(LoadSchema):
    commitment = field(fields.String, required=True)


class InviteeDrawRevealSchema(LoadSchema):
    reveal = field(fields.String, required=True)


class MethodChangeCreateSchema(LoadSchema):
    to_method = field(fields.String, required=True, validate=validate.Length(min=1, max=40))
    reason = field(fields.String, required=True, validate=REASON)


class MethodChangeDecisionSchema(LoadSchema):
    approve = field(fields.Boolean, required=True)
    reason = field(fields.String, required=True, validate=REASON)


class InviteeSchema(Schema):
    organisation_id = fields.Integer()
    name = fields.Function(lambda i: i.organisation.name)
    credit_code = fields.Function(lambda i: i.organisation.credit_code)
    source = fields.Function(lambda i: i.source.value)
    position = fields.Integer()
    reason = fields.String()
    added_at = fields.AwareDateTime()


class InviteeRoundSchema(Schema):
    """A round of the invitee draw: what was fixed, its beacon, seed and order (public once drawn)."""

    round = fields.Integer()
    status = fields.String()
    count = fields.Integer()
    candidates = fields.List(fields.Integer())
    commit_until = fields.AwareDateTime()
    reveal_until = fields.AwareDateTime(allow_none=True)
    beacon = fields.Function(lambda r: {"id": r.checkpoint_id, "size": r.checkpoint_size, "root": r.checkpoint_root}
                             if r.checkpoint_root else None)
    seed = fields.String(allow_none=True)
    order = fields.List(fields.Integer(), allow_none=True)
    selected = fields.List(fields.Integer())
    fixed_entry = fields.Integer(attribute="fixed_entry_seq")
    draw_entry = fields.Integer(attribute="entry_seq", allow_none=True)
    salt = fields.String(allow_none=True, metadata={
        "description": "the draw's secret, which entered its seed (its SHA-256 was logged when the round was fixed): "
                       "with the candidates, what the offline replay needs (python -m monitor.verify.draw)"})


class InviteesSchema(Schema):
    trade = fields.String()
    minimum = fields.Integer()
    invitees = fields.List(fields.Nested(InviteeSchema))
    rounds = fields.List(fields.Nested(InviteeRoundSchema))


class MethodChangeSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    from_method = fields.String()
    to_method = fields.String()
    reason = fields.String()
    requested_by = fields.Function(lambda c: c.requested_by.display_name)
    requested_at = fields.AwareDateTime()
    status = fields.Function(lambda c: c.status.value)
    decision_reason = fields.String(allow_none=True)
    decided_by = fields.Function(lambda c: c.decided_by.display_name if c.decided_by else None)
    decided_at = fields.AwareDateTime(allow_none=True)
    follow_on = fields.Function(lambda c: {"id": c.follow_on_id, "ref": c.follow_on.ref} if c.follow_on_id else None)
