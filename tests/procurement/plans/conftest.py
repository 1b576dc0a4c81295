"""Fixtures of the plans: a purchaser's plan at the procurement centre and procurement drafts drawing on it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from procurement.plans import services


@pytest.fixture
def plan(db, users, centres):
    """The tenderer's 2026 plan at PROC: a goods line of 1,000,000.00 and a services line of 3,000,000.00."""
    made = services.create_plan(users["tenderer"], {"centre_id": centres["PROC"].id, "year": 2026,
                                                    "title": "2026 procurement plan"})
    services.add_line(users["tenderer"], made, {"fund_source": "general_budget", "category_code": "A02010104",
                                                "description": "Office computers", "amount": Decimal("1000000.00")})
    services.add_line(users["tenderer"], made, {"fund_source": "general_budget", "category_code": "C16000000",
                                                "description": "IT services", "amount": Decimal("3000000.00")})
    db.session.commit()
    return made


@pytest.fixture
def gp_trade(make_trade, users, centres):
    """A procurement draft at PROC for the tenderer: method and price as the test asks."""

    def factory(method: str = "gp_inquiry", price: str = "100000.00", **overrides):
        return make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method=method,
                          estimated_price=Decimal(price), bid_security=None, title=f"{method} {price}", **overrides)

    return factory
