"""A sandbox trade's legal periods run `accelerator` times faster, but the grace before an opening card and
the day to sign the opening record are practice, the time people need: they are not accelerated, so a
sandbox opening started a few minutes late by the clock gets no false card (issue 9)."""
from __future__ import annotations

from datetime import timedelta

from tests.monitor.cards.cards_fixtures import DEADLINE, levels, local, make_tender, tick, walk, go  # noqa: F401

MIN = timedelta(minutes=1)


def test_practice_spans_are_not_accelerated(app):
    from trading.rules.days import WorkCalendar
    from trading.rules.norms import Span

    with app.app_context():
        start = local(2026, 4, 16, 10)
        assert Span(exact=timedelta(minutes=30), practice=True).end(start, WorkCalendar(), accelerator=1440) == \
            start + 30 * MIN
        assert Span(exact=timedelta(minutes=30)).end(start, WorkCalendar(), accelerator=1440) == \
            start + timedelta(seconds=1.25)  # a legal period still runs 1440 times faster


def test_sandbox_opening_a_few_minutes_after_its_time_gets_no_card(db, users, make_tender):
    trade = make_tender(sandbox=True, accelerator=1440)
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    go(DEADLINE + 5 * MIN)
    tick()
    assert levels(db, trade, "works.opening_on_time") == []  # before: red after 1.25 s
    go(DEADLINE + 15 * MIN)
    tick()
    assert levels(db, trade, "works.opening_on_time") == ["yellow"]  # the same grace as a real trade
    go(DEADLINE + 30 * MIN)
    tick()
    assert levels(db, trade, "works.opening_on_time") == ["red"]


def test_sandbox_opening_kept_to_the_rules_has_no_card_at_all(db, users, make_tender):
    """Opened 4 minutes late, its record left unsigned for 20 minutes: a training session's pace."""
    from monitor.cards.models import Card
    import sqlalchemy as sa

    trade = make_tender(sandbox=True, accelerator=1440)
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    go(DEADLINE + 4 * MIN)
    walk(db, trade, users["staff"], "start_opening")
    go(DEADLINE + 9 * MIN)
    walk(db, trade, users["staff"], "finish_opening")
    go(DEADLINE + 29 * MIN)
    tick()
    assert db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id)).all() == []
    go(DEADLINE + 9 * MIN + timedelta(hours=24))
    tick()
    assert levels(db, trade, "works.opening_record_signed") == ["yellow"]  # a day, as for a real trade
