"""Shared pieces of the e-supervision tests: local times, walking a trade through its flow with the
frozen clock, a tender with its documents, reading cards."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.cards import esupervision
from monitor.cards.models import Card, CardState
from tests.conftest import CST, START, tender_timeline
from trading.centres.models import Centre
from trading.clock import clock as platform_clock
from trading.notices import services as notices
from trading.trades import services as trades

SECOND = timedelta(seconds=1)
#: the tender made by `tender` below: published at START (Mon 2 March 2026, 09:00 Beijing)
DEADLINE = START + timedelta(days=25)  # Fri 27 March 2026, 09:00: bid deadline and opening time


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=CST)


def go(when: datetime) -> None:
    """Move the frozen clock to `when` (never backwards)."""
    assert when >= platform_clock.now(), "the test clock only moves forwards"
    platform_clock.freeze(when)


def walk(db, trade, actor, *moves: str) -> None:
    """Make each move now; the platform's own timed moves (open for bids, close) are made by its tick."""
    for name in moves:
        if name in trades.AUTO_MOVES:
            trades.advance_due()
            assert trade.history[-1].move == name, (name, [h.move for h in trade.history])
        else:
            trades.move(trade, name, actor)
        db.session.commit()


def tick():
    """One supervision pass, as the scheduler or `flask monitor tick` runs it."""
    return esupervision.tick()


def cards(db, trade, norm: str | None = None, *, open_only: bool = True) -> list[Card]:
    query = sa.select(Card).where(Card.trade_id == trade.id)
    if norm:
        query = query.where(Card.norm == norm)
    if open_only:
        query = query.where(Card.state != CardState.CLOSED)
    db.session.expire_all()
    return list(db.session.scalars(query.order_by(Card.id)))


def levels(db, trade, norm: str) -> list[str]:
    return [c.level.value for c in cards(db, trade, norm)]


def upload(trade, actor) -> None:
    notices.upload_document(actor, trade, "tender.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 tender documents"))


@pytest.fixture
def make_tender(db, users, make_trade, clock):
    """A published tender with its documents, at WORKS (staff) or PROC (staff_proc), issued now."""

    def factory(method: str = "works_open_tender", centre: str = "WORKS", documents: bool = True, **overrides):
        staff = users["staff"] if centre == "WORKS" else users["staff_proc"]
        centre_id = db.session.scalar(sa.select(Centre.id).where(Centre.code == centre))
        trade = make_trade(actor=staff, method=method, centre_id=centre_id,
                           **{**tender_timeline(platform_clock.now()), **overrides})
        if documents:
            upload(trade, staff)
        db.session.commit()
        trades.move(trade, "submit", staff)
        trades.move(trade, "approve", users["decider"])
        trades.move(trade, "publish", staff)
        db.session.commit()
        return trade

    return factory


def drive(db, staff, trades_: list, steps: list[tuple[datetime, tuple[str, ...]]]) -> None:
    """At each (time, moves) step, make the moves on every trade, in order."""
    for when, moves in steps:
        go(when)
        for trade in trades_:
            walk(db, trade, staff, *moves)


def sign_opening_record(db, trade, supervisor) -> None:
    """A supervisor's signature on the trade's opening record (as bidding.ceremony.sign_record stores it),
    made by the trade's supervising keyholder: a signature counts only from such or a drawn supervisor."""
    import sqlalchemy as sa

    from bidding.ceremony.models import OpeningCeremony, RecordSignature
    from bidding.keyholders.models import Keyholder, Side
    from trading.accounts.models import User
    from trading.clock import now

    decider = db.session.scalar(sa.select(User.id).where(User.username == "decider"))
    db.session.add(Keyholder(trade_id=trade.id, user_id=supervisor.id, side=Side.SUPERVISE, appointed_by_id=decider))
    ceremony = OpeningCeremony(trade_id=trade.id, started_at=now(), finished_at=now(), record="{}",
                               record_sha256="ab" * 32)
    db.session.add(ceremony)
    db.session.add(RecordSignature(ceremony=ceremony, user_id=supervisor.id, record_sha256="ab" * 32,
                                   signed_at=now()))
    db.session.commit()


#: a tender of `make_tender` opened on time and its candidates published Mon 6 April 2026, 10:00
TO_PUBLICITY = [(DEADLINE, ("close", "start_opening", "finish_opening")),
                (datetime(2026, 4, 6, 8, tzinfo=CST), ("start_evaluation",)),
                (datetime(2026, 4, 6, 10, tzinfo=CST), ("publicize",))]
