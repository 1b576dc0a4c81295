"""Load and dump schemas of the social supervisor API (the registry, a trade's supervision)."""
from __future__ import annotations

import base64

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field
from trading.signing.schemas import SignedFieldsSchema


class SupervisorCreateSchema(LoadSchema):
    user_id = field(fields.Integer, required=True)
    centre_id = field(fields.Integer, required=True)
    recommended_by = field(fields.String, required=True, validate=validate.Length(min=1, max=200))
    agreement_ref = field(fields.String, required=True, validate=validate.Length(min=1, max=100))
    agreement_date = field(fields.Date, required=True)
    agreement_text = field(fields.String, load_default="", validate=validate.Length(max=20000))
    rights_duties = field(fields.String, required=True, validate=validate.Length(min=1, max=20000))
    term_start = field(fields.Date, load_default=None, allow_none=True)


class SupervisorRenewSchema(LoadSchema):
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SupervisorStatusActionSchema(LoadSchema):
    action = field(fields.String, required=True, validate=validate.OneOf(["suspend", "reinstate", "revoke"]))
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=2000))


class SupervisorReasonSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=2000))


class SupervisorRecusalSchema(LoadSchema):
    drawn_id = field(fields.Integer, required=True)
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=2000))


class DrawCommitmentSchema(LoadSchema):
    commitment = field(fields.String, required=True, validate=validate.Length(equal=64),
                       metadata={"description": "SHA-256 (hex) of 32 random bytes you keep until the beacon"})


class DrawRevealSchema(LoadSchema):
    reveal = field(fields.String, required=True, validate=validate.Length(equal=64),
                   metadata={"description": "the 32 bytes (hex) whose SHA-256 you committed to"})


class SupervisorSignOffCreateSchema(SignedFieldsSchema):
    """The decision, and the statement (POST /api/v1/signing/statements: kind sign-off, or opening-record for
    an electronic opening's record) with the supervisor's own signature over it."""

    stage = field(fields.String, required=True,
                  validate=validate.OneOf(["opening_record", "evaluation_report", "award"]))
    decision = field(fields.String, required=True, validate=validate.OneOf(["signed", "dissent"]))
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=4000))


class SupervisorHistorySchema(Schema):
    action = fields.String()
    from_status = fields.Function(lambda c: c.from_status.value if c.from_status else None)
    to_status = fields.Function(lambda c: c.to_status.value)
    term_end = fields.Date()
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    at = fields.AwareDateTime()


class SupervisorSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.Function(lambda s: s.user.display_name)
    centre_id = fields.Integer()
    recommended_by = fields.String()
    agreement_ref = fields.String()
    agreement_date = fields.Date()
    agreement_text = fields.String()
    rights_duties = fields.String()
    term_start = fields.Date()
    term_end = fields.Date(metadata={"description": "last day of the term, inclusive"})
    renewals = fields.Integer()
    certificate_no = fields.String()
    status = fields.Function(lambda s: s.status.value, metadata={"description": "active, suspended, expired, revoked"})
    status_reason = fields.String(allow_none=True)
    registered_at = fields.AwareDateTime()
    entry_seq = fields.Integer(allow_none=True, metadata={"description": "audit entry of the registration"})
    history = fields.List(fields.Nested(SupervisorHistorySchema))


class DrawContributionSchema(Schema):
    round = fields.Function(lambda c: c.draw.round)
    user_id = fields.Integer()
    commitment = fields.String()
    committed_seq = fields.Integer()
    reveal = fields.String(allow_none=True)
    revealed_seq = fields.Integer(allow_none=True)


class SupervisorDrawSchema(Schema):
    round = fields.Integer()
    trigger = fields.String(metadata={"description": "publish, manual, redraw"})
    status = fields.String(metadata={"description": "fixed (commitments open), sealed (beacon signed, reveals "
                                                    "open), drawn (docs/draws.md)"})
    at = fields.AwareDateTime()
    fixed_entry_seq = fields.Integer(allow_none=True, metadata={"description": "the supervisors.draw_fixed entry"})
    commit_until = fields.AwareDateTime(allow_none=True)
    reveal_until = fields.AwareDateTime(allow_none=True)
    checkpoint_id = fields.Integer(allow_none=True, metadata={"description": "the beacon checkpoint"})
    checkpoint_size = fields.Integer(allow_none=True)
    checkpoint_root = fields.String(allow_none=True)
    seed = fields.String(allow_none=True)
    candidates = fields.List(fields.Integer())
    count = fields.Integer()
    order = fields.List(fields.Integer(), allow_none=True,
                        metadata={"description": "all candidates in draw order: the first `count` drawn, the rest "
                                                 "replace in turn whoever steps aside"})
    selected = fields.List(fields.Integer())
    contributions = fields.List(fields.Nested(DrawContributionSchema))
    entry_seq = fields.Integer(allow_none=True, metadata={"description": "the supervisors.draw audit entry: replay "
                                                                         "it with python -m monitor.verify.draw"})
    entry = fields.Dict(allow_none=True, metadata={"description": "that entry's canonical body, parsed"})
    fixed_entry = fields.Dict(allow_none=True, metadata={"description": "the supervisors.draw_fixed entry, parsed"})


class DrawnSupervisorSchema(Schema):
    id = fields.Integer()
    supervisor_id = fields.Integer()
    user_id = fields.Integer()
    name = fields.Function(lambda d: d.user.display_name)
    certificate_no = fields.Function(lambda d: d.supervisor.certificate_no)
    round = fields.Function(lambda d: d.draw.round)
    position = fields.Integer(allow_none=True, metadata={"description": "place in the round's order"})
    drawn_at = fields.AwareDateTime()
    serving = fields.Boolean()
    recused_at = fields.AwareDateTime(allow_none=True)
    recusal_kind = fields.String(allow_none=True, metadata={"description": "declared, decided, registry, ineligible"})
    recusal_reason = fields.String(allow_none=True)
    recusal_entry_seq = fields.Integer(allow_none=True)


class SupervisorSignOffSchema(Schema):
    id = fields.Integer()
    stage = fields.Function(lambda s: s.stage.value)
    user_id = fields.Integer()
    name = fields.Function(lambda s: s.user.display_name)
    supervisor_id = fields.Integer(allow_none=True)
    decision = fields.Function(lambda s: s.decision.value)
    reason = fields.String(allow_none=True)
    subject_kind = fields.String()
    subject_hash = fields.String()
    subject_index = fields.Integer(allow_none=True)
    at = fields.AwareDateTime()
    entry_seq = fields.Integer()
    statement = fields.String(allow_none=True)
    signature = fields.Function(lambda s: base64.b64encode(s.signature).decode() if s.signature else None)
    key_fingerprint = fields.String(allow_none=True)


class SignOffStageSchema(Schema):
    stage = fields.String()
    gates = fields.String(metadata={"description": "the move this stage's sign-offs gate"})
    open = fields.Boolean(metadata={"description": "the trade is in this stage now"})
    missing = fields.List(fields.Integer(), metadata={"description": "user ids still to sign or dissent"})


class TradeSupervisionSchema(Schema):
    trade_id = fields.Integer()
    trade_ref = fields.String()
    state = fields.String()
    rule = fields.Dict(metadata={"description": "count, threshold and source of the count rule"})
    drawn = fields.List(fields.Nested(DrawnSupervisorSchema))
    draws = fields.List(fields.Nested(SupervisorDrawSchema))
    signoffs = fields.List(fields.Nested(SupervisorSignOffSchema))
    stages = fields.List(fields.Nested(SignOffStageSchema))
