"""Fixtures of inquiry and single source: the plans' fixtures (plan, gp_trade), the ceremony's keyholders given
roles at the procurement centre, and supplier companies."""
from __future__ import annotations

import pytest

from tests.bidding.conftest import keyholding  # noqa: F401  (the fixture, re-exported)
from tests.procurement.plans.conftest import gp_trade, plan  # noqa: F401
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role


@pytest.fixture
def suppliers(db, users, make_user, make_org):
    """Three more supplier companies beside the fixture's bidder, and a second expert."""
    for name in ("bidder_b", "bidder_c", "bidder_d"):
        users[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"{name} 科技有限公司"))
    users["expert_b"] = make_user("expert_b", (Role.EXPERT, None))
    return users


@pytest.fixture
def proc_keyholding(db, keyholding, centres):  # noqa: F811
    """The ceremony's keyholders (staff, staff2, supervisor) also hold their roles at the procurement centre."""
    from trading.accounts.models import RoleGrant

    proc = centres["PROC"].id
    for name, role in (("staff", Role.CENTRE_STAFF), ("staff2", Role.CENTRE_STAFF),
                       ("supervisor", Role.ADMIN_SUPERVISOR)):
        db.session.add(RoleGrant(user_id=keyholding[name].id, role=role, centre_id=proc))
    db.session.commit()
    for name in ("staff", "staff2", "supervisor"):
        db.session.refresh(keyholding[name])
    return keyholding
