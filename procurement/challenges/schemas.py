"""Schemas of the challenges API (load and dump kept apart). The public form never names the filer."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from procurement.challenges.models import MAX_TEXT, About, FilingKind, Outcome
from trading.schemas import LoadSchema, field, id_field

TEXT = validate.Length(min=1, max=MAX_TEXT, error=_l("must be between {min} and {max} characters"))


class FilingCreateSchema(LoadSchema):
    kind = field(fields.String, required=True, validate=validate.OneOf(
        [k.value for k in FilingKind], error=_l("must be one of: {choices}")))
    about = field(fields.String, load_default=None, allow_none=True, validate=validate.OneOf(
        [a.value for a in About], error=_l("must be one of: {choices}")),
        metadata={"description": "a challenge: what it is about (it fixes when the supplier knew, GPR 53)"})
    step = field(fields.String, load_default=None, allow_none=True, validate=validate.OneOf(
        ["opening", "evaluation"], error=_l("must be one of: {choices}")),
        metadata={"description": "a challenge to the process: the step challenged"})
    challenge_id = id_field(load_default=None, allow_none=True,
                            metadata={"description": "a complaint: the challenge it follows"})
    text = field(fields.String, required=True, validate=TEXT)


class FilingAnswerSchema(LoadSchema):
    answer = field(fields.String, required=True, validate=TEXT)
    outcome = field(fields.String, load_default=None, allow_none=True, validate=validate.OneOf(
        [o.value for o in Outcome], error=_l("must be one of: {choices}")),
        metadata={"description": "a challenge or complaint: upheld or dismissed"})


class FilingSuspensionSchema(LoadSchema):
    suspend = field(fields.Boolean, required=True,
                    metadata={"description": "true: suspend the procurement for this filing; false: lift it"})


class PublicFilingSchema(Schema):
    """A published answer or decision: what was asked and answered, never who asked."""

    id = fields.Integer()
    ref = fields.String()
    trade = fields.Function(lambda f: {"id": f.trade_id, "ref": f.trade.ref, "title": f.trade.title})
    kind = fields.Function(lambda f: f.kind.value)
    kind_label = fields.Function(lambda f: f.kind.label)
    about = fields.Function(lambda f: f.about.value if f.about else None)
    step = fields.String(allow_none=True)
    challenge_ref = fields.Function(lambda f: f.challenge.ref if f.challenge else None)
    text = fields.String()
    filed_at = fields.AwareDateTime()
    answer_due = fields.AwareDateTime()
    answer = fields.String(allow_none=True)
    outcome = fields.Function(lambda f: f.outcome.value if f.outcome else None)
    answered_at = fields.AwareDateTime(allow_none=True)
    suspended_at = fields.AwareDateTime(allow_none=True)
    suspension_lifted_at = fields.AwareDateTime(allow_none=True)


class FilingSchema(PublicFilingSchema):
    """A filing as its filer, the purchaser and the centre's branches read it: the filer as the viewer may
    name it (bidding.bidders: the company's name, or its pseudonym until the opening names it)."""

    filer = fields.String(metadata={"description": "the company, or its pseudonym for those who may not know "
                                                   "(filled by `dump_for`)"})
    knew_at = fields.AwareDateTime(allow_none=True)
    window_ends = fields.AwareDateTime(allow_none=True)


def dump_for(viewer, trade, filings) -> list[dict]:
    """Each filing as this viewer may read it: the full form where they may see the filer, else the public one."""
    from bidding.bidders import Naming
    from procurement.challenges.services import own
    from trading.permissions import can

    naming = Naming(viewer, trade)
    full = can(viewer, "procurement.filings.view", trade)
    out = []
    for f in filings:
        if full or own(viewer, f):
            out.append({**FilingSchema().dump(f), "filer": naming.label(f.organisation)})
        else:
            out.append(PublicFilingSchema().dump(f))
    return out
