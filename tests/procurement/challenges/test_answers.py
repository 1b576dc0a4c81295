"""Answers and decisions: published at once (without the filer), late ones on e-supervision cards, and the
suspension a challenge or complaint brings, made and lifted by the platform's own moves and audited."""
from __future__ import annotations

import json

import sqlalchemy as sa

from monitor.audit.models import AuditEntry
from monitor.cards import esupervision
from monitor.cards.models import Card, CardState
from tests.conftest import api_headers
from tests.procurement.challenges.conftest import local
from trading.rules.norms import Level
from trading.trades.flows import TradeState


def _file(client, trade, who, **body):
    response = client.post(f"/api/v1/trades/{trade.id}/challenges", json={"text": "事项与理由", **body},
                           headers=api_headers(client, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _post(client, trade, filing, tail, who, **body):
    return client.post(f"/api/v1/trades/{trade.id}/challenges/{filing}/{tail}", json=body,
                       headers=api_headers(client, who))


def _cards(db, trade, norm):
    return list(db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id, Card.norm == norm)
                                   .order_by(Card.id)))


def _check(db, trade, at, clock):
    clock.freeze(at)
    db.session.expire_all()
    esupervision.check_trade(trade, at)
    db.session.commit()


def test_an_answer_is_published_without_the_filer(db, client, tender, cast, clock):
    clock.freeze(local(2026, 3, 4, 10, 0))
    question = _file(client, tender, "bidder", kind="question", text="样品是否需要现场提交？")
    public = client.get("/api/v1/procurement/challenges").get_json()
    assert public == []  # nothing until it is answered
    assert client.get(f"/api/v1/trades/{tender.id}/challenges").get_json() == []
    # the wrong people cannot answer; the purchaser can, and once only
    for who in ("bidder", "bidder2", "finance", "decider"):
        assert _post(client, tender, question, "answer", who, answer="x").status_code == 403, who
    answered = _post(client, tender, question, "answer", "tenderer", answer="样品须在开标前送达。")
    assert answered.status_code == 200, answered.get_json()
    again = _post(client, tender, question, "answer", "staff_proc", answer="再答")
    assert again.status_code == 409 and again.get_json()["code"] == "already_answered"
    public = client.get("/api/v1/procurement/challenges").get_json()
    assert [p["answer"] for p in public] == ["样品须在开标前送达。"]
    company = cast["bidder"].organisation.name
    for url in ("/api/v1/procurement/challenges", f"/api/v1/trades/{tender.id}/challenges",
                "/procurement/challenges", f"/procurement/trades/{tender.id}/challenges"):
        text = client.get(url).get_data(as_text=True)
        assert "样品须在开标前送达" in text or "XW01" in text, url
        assert company not in json.dumps(client.get(url).get_data(as_text=True), ensure_ascii=False), url
        assert "filer" not in text, url
    # its company and the purchaser read the filer; the supervising branch a pseudonym before the opening
    own = client.get(f"/api/v1/trades/{tender.id}/challenges", headers=api_headers(client, "bidder")).get_json()
    assert own[0]["filer"] == company
    purchaser = client.get(f"/api/v1/trades/{tender.id}/challenges",
                           headers=api_headers(client, "tenderer")).get_json()
    assert purchaser[0]["filer"] == company
    finance = client.get(f"/api/v1/trades/{tender.id}/challenges", headers=api_headers(client, "finance")).get_json()
    assert finance[0]["filer"] != company


def test_a_question_answered_late_gets_a_red_card(db, client, tender, clock):
    clock.freeze(local(2026, 3, 6, 15, 0))  # Friday: due by the end of Wednesday 11 March
    question = _file(client, tender, "bidder2", kind="question")
    _check(db, tender, local(2026, 3, 11, 12, 0), clock)
    [card] = _cards(db, tender, "gp.question_answered")
    assert card.level is Level.YELLOW and card.condition == "due" and card.subject == f"gp_filing:{question}"
    _check(db, tender, local(2026, 3, 12, 0, 0), clock)
    db.session.refresh(card)
    assert card.level is Level.RED and card.condition == "overdue"
    assert _post(client, tender, question, "answer", "staff_proc", answer="可以。").status_code == 200
    _check(db, tender, local(2026, 3, 12, 9, 0), clock)
    assert len(_cards(db, tender, "gp.question_answered")) == 1  # the red card stays for the supervisors


def test_a_question_answered_in_time_leaves_no_card(db, client, tender, clock):
    clock.freeze(local(2026, 3, 6, 15, 0))
    question = _file(client, tender, "bidder2", kind="question")
    clock.freeze(local(2026, 3, 11, 23, 59))
    assert _post(client, tender, question, "answer", "tenderer", answer="可以。").status_code == 200
    _check(db, tender, local(2026, 3, 20), clock)
    assert all(c.state is CardState.CLOSED for c in _cards(db, tender, "gp.question_answered"))


def test_a_challenge_unanswered_in_seven_working_days_is_on_a_red_card(db, client, tender, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    challenge = _file(client, tender, "bidder", kind="challenge", about="documents")
    _check(db, tender, local(2026, 3, 16, 23, 0), clock)  # the last day: 6, 9-13, 16 March
    assert [c.level for c in _cards(db, tender, "gp.challenge_answered")] == [Level.YELLOW]
    _check(db, tender, local(2026, 3, 17, 0, 0), clock)
    [card] = _cards(db, tender, "gp.challenge_answered")
    assert card.level is Level.RED and card.subject == f"gp_filing:{challenge}"
    assert "政府采购法 第53条" in card.source


def test_a_challenge_that_may_affect_the_result_suspends_until_its_answer(db, client, tender, cast, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    challenge = _file(client, tender, "bidder", kind="challenge", about="documents")
    state = tender.state
    assert _post(client, tender, challenge, "suspension", "bidder", suspend=True).status_code == 403
    assert _post(client, tender, challenge, "suspension", "finance", suspend=True).status_code == 403
    made = _post(client, tender, challenge, "suspension", "staff_proc", suspend=True)
    assert made.status_code == 200, made.get_json()
    db.session.expire_all()
    assert tender.state is TradeState.SUSPENDED and tender.history[-1].move == "pause_for_challenge"
    assert "ZY01" in tender.history[-1].reason
    # the generic resume is not the way out: the challenge's answer is
    refused = client.post(f"/api/v1/trades/{tender.id}/transitions", json={"move": "resume", "reason": "x"},
                          headers=api_headers(client, "staff_proc"))
    assert refused.status_code == 409 and refused.get_json()["code"] == "reserved_move"
    clock.freeze(local(2026, 3, 6, 10, 0))
    assert _post(client, tender, challenge, "answer", "tenderer", answer="质疑成立，修改采购文件。",
                 outcome="upheld").status_code == 200
    db.session.expire_all()
    assert tender.state is state and tender.history[-1].move == "resume_after_challenge"
    moves = {json.loads(e.body)["after"]["move"] for e in db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.trade_id == tender.id, AuditEntry.action == "trade_transitions.insert"))}
    assert {"pause_for_challenge", "resume_after_challenge"} <= moves  # the log holds both moves
    # the filer's company is a pseudonym in the log
    logged = [json.loads(e.body) for e in db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "procurement_filings.insert"))]
    assert logged and all(e["after"]["organisation_id"] != cast["bidder"].organisation_id for e in logged)


def test_the_finance_department_suspends_for_a_complaint_at_most_thirty_days(db, client, tender, cast, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    challenge = _file(client, tender, "bidder", kind="challenge", about="documents")
    clock.freeze(local(2026, 3, 6, 10, 0))
    assert _post(client, tender, challenge, "answer", "staff_proc", answer="不成立。",
                 outcome="dismissed").status_code == 200
    clock.freeze(local(2026, 3, 9, 10, 0))
    complaint = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge)
    for who in ("tenderer", "staff_proc", "supervisor"):  # `supervisor` supervises WORKS, not PROC
        assert _post(client, tender, complaint, "suspension", who, suspend=True).status_code == 403, who
    assert _post(client, tender, complaint, "suspension", "finance", suspend=True).status_code == 200
    db.session.expire_all()
    assert tender.state is TradeState.SUSPENDED
    _check(db, tender, local(2026, 4, 8, 12, 0), clock)  # 30 days from 9 March: the last is 8 April
    assert [c.level for c in _cards(db, tender, "gp.suspension_lifted")] == [Level.YELLOW]
    _check(db, tender, local(2026, 4, 9, 0, 0), clock)
    [card] = _cards(db, tender, "gp.suspension_lifted")
    assert card.level is Level.RED and card.condition == "overdue"
    lifted = _post(client, tender, complaint, "suspension", "finance", suspend=False)
    assert lifted.status_code == 200, lifted.get_json()
    db.session.expire_all()
    assert tender.state is not TradeState.SUSPENDED
    decided = _post(client, tender, complaint, "answer", "finance", answer="投诉缺乏事实依据，驳回。",
                    outcome="dismissed")
    assert decided.status_code == 200 and decided.get_json()["outcome"] == "dismissed"
    assert _post(client, tender, complaint, "answer", "tenderer", answer="x", outcome="upheld").status_code == 403
    public = client.get("/api/v1/procurement/challenges").get_json()
    assert {p["kind"] for p in public} == {"challenge", "complaint"}


def test_a_complaint_decided_after_thirty_working_days_is_late(db, client, tender, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    challenge = _file(client, tender, "bidder", kind="challenge", about="documents")
    clock.freeze(local(2026, 3, 17, 9, 0))  # no answer by 16 March: the complaint may follow
    complaint = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge)
    # thirty working days from 17 March: 18 March - 28 April
    clock.freeze(local(2026, 4, 29, 0, 0))
    assert _post(client, tender, complaint, "answer", "finance", answer="成立。", outcome="upheld").status_code == 200
    _check(db, tender, local(2026, 4, 29, 1, 0), clock)
    [card] = _cards(db, tender, "gp.complaint_decided")
    assert card.level is Level.RED and card.condition == "late"


def test_answers_need_an_outcome_for_challenges(db, client, tender, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    challenge = _file(client, tender, "bidder", kind="challenge", about="documents")
    missing = _post(client, tender, challenge, "answer", "tenderer", answer="答复")
    assert missing.status_code == 422 and missing.get_json()["field"] == "outcome"
    empty = _post(client, tender, challenge, "answer", "tenderer", answer="", outcome="upheld")
    assert empty.status_code == 422 and empty.get_json()["field"] == "answer"


def test_the_cards_read_in_both_languages(app, db, client, tender, clock):
    """A late answer's card names the question and the rule in the reader's language."""
    from tests.bidding.test_both_languages import Reader, _typed, offences

    clock.freeze(local(2026, 3, 6, 15, 0))
    _file(client, tender, "bidder2", kind="question")
    clock.freeze(local(2026, 3, 5, 10, 0))
    _file(client, tender, "bidder", kind="challenge", about="documents")
    _check(db, tender, local(2026, 4, 1, 0, 0), clock)
    cards = _cards(db, tender, "gp.question_answered") + _cards(db, tender, "gp.challenge_answered")
    assert len(cards) == 2
    typed = _typed(db)
    for lang in ("en", "zh_CN"):
        reader = Reader(app, "finance", lang)
        for card in cards:
            status, _kind, text = reader.read(f"/monitor/cards/{card.id}")
            assert status == 200
            assert offences(text, lang, typed) is None, (lang, offences(text, lang, typed))
            assert ("询问" if lang == "zh_CN" else "question") in text or ("质疑" if lang == "zh_CN" else "challenge") in text
