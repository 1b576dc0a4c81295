"""A sealed works tender carried through a real opening (real envelopes, real key shares) to the
evaluation, so the candidates come from `final_ranking` over the bids actually opened."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _open, bidders, sealed_trade  # noqa: F401
from tests.conftest import CST
from trading.clock import clock as platform_clock
from trading.trades import services as trades
from trading.trades.flows import TradeState

#: four bids (the fourth is never a candidate when three are published)
FOUR = {**PRICES, "bidder_d": "4999000.00"}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


def score(db, trade, cast, subject: str = "works") -> None:
    """The committee (the fixture's expert, seated) scores by the lowest evaluated price with no adjustment:
    the ranking the award reads comes from bidding.scoring over the bids actually opened."""
    from bidding.evaluation import services as evaluation
    from bidding.evaluation.models import SeatKind
    from bidding.scoring import services as scoring

    evaluation.seat_member(cast["staff"], trade, cast["expert"], SeatKind.EXPERT)
    scoring.set_plan(cast["staff"], trade, {"method": "lowest_evaluated_price", "subject": subject})
    scoring.submit_sheet(cast["expert"], trade)
    db.session.commit()


@pytest.fixture
def evaluating(db, client, sealed_trade, bidders, clock):  # noqa: F811
    """Four bids opened at the ceremony, deposits recorded before the deadline, evaluation started and the
    committee's scoring complete."""
    from bidding.deposits.services import record_deposit

    clock.freeze(sealed_trade.opening_at - timedelta(days=2))
    for who in FOUR:
        record_deposit(bidders["staff"], sealed_trade, bidders[who].organisation_id, Decimal("50000.00"))
    db.session.commit()
    _bid_all(client, sealed_trade, bidders, FOUR)
    assert _open(client, sealed_trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(sealed_trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    score(db, sealed_trade, bidders)
    return sealed_trade


#: Friday 27 March 2026, 15:00 in Beijing: the candidates go out the afternoon of the opening day
PUBLICIZED = local(2026, 3, 27, 15, 0)
#: the start day is not counted: 28, 29, 30 March; the period runs out at midnight before 31 March
PUBLICITY_ENDS = local(2026, 3, 31, 0, 0)


@pytest.fixture
def publicity(db, evaluating, bidders, clock):
    clock.freeze(PUBLICIZED)
    trades.move(evaluating, "publicize", bidders["staff"])
    db.session.commit()
    assert evaluating.state is TradeState.PUBLICITY
    return evaluating


def cards(db, trade, norm: str) -> list:
    from monitor.cards.models import Card

    return list(db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id, Card.norm == norm)
                                   .order_by(Card.id)))


def check(db, trade, at: datetime) -> None:
    """Run e-supervision over the trade at `at` (as the periodic tick would)."""
    from monitor.cards import esupervision

    platform_clock.freeze(at)
    db.session.expire_all()
    esupervision.check_trade(trade, at)
    db.session.commit()
