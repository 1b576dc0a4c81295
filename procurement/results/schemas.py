"""Schemas of the results API (load and dump kept apart); amounts are strings (exact Decimal)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from bidding.award.models import DisqualifyReason
from procurement.results import policy
from trading.schemas import LoadSchema, field, id_field

TEXT = validate.Length(min=1, max=4000, error=_l("must be between {min} and {max} characters"))


class SmePolicyLoadSchema(LoadSchema):
    category = field(fields.String, required=True, validate=validate.OneOf(
        list(policy.DEDUCTIONS), error=_l("must be one of: {choices}")))
    deduction = field(fields.Decimal, required=True, places=None, as_string=True,
                      metadata={"description": "percent, within the category's range (goods, services 10-20; works 4-6)"})
    reserved = field(fields.Boolean, load_default=False,
                     metadata={"description": "the project is reserved to SMEs (counted in the plan's reserved share)"})


class SmePolicySchema(Schema):
    trade_id = fields.Integer()
    category = fields.String()
    deduction = fields.Decimal(as_string=True)
    reserved = fields.Boolean()
    set_at = fields.AwareDateTime()


class SmeDeclarationLoadSchema(LoadSchema):
    size = field(fields.String, required=True, validate=validate.OneOf(list(policy.SIZES),
                                                                        error=_l("must be one of: {choices}")))
    industry = field(fields.String, required=True, validate=validate.OneOf(list(policy.INDUSTRIES),
                                                                            error=_l("must be one of: {choices}")))
    employees = id_field(required=True, validate=validate.Range(min=0, error=_l("must be at least {min}")))
    revenue = field(fields.Decimal, required=True, places=None, as_string=True,
                    metadata={"description": "last year's operating revenue, yuan"})


class SmeDeclarationSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    organisation = fields.Function(lambda d: d.organisation.name)
    size = fields.String()
    industry = fields.String()
    employees = fields.Integer()
    revenue = fields.Decimal(as_string=True)
    text = fields.String()
    declared_at = fields.AwareDateTime()


class PassOverLoadSchema(LoadSchema):
    candidate_id = id_field(required=True)
    reason = field(fields.String, required=True, validate=validate.OneOf([r.value for r in DisqualifyReason],
                                                                          error=_l("must be one of: {choices}")))
    note = field(fields.String, required=True, validate=TEXT)


class DecisionLoadSchema(LoadSchema):
    winner_id = id_field(load_default=None, allow_none=True,
                         metadata={"description": "a candidate ranked equal with the first not passed over"})
    passed_over = fields.List(fields.Nested(PassOverLoadSchema), load_default=list)
    reason = field(fields.String, load_default=None, allow_none=True, validate=TEXT)


class DecisionSchema(Schema):
    trade_id = fields.Integer()
    by_platform = fields.Boolean()
    decided_by = fields.Function(lambda d: d.decided_by.display_name if d.decided_by else None)
    decided_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    winner = fields.Function(lambda d: d.award.organisation.name)
    price = fields.Function(lambda d: str(d.award.price))


class DeliveryLoadSchema(LoadSchema):
    delivered_at = field(fields.AwareDateTime, required=True)
    note = field(fields.String, required=True, validate=TEXT)


class AcceptanceLoadSchema(LoadSchema):
    passed = field(fields.Boolean, required=True)
    report = field(fields.String, required=True, validate=TEXT)


class AcceptanceSchema(Schema):
    trade_id = fields.Integer()
    delivered_at = fields.AwareDateTime()
    delivery_note = fields.String()
    accepted_at = fields.AwareDateTime()
    passed = fields.Boolean(allow_none=True)
    report = fields.String(allow_none=True)


class AnnouncementSchema(Schema):
    title = fields.Function(lambda a: a["notice"].title)
    published_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    running = fields.Boolean()


class ContractPublicationSchema(Schema):
    amount = fields.Decimal(as_string=True)
    signed_on = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    sha256 = fields.String()


class ProcurementResultsSchema(Schema):
    """A procurement's results as its purchaser and the centre's branches see them."""

    trade_id = fields.Integer()
    state = fields.String()
    decision_due = fields.AwareDateTime(allow_none=True)
    decision = fields.Nested(DecisionSchema, allow_none=True)
    announcement = fields.Nested(AnnouncementSchema, allow_none=True)
    contract = fields.Nested(ContractPublicationSchema, allow_none=True)
    acceptance = fields.Nested(AcceptanceSchema, allow_none=True)
    sme_policy = fields.Nested(SmePolicySchema, allow_none=True)
    sme_declarations = fields.List(fields.Nested(SmeDeclarationSchema))


class PublicResultSchema(Schema):
    """What anyone reads once the trade is public: the SME terms of the documents, the announcement and the
    contract's publication."""

    trade_id = fields.Integer()
    sme_policy = fields.Nested(SmePolicySchema, allow_none=True)
    announcement = fields.Nested(AnnouncementSchema, allow_none=True)
    contract = fields.Nested(ContractPublicationSchema, allow_none=True)


class ReservedShareSchema(Schema):
    plan_id = fields.Integer()
    drawn = fields.Decimal(as_string=True)
    reserved = fields.Decimal(as_string=True)
    share = fields.Decimal(as_string=True)
    required = fields.Decimal(as_string=True)
    met = fields.Boolean()
    source = fields.String()
