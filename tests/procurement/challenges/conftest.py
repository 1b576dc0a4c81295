"""Fixtures of questions, challenges and complaints: an open procurement tender at PROC published on START,
its documents, a supplier that downloaded them, another that did not, and the finance department (an
administrative supervisor at PROC)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import CST, START, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.notices import services as notices
from trading.trades import services as trades
from trading.trades.flows import TradeState


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def cast(users, make_user, make_org):
    """The conftest's people, a second supplier and the finance department of the PROC centre."""
    users["bidder2"] = make_user("bidder2", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Supplier Co."))
    users["finance"] = make_user("finance", (Role.ADMIN_SUPERVISOR, "PROC"))
    return users


@pytest.fixture
def tender(db, cast, make_trade, centres, clock):
    """An open procurement tender published on Monday 2 March 2026 09:00 (documents until Thursday 12 March
    09:00, bids until 27 March), its documents downloaded by `bidder` on 3 March."""
    trade = make_trade(actor=cast["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender",
                       estimated_price=Decimal("500000.00"), bid_security=Decimal("5000.00"),
                       title="市属学校课桌椅采购项目", **tender_timeline(START))
    document = notices.upload_document(cast["staff_proc"], trade, "tender.pdf", "application/pdf",
                                       io.BytesIO(b"%PDF-1.4 procurement documents"))
    for move, who in (("submit", "staff_proc"), ("approve", "decider"), ("publish", "staff_proc")):
        trades.move(trade, move, cast[who])
    db.session.commit()
    clock.freeze(START + timedelta(days=1))
    notices.record_download(trade, document, cast["bidder"])
    db.session.commit()
    assert trade.is_public and trade.state in (TradeState.ANNOUNCED, TradeState.BIDDING)
    return trade
