"""Fixtures of the methods: the suppliers, an invitation tender draft, and a procurement cast that can take a
sealed procurement trade through its opening (the WORKS keyholders also serve the procurement centre)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from procurement.plans import services as plans
from tests.bidding.ceremony.test_ceremony import bidders  # noqa: F401  (fixture)
from tests.bidding.conftest import keyholding  # noqa: F401  (fixture)
from tests.conftest import START, tender_timeline
from tests.procurement.plans.conftest import gp_trade, plan  # noqa: F401  (fixtures)
from trading.accounts.models import OrgKind, RoleGrant
from trading.accounts.roles import Role


@pytest.fixture
def suppliers(db, users, make_user, make_org):
    """Five registered suppliers beside the fixture's bidder company: name -> user."""
    cast = {"bidder": users["bidder"]}
    for name in ("supplier_b", "supplier_c", "supplier_d", "supplier_e"):
        cast[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"{name} 科技有限公司"))
    db.session.commit()
    return cast


@pytest.fixture
def invited(gp_trade):
    """An invitation tender draft at PROC with a legal tender timeline (its invitees not chosen yet)."""
    return gp_trade("gp_invited_tender", "900000.00", **tender_timeline(START + timedelta(days=1)))


@pytest.fixture
def proc_people(db, bidders, centres):  # noqa: F811
    """The WORKS cast serves the procurement centre too (staff and keyholders, the supervisor)."""
    proc = centres["PROC"].id
    for who, role in (("staff", Role.CENTRE_STAFF), ("staff2", Role.CENTRE_STAFF),
                      ("supervisor", Role.ADMIN_SUPERVISOR)):
        db.session.add(RoleGrant(user_id=bidders[who].id, role=role, centre_id=proc))
    db.session.commit()
    db.session.expire_all()
    return bidders


@pytest.fixture
def big_plan(db, users, centres):
    """The tenderer's 2026 plan at PROC with one goods line of 12,000,000.00 (two sealed tenders of 5M fit)."""
    made = plans.create_plan(users["tenderer"], {"centre_id": centres["PROC"].id, "year": 2026,
                                                 "title": "2026 procurement plan"})
    plans.add_line(users["tenderer"], made, {"fund_source": "general_budget", "category_code": "A02010104",
                                             "description": "Office computers", "amount": Decimal("12000000.00")})
    db.session.commit()
    return made
