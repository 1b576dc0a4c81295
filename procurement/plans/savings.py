"""Savings (节约资金): a project's budget (its draw) minus its contract amount, grouped by project,
purchaser or centre over the period the contracts were signed in. Only trades with a contract count."""
from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.award.models import Contract
from procurement.plans.models import BudgetDraw, BudgetLine, ProcurementPlan
from trading.accounts.models import Organisation
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import local_tz
from trading.extensions import db
from trading.trades.models import Trade

GROUPS = ("project", "purchaser", "centre")
ZERO = Decimal("0.00")


def _visible(user):
    """The trades a person works on: their organisation's, and those at centres where they hold a branch role."""
    conds = []
    centre_ids = [g.centre_id for g in user.grants if g.centre_id is not None]
    if centre_ids:
        conds.append(Trade.centre_id.in_(centre_ids))
    if user.organisation_id and user.has_role(Role.TENDERER):
        conds.append(Trade.tenderer_id == user.organisation_id)
    return sa.or_(*conds) if conds else sa.false()


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_tz())


def savings(user, group: str, start: date | None = None, end: date | None = None) -> dict:
    """{group, from, to, rows: [{key, name, projects, budget, contract, saving, rate}], total: {...}};
    `start` and `end` are local dates, both included."""
    stmt = (sa.select(Trade.id, Trade.ref, Trade.title, Organisation.id, Organisation.name, Centre.id, Centre.code,
                      BudgetDraw.amount, Contract.amount)
            .join(BudgetDraw, BudgetDraw.trade_id == Trade.id)
            .join(Contract, Contract.trade_id == Trade.id)
            .join(BudgetLine, BudgetLine.id == BudgetDraw.line_id)
            .join(ProcurementPlan, ProcurementPlan.id == BudgetLine.plan_id)
            .join(Organisation, Organisation.id == ProcurementPlan.purchaser_id)
            .join(Centre, Centre.id == Trade.centre_id)
            .where(_visible(user)).order_by(Contract.signed_on, Trade.id))
    if start is not None:
        stmt = stmt.where(Contract.signed_on >= _start(start))
    if end is not None:
        stmt = stmt.where(Contract.signed_on < _start(end + timedelta(days=1)))
    rows: OrderedDict[str, dict] = OrderedDict()
    for trade_id, ref, title, org_id, org_name, centre_id, centre_code, budget, contract in db.session.execute(stmt):
        key, name = {"project": (ref, title), "purchaser": (str(org_id), org_name),
                     "centre": (centre_code, centre_code)}[group]
        row = rows.setdefault(key, {"key": key, "name": name, "projects": 0, "budget": ZERO, "contract": ZERO})
        row["projects"] += 1
        row["budget"] += budget
        row["contract"] += contract
    out = [_finish(r) for r in rows.values()]
    total = _finish({"key": "total", "name": "", "projects": sum(r["projects"] for r in out),
                     "budget": sum((r["budget"] for r in out), ZERO),
                     "contract": sum((r["contract"] for r in out), ZERO)})
    return {"group": group, "from": start, "to": end, "rows": out, "total": total}


def _finish(row: dict) -> dict:
    row["saving"] = row["budget"] - row["contract"]
    # the savings rate in percent, to two places (exact Decimal arithmetic, no float)
    row["rate"] = (row["saving"] * 100 / row["budget"]).quantize(Decimal("0.01")) if row["budget"] else ZERO
    return row
