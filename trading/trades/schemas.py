"""Trade schemas: separate load (create, update, move) and dump shapes."""
from __future__ import annotations

from decimal import Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from trading.schemas import LoadSchema, field
from trading.trades.models import MILESTONES

AMOUNT_MAX = Decimal("999999999999.99")


def _milestones(schema_fields: dict) -> dict:
    for m in MILESTONES:
        schema_fields[m] = field(fields.AwareDateTime, allow_none=True, load_default=None)
    return schema_fields


class TradeCreateSchema(LoadSchema):
    centre_id = field(fields.Integer, required=True, strict=True)
    method = field(fields.String, required=True, validate=validate.Length(min=1, max=40))
    title = field(fields.String, required=True, validate=validate.Length(
        min=2, max=200, error=_l("must be between {min} and {max} characters")))
    description = field(fields.String, load_default="", validate=validate.Length(
        max=20000, error=_l("may be at most {max} characters")))
    tenderer_id = field(fields.Integer, load_default=None, allow_none=True, strict=True)
    estimated_price = field(fields.Decimal, required=True, places=None, validate=validate.Range(
        min=Decimal("0.01"), max=AMOUNT_MAX, error=_l("must be between {min} and {max} yuan")))
    bid_security = field(fields.Decimal, load_default=None, allow_none=True, validate=validate.Range(
        min=Decimal("0"), max=AMOUNT_MAX, error=_l("must be between {min} and {max} yuan")))
    sandbox = field(fields.Boolean, load_default=False)
    accelerator = field(fields.Integer, load_default=1, strict=True)
    paper_bids = field(fields.Boolean, load_default=False)
    locals().update(_milestones({}))

    @validates_schema
    def _fen(self, data, **kwargs):
        for name in ("estimated_price", "bid_security"):
            value = data.get(name)
            if value is not None and value != value.quantize(Decimal("0.01")):
                raise ValidationError(str(_l("at most two decimal places (fen)")), name)


class TradeUpdateSchema(LoadSchema):
    title = TradeCreateSchema._declared_fields["title"]
    description = TradeCreateSchema._declared_fields["description"]
    estimated_price = TradeCreateSchema._declared_fields["estimated_price"]
    bid_security = TradeCreateSchema._declared_fields["bid_security"]
    locals().update(_milestones({}))
    _fen = TradeCreateSchema._fen


class MoveSchema(LoadSchema):
    move = field(fields.String, required=True, validate=validate.Length(min=1, max=32))
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CentreRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class TradeSchema(Schema):
    id = fields.Integer()
    ref = fields.String()
    centre = fields.Nested(CentreRefSchema)
    method = fields.String()
    method_name = fields.Function(lambda t: str(t.rule_set.name))
    title = fields.String()
    description = fields.String()
    tenderer = fields.Function(lambda t: {"id": t.tenderer.id, "name": t.tenderer.name})
    estimated_price = fields.Decimal(as_string=True)
    bid_security = fields.Decimal(as_string=True, allow_none=True)
    state = fields.Function(lambda t: t.state.value)
    state_label = fields.Function(lambda t: t.state.label)
    sandbox = fields.Boolean()
    accelerator = fields.Integer()
    paper_bids = fields.Boolean()
    published_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    version = fields.Integer()
    url = fields.Function(lambda t: url_for("portal.trade", ref=t.ref, _external=True))
    #: the history link between a failed trade and its re-tender (trading.trades.retender)
    retender_of = fields.Function(lambda t: {"id": t.retender_of.id, "ref": t.retender_of.ref} if t.retender_of else None)
    retendered_as = fields.Function(lambda t: {"id": t.retendered_as.id, "ref": t.retendered_as.ref}
                                    if t.retendered_as else None)
    locals().update({m: fields.AwareDateTime(allow_none=True) for m in MILESTONES})


class TradeWorkSchema(TradeSchema):
    """A trade as its tenderer and the centre's branches read it: with what the decision branch must
    know before approving (milestones past the holiday calendar's end, or in a provisional year)."""

    calendar_warnings = fields.Method("_calendar_warnings", metadata={
        "description": "milestones the holiday calendar does not cover (yet); only for those who work on the trade"})

    def _calendar_warnings(self, trade) -> list[str]:
        from trading.rules.holidays import deadline_warnings

        return deadline_warnings(trade)


class PublicTransitionSchema(Schema):
    """A move as the public sees it: what and when, not who (experts' and staff names stay inside)."""

    move = fields.String()
    from_state = fields.Function(lambda r: r.from_state.value)
    to_state = fields.Function(lambda r: r.to_state.value)
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class TransitionSchema(PublicTransitionSchema):
    actor = fields.Function(lambda r: r.actor.display_name if r.actor else "system")
    actor_role = fields.String(allow_none=True)
