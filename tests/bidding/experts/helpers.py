"""Shared pieces of the expert tests: a pool at the WORKS centre's disposal, a published works tender with a
plan, running the draw with the real tick, reading audit entries."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.experts import pool as experts_pool, services as experts
from bidding.experts.models import PURPOSE
from monitor.ticks import run_ticks
from trading.accounts.roles import Role
from trading.draws import services as draws
from tests.monitor.supervisors.supervisor_helpers import entries  # noqa: F401  (re-exported)

#: display names that are not substrings of each other (pages are searched for them)
NAMES = ["钱学明", "孙立平", "周文斌", "吴海燕", "郑国强", "冯晓东", "陈思远", "褚建华", "卫志诚", "蒋丽君",
         "沈一鸣", "韩德胜"]


@pytest.fixture
def pool(db, users, make_user, make_org):
    """Twelve experts: ten of A01 (building), two of C04 (finance); each works for an organisation of its own."""
    out = {}
    for i, name in enumerate(NAMES):
        org = make_org(name=f"设计研究院{i}")
        u = make_user(f"ex{i}", (Role.EXPERT, None), org=org)
        u.display_name = name
        out[i] = experts_pool.register_expert(users["staff"], {
            "user_id": u.id, "employer": org.name, "region": "杭州市",
            "specialties": ["A01"] if i < 10 else ["C04"], "title": "高级工程师"})
    db.session.commit()
    return out


def plan(db, users, trade, lines=(("A01", 5),), representatives=0, **kw):
    p = experts.set_plan(users["staff"], trade, {"lines": [{"specialty": c, "count": n} for c, n in lines],
                                                 "representatives": representatives, **kw})
    db.session.commit()
    return p


def run_draw(db, clock, trade):
    """Move the clock past each pending round's commitment window and tick (nobody contributes)."""
    while (row := draws.pending(PURPOSE, trade)) is not None:
        clock.freeze(max(clock.now(), row.commit_until) + timedelta(seconds=1))
        run_ticks()
        db.session.expire_all()
