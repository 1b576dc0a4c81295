"""The demo's procurement plan: the education bureau's lines, each demo procurement trade drawn on one."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from procurement.methods.models import BudgetRelease
from procurement.plans.models import BudgetDraw, ProcurementPlan
from tests.conftest import login
from trading.trades.models import Trade


def test_the_demo_plan_shows_what_each_line_has_left(db, client, app):
    from trading.demo import DEMO_PASSWORD, load_demo

    load_demo()
    (plan,) = db.session.scalars(sa.select(ProcurementPlan)).all()
    assert plan.purchaser.name == "市教育局" and plan.total == Decimal("23250000.00")
    gp = db.session.scalars(sa.select(Trade).where(Trade.method.like("gp_%"),
                                                   Trade.tenderer_id == plan.purchaser_id)).all()
    drawn = {d.trade_id: d.amount for d in db.session.scalars(sa.select(BudgetDraw))}
    assert {t.id for t in gp} == set(drawn)  # every demo procurement trade of the bureau drew on its line
    assert all(drawn[t.id] == t.estimated_price for t in gp)
    released = sum(r.amount for r in db.session.scalars(sa.select(BudgetRelease)))  # a failed tender's draw
    assert released == Decimal("450000.00")  # procurement/methods/demo.py: the failed open tender
    assert plan.left == plan.total - sum(drawn.values()) + released
    login(client, "purchaser", DEMO_PASSWORD)
    page = client.get(f"/procurement/plans/{plan.id}").get_data(as_text=True)
    assert all(t.ref in page for t in gp) and "¥520,000.00" in page  # 1,200,000 less the inquiry's 680,000
