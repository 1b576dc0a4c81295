"""Schemas of the plans API (load and dump kept apart); amounts are strings (exact Decimal)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale, lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from procurement.plans import catalogue
from trading.schemas import LoadSchema, field, id_field
from trading.trades.schemas import AMOUNT_MAX

YEAR = validate.Range(min=2000, max=2100, error=_l("must be a year from {min} to {max}"))


class ProcurementPlanCreateSchema(LoadSchema):
    centre_id = id_field(required=True)
    purchaser_id = id_field(load_default=None, allow_none=True,
                            metadata={"description": "the purchaser (staff only; a purchaser makes its own)"})
    year = id_field(required=True, validate=YEAR)
    title = field(fields.String, required=True, validate=validate.Length(
        min=2, max=200, error=_l("must be between {min} and {max} characters")))


class BudgetLineCreateSchema(LoadSchema):
    fund_source = field(fields.String, required=True, validate=validate.OneOf(
        list(catalogue.FUND_SOURCES), error=_l("must be one of: {choices}")))
    category_code = field(fields.String, required=True, validate=validate.Length(min=1, max=16))
    description = field(fields.String, required=True, validate=validate.Length(
        min=2, max=200, error=_l("must be between {min} and {max} characters")))
    amount = field(fields.Decimal, required=True, places=None, validate=validate.Range(
        min=Decimal("0.01"), max=AMOUNT_MAX, error=_l("must be between {min} and {max} yuan")),
        metadata={"description": "yuan, e.g. 1200000.00"})

    @validates_schema
    def _fen(self, data, **kwargs):
        value = data.get("amount")
        if value is not None and value != value.quantize(Decimal("0.01")):
            raise ValidationError(str(_l("at most two decimal places (fen)")), "amount")


class BudgetDrawCreateSchema(LoadSchema):
    line_id = id_field(required=True)


class MethodApprovalCreateSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(
        min=1, max=4000, error=_l("must be between {min} and {max} characters")))


def _category_name(line) -> str:
    category = catalogue.CATEGORIES.get(line.category_code)
    return category.name(str(get_locale() or "zh_CN")) if category else line.category_code


class BudgetLineSchema(Schema):
    id = fields.Integer()
    fund_source = fields.String()
    category_code = fields.String()
    category = fields.Function(_category_name)
    centralised = fields.Function(lambda line: bool(catalogue.CATEGORIES.get(line.category_code)
                                                   and catalogue.CATEGORIES[line.category_code].centralised),
                                  metadata={"description": "on the centralised-purchase catalogue"})
    description = fields.String()
    amount = fields.Decimal(as_string=True)
    drawn = fields.Decimal(as_string=True)
    left = fields.Decimal(as_string=True)


class ProcurementPlanSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    title = fields.String()
    purchaser = fields.Function(lambda p: {"id": p.purchaser_id, "name": p.purchaser.name})
    centre = fields.Function(lambda p: p.centre.code)
    total = fields.Decimal(as_string=True)
    left = fields.Decimal(as_string=True)
    lines = fields.List(fields.Nested(BudgetLineSchema))


class BudgetDrawSchema(Schema):
    id = fields.Integer()
    line_id = fields.Integer()
    trade_id = fields.Integer()
    amount = fields.Decimal(as_string=True)
    drawn_at = fields.AwareDateTime()
    left = fields.Function(lambda d: str(d.line.left), metadata={"description": "what the line has left"})


class MethodApprovalSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    method = fields.String()
    reason = fields.String()
    approved_by = fields.Function(lambda a: a.approved_by.display_name)
    approved_at = fields.AwareDateTime()


class ProcurementSavingsRowSchema(Schema):
    key = fields.String()
    name = fields.String()
    projects = fields.Integer()
    budget = fields.Decimal(as_string=True)
    contract = fields.Decimal(as_string=True)
    saving = fields.Decimal(as_string=True)
    rate = fields.Decimal(as_string=True, metadata={"description": "saving ÷ budget, in percent"})


class ProcurementSavingsSchema(Schema):
    group = fields.String()
    from_ = fields.Date(data_key="from", allow_none=True)
    to = fields.Date(allow_none=True)
    rows = fields.List(fields.Nested(ProcurementSavingsRowSchema))
    total = fields.Nested(ProcurementSavingsRowSchema)
