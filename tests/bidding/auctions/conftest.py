"""Fixtures of land and property sales, in layers: the cast at the LAND centre, a published land listing
with its terms, then one in its listing period with qualified registrants (paddles, deposits)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.auctions import services as auctions
from bidding.deposits.services import record_deposit
from tests.conftest import START
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.trades import services as trades

ISSUE = START + timedelta(days=1)  # Tue 3 March 2026, 09:00 CST
LISTING_FROM = ISSUE + timedelta(days=20)  # Mon 23 March
LISTING_CLOSE = LISTING_FROM + timedelta(days=10)  # Thu 2 April
STARTING_PRICE = Decimal("10000000.00")
INCREMENT = Decimal("100000.00")
DEPOSIT = Decimal("2000000.00")


@pytest.fixture
def land(db, make_user, make_org, users):
    """The LAND centre's branches and three bidder companies with one member each."""
    cast = {
        "staff": make_user("land_staff", (Role.CENTRE_STAFF, "LAND")),
        "decider": make_user("land_decider", (Role.DECISION_MAKER, "LAND")),
        "supervisor": make_user("land_supervisor", (Role.ADMIN_SUPERVISOR, "LAND")),
        "social": make_user("land_social", (Role.SOCIAL_SUPERVISOR, "LAND")),
        "seller": users["tenderer"],
    }
    for n in (1, 2, 3):
        org = make_org(OrgKind.BIDDER, f"Land Buyer {n} Co.")
        cast[f"buyer{n}"] = make_user(f"buyer{n}", (Role.BIDDER, None), org=org)
    db.session.commit()
    return cast


@pytest.fixture
def land_sale(db, make_trade, centres, land, clock):
    """A land listing with its terms, approved and published (announced; listing from LISTING_FROM)."""
    clock.freeze(START)
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_listing",
                       title="Plot C-07 land use rights", estimated_price=STARTING_PRICE, bid_security=DEPOSIT,
                       issue_at=ISSUE, docs_until=None, listing_from=LISTING_FROM, bid_deadline=LISTING_CLOSE,
                       opening_at=None)
    auctions.set_terms(land["staff"], trade, INCREMENT)
    trades.move(trade, "submit", land["staff"])
    trades.move(trade, "approve", land["decider"])
    trades.move(trade, "publish", land["staff"])
    db.session.commit()
    return trade


def qualify_buyer(land, trade, who: str):
    """Register `who`'s company, record its deposit (with the paying account) and qualify it."""
    user = land[who]
    reg = auctions.register(user, trade)
    deposit = record_deposit(land["staff"], trade, user.organisation_id, trade.bid_security,
                             payer_account=f"6222 0000 {user.id:04d}")
    auctions.qualify(land["staff"], reg, deposit)
    return reg


@pytest.fixture
def listing(db, land_sale, land, clock):
    """The land listing in its listing period with buyer1..buyer3 qualified (paddles drawn)."""
    clock.freeze(ISSUE + timedelta(hours=1))
    regs = {who: qualify_buyer(land, land_sale, who) for who in ("buyer1", "buyer2", "buyer3")}
    clock.freeze(LISTING_FROM)
    trades.advance_due()
    db.session.commit()
    return land_sale, regs


# ---- state property transfers at the PROP centre (bidding/auctions/property; O32) -------------------------
APPRAISED = Decimal("10000000.00")
PROP_CLOSE = ISSUE + timedelta(days=28)  # Tue 31 March: the 20th working day after Tue 3 March (O32 Art 13)
PROP_DEPOSIT = Decimal("1000000.00")


@pytest.fixture
def prop(db, make_user, land):
    """The property exchange's branches; the bidder companies are the land fixture's buyer1..buyer3."""
    cast = {
        "staff": make_user("prop_staff", (Role.CENTRE_STAFF, "PROP")),
        "decider": make_user("prop_decider", (Role.DECISION_MAKER, "PROP")),
        "supervisor": make_user("prop_supervisor", (Role.ADMIN_SUPERVISOR, "PROP")),
        "seller": land["seller"],
        **{f"buyer{n}": land[f"buyer{n}"] for n in (1, 2, 3)},
    }
    db.session.commit()
    return cast


@pytest.fixture
def make_property_sale(db, make_trade, centres, prop, clock):
    """A property transfer (draft, or approved and published) with its appraisal; override any field."""

    def factory(publish: bool = True, appraised=APPRAISED, control_change: bool = False, **overrides):
        data = {"centre_id": centres["PROP"].id, "method": "property_listing", "title": "70% of Harbour Hotel Co.",
                "estimated_price": APPRAISED, "bid_security": PROP_DEPOSIT, "issue_at": ISSUE, "docs_until": None,
                "bid_deadline": PROP_CLOSE, "opening_at": None, **overrides}
        trade = make_trade(prop["staff"], **data)
        auctions.set_terms(prop["staff"], trade, INCREMENT, appraised_value=appraised, control_change=control_change)
        db.session.commit()
        if publish:
            trades.move(trade, "submit", prop["staff"])
            trades.move(trade, "approve", prop["decider"])
            trades.move(trade, "publish", prop["staff"])
            db.session.commit()
        return trade

    return factory


@pytest.fixture
def property_sale(make_property_sale, clock):
    """A published property transfer in its 20 working days of disclosure (no control change)."""
    clock.freeze(START)
    return make_property_sale()
