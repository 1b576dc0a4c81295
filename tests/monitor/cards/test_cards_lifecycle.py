"""The card lifecycle: issued -> assigned -> answered -> closed through one transition function.

Each step allowed to the right person is an audit entry and a notification; each refused step
changes nothing and logs nothing.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cards import services
from monitor.cards.models import Card, CardEvent, CardState, OutboxMail
from monitor.audit.models import AuditEntry
from tests.monitor.cards.cards_fixtures import DEADLINE, cards, go, make_tender, tick, walk  # noqa: F401
from trading.accounts.roles import Role
from trading.errors import IllegalMove, InvalidInput, NotAllowed, PolicyViolation
from trading.notices.models import Notification


@pytest.fixture
def red_card(db, users, make_tender):
    """The opening did not start within 30 minutes of the opening time."""
    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    go(DEADLINE + timedelta(minutes=20))
    tick()  # yellow: coming due
    go(DEADLINE + timedelta(minutes=31))
    tick()  # red: overdue
    [card] = cards(db, trade, "works.opening_on_time")
    assert card.level.value == "red"
    return card


def _entries(db, card) -> list[tuple[str, dict]]:
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("card.%"))
                              .order_by(AuditEntry.seq)).all()
    out = []
    for r in rows:
        body = json.loads(r.body)
        if body["object"] == {"type": "card", "id": card.id}:
            out.append((r.action, body))
    return out


def _notified(db, kind: str) -> set[int]:
    return set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


def test_issued_assigned_answered_closed_each_step_logged_and_notified(db, users, red_card):
    card = red_card
    supervisor, staff = users["supervisor"], users["staff"]
    # the centre's administrative supervisors and the trade's executors (staff submitted and published it)
    assert _notified(db, "card.issue") == {supervisor.id, staff.id}
    assert _notified(db, "card.escalate") == {supervisor.id, staff.id}

    services.transition(card, "assign", supervisor, assignee=staff.id, text="Explain the delay.")
    db.session.commit()
    assert card.state is CardState.ASSIGNED and card.assignee_id == staff.id
    assert _notified(db, "card.assign") == {staff.id}

    services.transition(card, "answer", staff, text="The keyholders arrived late; the opening began at 09:41.")
    db.session.commit()
    assert card.state is CardState.ANSWERED
    assert _notified(db, "card.answer") == {supervisor.id}

    services.transition(card, "return", supervisor, text="Name the keyholders and attach the sign-in sheet.")
    db.session.commit()
    assert card.state is CardState.ASSIGNED
    services.transition(card, "answer", staff, text="Keyholders A and B; sign-in sheet uploaded.")
    db.session.commit()

    services.transition(card, "close", supervisor, text="Accepted: keyholders reminded of the opening duty.")
    db.session.commit()
    assert card.state is CardState.CLOSED and card.closed_at is not None and card.open_key is None
    assert _notified(db, "card.close") == {staff.id}

    moves = [e.move for e in card.events]
    assert moves == ["issue", "escalate", "assign", "answer", "return", "answer", "close"]
    entries = _entries(db, card)
    assert [a for a, _ in entries] == [f"card.{m}" for m in moves]
    for event, (_action, body) in zip(card.events, entries):
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.seq == event.audit_seq)) \
            == f"card.{event.move}"
        assert body["after"]["state"] == event.to_state.value
        assert body["actor"] == (None if event.actor_id is None else
                                 {"id": event.actor_id, "username": event.actor.username})
    # the rows themselves are in the log too (captured by the generic capture)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"cards.insert", "cards.update", "card_events.insert"} <= actions
    # every notice with an address also went to the outbox, in the recipient's language
    mails = db.session.scalars(sa.select(OutboxMail)).all()
    assert {m.to_addr for m in mails} == {"supervisor@test.invalid", "staff@test.invalid"}
    assert all(m.locale == "zh_CN" for m in mails)


@pytest.mark.parametrize("step,who,kwargs,error", [
    ("assign", "staff", {"assignee": "staff"}, NotAllowed),  # executors do not assign
    ("assign", "social", {"assignee": "staff"}, NotAllowed),  # social supervisors watch, they do not handle
    ("assign", "supervisor", {}, InvalidInput),  # nobody named
    ("assign", "supervisor", {"assignee": "staff_proc"}, InvalidInput),  # staff of another centre
    ("assign", "supervisor", {"assignee": "bidder"}, InvalidInput),  # not staff at all
    ("answer", "staff", {"text": "too early"}, IllegalMove),  # not assigned yet
    ("close", "supervisor", {"text": "nothing to see"}, IllegalMove),  # closed only once answered
    ("resolve", None, {}, IllegalMove),  # a red card never closes by itself
    ("escalate", "supervisor", {}, NotAllowed),  # the platform's own step
    ("fly", "supervisor", {}, IllegalMove),
])
def test_refused_steps_change_and_log_nothing(db, users, red_card, step, who, kwargs, error):
    card = red_card
    before_events = db.session.scalar(sa.select(sa.func.count()).select_from(CardEvent))
    before_log = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    if "assignee" in kwargs:
        kwargs = {**kwargs, "assignee": users[kwargs["assignee"]].id}
    with pytest.raises(error):
        services.transition(card, step, users[who] if who else None, **kwargs)
    db.session.rollback()
    db.session.expire_all()
    assert card.state is CardState.ISSUED and card.assignee_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardEvent)) == before_events
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before_log


def test_only_the_assignee_answers_and_answers_need_text(db, users, make_user, red_card):
    card = red_card
    other = make_user("staff2", (Role.CENTRE_STAFF, "WORKS"))
    services.transition(card, "assign", users["supervisor"], assignee=users["staff"])
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.transition(card, "answer", other, text="I was not asked")
    db.session.rollback()
    with pytest.raises(InvalidInput) as refused:
        services.transition(card, "answer", users["staff"], text="   ")
    assert refused.value.field == "text"
    db.session.rollback()
    with pytest.raises(NotAllowed):  # the assigning supervisor may not answer for the executor
        services.transition(card, "answer", users["supervisor"], text="done")
    db.session.rollback()
    services.transition(card, "assign", users["supervisor"], assignee=other, text="Reassigned: staff is away.")
    db.session.commit()
    services.transition(card, "answer", other, text="Answered by the colleague.")
    db.session.commit()
    assert card.state is CardState.ANSWERED


def test_assignee_must_be_free_of_conflicts(db, users, make_user, red_card):
    """Separation of duties: a clerk of the tenderer's own organisation is refused as assignee."""
    tied = make_user("clerk_of_tenderer", (Role.CENTRE_STAFF, "WORKS"), org=users["tenderer"].organisation)
    with pytest.raises(PolicyViolation):
        services.transition(red_card, "assign", users["supervisor"], assignee=tied)
    db.session.rollback()


def test_cards_seen_by_watchers_and_the_assignee_only(db, users, red_card):
    card = red_card
    assert [c.id for c in services.open_cards_for(users["supervisor"])] == [card.id]
    assert [c.id for c in services.open_cards_for(users["social"])] == [card.id]
    assert [c.id for c in services.open_cards_for(users["decider"])] == [card.id]
    assert services.open_cards_for(users["staff"]) == []
    assert services.open_cards_for(users["staff_proc"]) == []
    assert services.open_cards_for(users["bidder"]) == []
    services.transition(card, "assign", users["supervisor"], assignee=users["staff"])
    db.session.commit()
    assert [c.id for c in services.open_cards_for(users["staff"])] == [card.id]
    assert [c.id for c in services.cards_for_trade(card.trade)] == [card.id]
    assert "30" in card.title and card.detail


def test_closed_card_is_not_reissued_for_the_same_matter(db, users, red_card):
    card = red_card
    services.transition(card, "assign", users["supervisor"], assignee=users["staff"])
    services.transition(card, "answer", users["staff"], text="late keyholders")
    services.transition(card, "close", users["supervisor"], text="accepted")
    db.session.commit()
    go(DEADLINE + timedelta(hours=3))
    tick()
    assert cards(db, card.trade, "works.opening_on_time") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Card).where(
        Card.norm == "works.opening_on_time")) == 1
