"""An objection to a single source's notice is answered within five working days of the notice period's end
(O74 Art. 40): e-supervision's tick puts an unanswered one past that on a red card naming the rule; one answered
in time leaves no card."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from monitor.cards import esupervision
from monitor.cards.models import Card, CardState
from monitor.cards.texts import card_citation, card_title
from procurement.direct import services
from tests.procurement.direct.helpers import SECOND, notice_end, single_source
from trading.rules.norms import Level

NORM = "gp.single_source_objection_answered"


def _cards(db, trade):
    return list(db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id, Card.norm == NORM)
                                   .order_by(Card.id)))


def _tick(db, clock, at):
    clock.freeze(at)
    db.session.expire_all()
    esupervision.tick(at)


def _objected(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - timedelta(days=1))
    objection = services.file_objection(users["other_tenderer"], trade, "另有供应商能够提供同等产品")
    db.session.commit()
    return trade, objection


def test_an_objection_unanswered_past_its_deadline_is_on_one_red_card_naming_the_rule(app, db, users, gp_trade,
                                                                                       plan, clock):
    trade, objection = _objected(db, users, gp_trade, plan, clock)
    due = objection.answer_due
    assert due > notice_end()
    _tick(db, clock, due - timedelta(days=2))  # the purchaser's five working days still running
    assert _cards(db, trade) == []
    _tick(db, clock, due + SECOND)
    _tick(db, clock, due + timedelta(days=3))  # ticks again: still the one card
    [card] = _cards(db, trade)
    assert card.level is Level.RED and card.condition == "overdue" and card.state is not CardState.CLOSED
    assert card.subject == f"gp_single_source_objection:{objection.id}"
    assert "财政部令第74号 第40条" in card.source
    with app.test_request_context("/"), force_locale("en"):
        assert "MOF Order 74 Art. 40" in card_citation(card)["text"]
        title = card_title(card)
        assert "answer to the objection to the single source" in title and "5 working days" in title, title
    with app.test_request_context("/"), force_locale("zh_CN"):
        assert "单一来源" in card_title(card), card_title(card)
    # the answer late: the red card stays for the supervisors
    services.answer_objection(users["tenderer"], objection, "经补充论证，异议不成立", False)
    db.session.commit()
    _tick(db, clock, due + timedelta(days=4))
    assert len(_cards(db, trade)) == 1


def test_an_objection_answered_in_time_leaves_no_card(db, users, gp_trade, plan, clock):
    trade, objection = _objected(db, users, gp_trade, plan, clock)
    clock.freeze(objection.answer_due - timedelta(hours=1))
    services.answer_objection(users["tenderer"], objection, "经补充论证，该产品为专利产品，异议不成立", False)
    db.session.commit()
    _tick(db, clock, objection.answer_due + timedelta(days=5))
    assert all(c.state is CardState.CLOSED for c in _cards(db, trade))
    assert not [c for c in _cards(db, trade) if c.level is Level.RED]


def test_no_objection_no_card_and_an_upheld_one_closes_the_others(db, users, gp_trade, plan, clock):
    quiet = single_source(db, users, gp_trade, plan, price="400000.00")
    trade, first = _objected(db, users, gp_trade, plan, clock)
    second = services.file_objection(users["public"], trade, "同样可以提供")
    db.session.commit()
    clock.freeze(notice_end() + timedelta(hours=1))
    services.answer_objection(users["tenderer"], first, "异议成立，改用其他采购方式", True)  # stops the single source
    db.session.commit()
    _tick(db, clock, second.answer_due + timedelta(days=5))  # the second can no longer be answered: no card
    assert _cards(db, trade) == [] and _cards(db, quiet) == []
