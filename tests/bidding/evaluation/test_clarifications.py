"""Clarifications through the HTTP API (Law 39; Reg 52): a sitting member asks one bidder with a deadline
ahead and within the answer period; the bidder's members answer once, in text, before the deadline; the
answer has no price; a member refuses an answer that changes the price or substance; and nobody but the
committee, the bidder concerned, staff and supervisors reads a question or answer."""
from __future__ import annotations

from datetime import timedelta

from tests.bidding.evaluation.conftest import readable as _text
from tests.conftest import api_headers


def _url(trade, tail: str = "") -> str:
    return f"/api/v1/trades/{trade.id}/evaluation/clarifications{tail}"


def _ask(client, room, who="expert", to="bidder_b", question="请说明第三章工期承诺中“240日历天”是否含冬季停工期。",
         hours=24, **extra):
    trade = room["trade"]
    body = {"entry_id": room["entries"][to].id, "question": question,
            "deadline": (trade_clock_now() + timedelta(hours=hours)).isoformat(), **extra}
    return client.post(_url(trade), json=body, headers=api_headers(client, who))


def trade_clock_now():
    from trading.clock import now

    return now()


def test_a_member_asks_with_a_deadline_ahead_and_within_the_answer_period(db, client, room):
    for who in ("staff", "supervisor", "bidder", "bidder_b", "tenderer", "public"):
        assert _ask(client, room, who=who).status_code == 403, who
    past = _ask(client, room, hours=-1)
    assert past.status_code == 422 and "deadline" in past.get_json()["errors"]
    too_far = _ask(client, room, hours=49)
    assert too_far.status_code == 422 and "48" in too_far.get_json()["errors"]["deadline"][0]
    naive = client.post(_url(room["trade"]), json={"entry_id": room["entries"]["bidder"].id, "question": "?",
                                                   "deadline": "2026-04-01T10:00:00"},
                        headers=api_headers(client, "expert"))
    assert naive.status_code == 422 and "deadline" in naive.get_json()["errors"]
    empty = _ask(client, room, question="   ")
    assert empty.status_code == 422 and "question" in empty.get_json()["errors"]
    foreign = client.post(_url(room["trade"]), json={"entry_id": 10**6, "question": "?",
                                                     "deadline": (trade_clock_now() + timedelta(hours=2)).isoformat()},
                          headers=api_headers(client, "expert"))
    assert foreign.status_code == 422 and "entry_id" in foreign.get_json()["errors"]
    asked = _ask(client, room)
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert body["status"] == "open" and body["answer"] is None
    assert "asked_by_id" not in body and "expert" not in str(body).lower()  # the committee stays unnamed


def test_the_bidder_answers_once_in_text_without_a_price_before_the_deadline(db, client, room, clock):
    row = _ask(client, room).get_json()
    url = _url(room["trade"], f"/{row['id']}/answer")
    answer = {"answer": "240日历天已含冬季停工期，详见投标文件第二卷第15页。"}
    for who in ("bidder", "bidder_c", "expert", "staff", "tenderer"):
        assert client.post(url, json=answer, headers=api_headers(client, who)).status_code == 403, who
    assert client.post(url, json=answer).status_code == 401
    priced = client.post(url, json={**answer, "price": "4600000.00"}, headers=api_headers(client, "bidder_b"))
    assert priced.status_code == 422 and "price" in priced.get_json()["errors"]
    assert client.post(url, json={"answer": ""}, headers=api_headers(client, "bidder_b")).status_code == 422
    done = client.post(url, json=answer, headers=api_headers(client, "bidder_b"))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "answered" and "冬季停工期" in done.get_json()["answer"]
    twice = client.post(url, json={"answer": "更正：工期调整为220天"}, headers=api_headers(client, "bidder_b"))
    assert twice.status_code == 409 and twice.get_json()["code"] == "already_answered"
    missing = client.post(_url(room["trade"], "/999999/answer"), json=answer, headers=api_headers(client, "bidder_b"))
    assert missing.status_code == 404


def test_a_late_answer_is_refused_with_a_clear_error(db, client, room, clock):
    row = _ask(client, room, hours=2).get_json()
    url = _url(room["trade"], f"/{row['id']}/answer")
    clock.advance(timedelta(hours=2, seconds=1))
    late = client.post(url, json={"answer": "迟到的答复"}, headers={**api_headers(client, "bidder_b"),
                                                                 "Accept-Language": "en"})
    assert late.status_code == 409 and late.get_json()["code"] == "clarification_late"
    assert "deadline" in late.get_json()["message"] and "late answer is not accepted" in late.get_json()["message"]
    listed = client.get(_url(room["trade"]), headers=api_headers(client, "expert")).get_json()
    assert [(c["status"], c["answer"]) for c in listed] == [("lapsed", None)]


def test_a_member_refuses_an_answer_that_changes_the_price(db, client, room):
    row = _ask(client, room, question="请澄清分部分项工程量清单第12项单价。").get_json()
    refuse = _url(room["trade"], f"/{row['id']}/refuse")
    reason = {"reason": "答复将综合单价由385元调整为350元，改变投标报价（实施条例第52条）"}
    early = client.post(refuse, json=reason, headers=api_headers(client, "expert"))
    assert early.status_code == 409 and early.get_json()["code"] == "not_answered"
    assert client.post(_url(room["trade"], f"/{row['id']}/answer"), json={"answer": "该项单价应为350元，总价相应调减。"},
                       headers=api_headers(client, "bidder_b")).status_code == 200
    for who in ("bidder_b", "staff", "supervisor"):
        assert client.post(refuse, json=reason, headers=api_headers(client, who)).status_code == 403, who
    assert client.post(refuse, json={"reason": ""}, headers=api_headers(client, "expert2")).status_code == 422
    done = client.post(refuse, json=reason, headers=api_headers(client, "expert2"))
    assert done.status_code == 200 and done.get_json()["status"] == "refused"
    assert "改变投标报价" in done.get_json()["refused_reason"]
    again = client.post(refuse, json=reason, headers=api_headers(client, "expert"))
    assert again.status_code == 409 and again.get_json()["code"] == "already_refused"
    # the bidder reads that its answer was refused, and why
    mine = client.get(_url(room["trade"]), headers=api_headers(client, "bidder_b")).get_json()
    assert mine[0]["status"] == "refused" and "改变投标报价" in mine[0]["refused_reason"]


def test_questions_and_answers_stay_with_the_committee_the_bidder_concerned_staff_and_supervisors(db, client, room):
    secret_q, secret_a = "请说明项目经理张某某的在建项目情况-Q1X", "张某某无在建项目-A1X"
    row = _ask(client, room, question=secret_q).get_json()
    assert client.post(_url(room["trade"], f"/{row['id']}/answer"), json={"answer": secret_a},
                       headers=api_headers(client, "bidder_b")).status_code == 200
    for who in ("expert", "expert3", "staff", "supervisor", "bidder_b"):
        got = client.get(_url(room["trade"]), headers=api_headers(client, who))
        assert got.status_code == 200 and secret_q in _text(got), who
        assert secret_a in _text(got), who
    other = client.get(_url(room["trade"]), headers=api_headers(client, "bidder"))  # another opened bidder
    assert other.status_code == 200 and other.get_json() == []
    for who in ("public", "tenderer", "decider", "bidder_d", "staff_proc"):
        got = client.get(_url(room["trade"]), headers=api_headers(client, who))
        assert got.status_code == 403 and secret_q not in _text(got), who
    assert client.get(_url(room["trade"])).status_code == 401
    # nor through the audit log: the rows are there, for the centre's branches only
    for who in ("bidder", "public"):
        log = client.get("/api/v1/audit/entries?limit=1000", headers=api_headers(client, who))
        assert secret_q not in _text(log) and secret_a not in _text(log), who
    log = client.get("/api/v1/audit/entries?limit=1000", headers=api_headers(client, "supervisor"))
    assert log.status_code == 200 and secret_q in _text(log)
